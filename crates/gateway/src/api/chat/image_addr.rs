//! Which addresses a remote image may be fetched from (issue 16 §2): never this machine, the
//! private network, link-local space (cloud metadata at 169.254.169.254), or any other address
//! that is not a public unicast one. A key holder must not be able to make the gateway reach what
//! only the gateway can reach.
//!
//! - [`refusal`] classifies one address (a pure function; IPv6 forms that embed an IPv4 address
//!   — mapped, compatible, NAT64, 6to4 — are judged by that address).
//! - [`PublicOnly`] is the image client's DNS resolver: it resolves the name and hands the client
//!   only the addresses that pass, so the connection goes to exactly the address that was checked
//!   (no window for a second, different DNS answer). Names with no public address fail.
//! - [`check_url`] refuses URLs whose host is an address literal (they bypass the resolver); the
//!   redirect policy runs it on every hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why `ip` may not be fetched from; `None` = a public address.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    // 240/4 (reserved) and 255.255.255.255 (broadcast); IETF protocol assignments (192.0.0.0/24)
    // and benchmarking networks (198.18.0.0/15): never a public web server.
    let reserved = a >= 240 || (a, b, c) == (192, 0, 0) || (a == 198 && matches!(b, 18..=19));
    Some(match (a, b) {
        (0, _) => "unspecified",
        (127, _) => "loopback",
        (10, _) | (172, 16..=31) | (192, 168) => "private",
        (169, 254) => "link-local",
        (100, 64..=127) => "shared (CGNAT)",
        (224..=239, _) => "multicast",
        _ if reserved => "reserved",
        _ => return None,
    })
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = embedded_v4(ip) {
        return refusal_v4(v4);
    }
    let first = ip.segments()[0];
    Some(match first {
        f if f & 0xffc0 == 0xfe80 => "link-local",
        // Deprecated site-local (fec0::/10): private by definition.
        f if f & 0xffc0 == 0xfec0 => "private",
        f if f & 0xfe00 == 0xfc00 => "unique-local",
        f if f & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

/// The IPv4 address an IPv6 address stands for: mapped `::ffff:a.b.c.d`, compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = || Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    if s[..6] == [0; 6] {
        return Some(low());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    None
}

/// A refused destination; found again in the fetch error's source chain to word the 400.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refused(what: &str, ip: IpAddr, why: &str) -> Refused {
    Refused(format!(
        "{what} is a {why} address ({ip}); remote images are fetched from public addresses only \
         (images.allow_private_addresses)"
    ))
}

/// Refuses a URL whose host is an address literal that [`refusal`] rejects (other hosts are
/// checked by [`PublicOnly`] when they are resolved).
pub fn check_url(url: &reqwest::Url) -> Result<(), Refused> {
    let Some(host) = url.host_str() else {
        return Err(Refused("the image URL has no host".into()));
    };
    // The URL parser has already normalised address literals (`2130706433` → `127.0.0.1`).
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = literal.parse::<IpAddr>() else {
        return Ok(());
    };
    match refusal(ip) {
        Some(why) => Err(refused("the image URL's host", ip, why)),
        None => Ok(()),
    }
}

/// The image client's resolver: system DNS, then only the addresses [`refusal`] accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .filter(|a| refusal(a.ip()).is_none())
                .copied()
                .collect();
            if public.is_empty() {
                let err = match found.first() {
                    Some(a) => refused(
                        &format!("`{host}`"),
                        a.ip(),
                        refusal(a.ip()).unwrap_or("non-public"),
                    ),
                    None => Refused(format!("`{host}` has no address")),
                };
                return Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(s: &str) -> Option<&'static str> {
        refusal(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_v4_refused() {
        for (ip, reason) in [
            ("0.0.0.0", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("255.255.255.255", "reserved"),
            ("240.0.0.1", "reserved"),
            ("192.0.0.8", "reserved"),
            ("198.18.0.1", "reserved"),
            ("198.19.255.1", "reserved"),
        ] {
            assert_eq!(why(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn public_v4_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "192.169.0.1",
            "203.0.113.9",
            "198.20.0.1",
            "192.0.1.1",
        ] {
            assert_eq!(why(ip), None, "{ip}");
        }
    }

    #[test]
    fn v6_forms_refused() {
        for (ip, reason) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fec0::1", "private"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:100.64.0.1", "shared (CGNAT)"),
            ("::127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:c0a8:0101::1", "private"),
        ] {
            assert_eq!(why(ip), Some(reason), "{ip}");
        }
        assert_eq!(why("2606:4700:4700::1111"), None);
        assert_eq!(why("::ffff:8.8.8.8"), None);
        assert_eq!(why("2002:0808:0808::1"), None);
    }

    #[test]
    fn literal_hosts_checked() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(check_url(&url("http://127.0.0.1:8080/a.png")).is_err());
        assert!(check_url(&url("http://[::1]/a.png")).is_err());
        assert!(check_url(&url("http://[::ffff:a9fe:a9fe]/latest")).is_err());
        assert!(check_url(&url("http://2130706433/a.png")).is_err());
        assert!(check_url(&url("https://203.0.113.9/a.png")).is_ok());
        assert!(check_url(&url("https://example.com/a.png")).is_ok());
        let err = check_url(&url("http://169.254.169.254/")).unwrap_err();
        assert!(err.0.contains("link-local"), "{err}");
    }
}
