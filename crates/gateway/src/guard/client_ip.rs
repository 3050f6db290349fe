//! Who the client is: the socket peer, unless the peer is one of `security.trusted_proxies`; then
//! `X-Forwarded-For` (walked right to left, skipping further trusted hops) or `X-Real-IP` are
//! believed. Headers from untrusted peers are ignored, so a client cannot spoof its address.
//! [`annotate`] stores the answer as a [`ClientIp`] request extension for every later layer, and
//! whether the caller is on this machine ([`LocalCaller`], issue 16 §1): a loopback peer that
//! carries a forwarding header is a local proxy relaying someone else, so it is not local.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The resolved client address (request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// True when the caller is on this machine (request extension, see [`is_local`]). A gateway
/// without API keys serves only such callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalCaller(pub bool);

/// Headers by which a proxy says whom it relays. Any of them on a request from a loopback peer
/// means the request came from elsewhere through a local proxy, tunnel or sidecar.
const FORWARDING_HEADERS: [&str; 4] = [
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "x-forwarded-host",
];

/// Whether a request counts as local (issue 16 §1): the socket peer is loopback and the request
/// carries no forwarding header — unless the peer is a trusted proxy, whose word is taken: then
/// the client it vouches for (`client`, from [`resolve`]) must itself be loopback.
pub fn is_local(peer: IpAddr, client: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> bool {
    let peer = canonical(peer);
    if trusted.iter().any(|net| net.contains(&peer)) {
        return peer.is_loopback() && client.is_loopback();
    }
    peer.is_loopback() && !FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h))
}

/// True when a trusted proxy says the client connected over HTTPS (`X-Forwarded-Proto: https`);
/// request extension. Used to mark the session cookie `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardedHttps(pub bool);

/// Resolves the client address from the peer and the proxy headers.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_hop)
        .collect();
    if !forwarded.is_empty() {
        // The rightmost untrusted hop is the first address no trusted proxy can vouch for.
        let client = forwarded
            .iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(&forwarded[0]);
        return canonical(*client);
    }
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_hop)
        .map_or(canonical(peer), canonical)
}

/// Accepts `1.2.3.4`, `1.2.3.4:567`, `::1`, `[::1]:567`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) compares as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Inserts [`ClientIp`] and [`ForwardedHttps`] (run first on every request by `api::router`'s
/// front middleware).
pub fn annotate(trusted: &[IpNet], req: &mut Request) {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let ip = resolve(peer, req.headers(), trusted);
    let https = trusted.iter().any(|net| net.contains(&canonical(peer)))
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let local = is_local(peer, ip, req.headers(), trusted);
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(ForwardedHttps(https));
    req.extensions_mut().insert(LocalCaller(local));
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn untrusted_peer_headers_ignored() {
        let h = headers(&[("x-forwarded-for", "9.9.9.9"), ("x-real-ip", "8.8.8.8")]);
        assert_eq!(resolve(ip("1.1.1.1"), &h, &[]), ip("1.1.1.1"));
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(resolve(ip("1.1.1.1"), &h, &trusted), ip("1.1.1.1"));
    }

    #[test]
    fn trusted_peer_forwarded_for() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // client spoofs a first hop; the proxy appends the real one.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 2.2.2.2, 10.0.0.7")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2.2.2.2"));
        let h = headers(&[("x-real-ip", "3.3.3.3")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("3.3.3.3"));
        let h = headers(&[("x-forwarded-for", "garbage")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::1"));
    }

    #[test]
    fn local_only_without_forwarding_headers_unless_trusted() {
        let none = HeaderMap::new();
        let lo = ip("127.0.0.1");
        assert!(is_local(lo, lo, &none, &[]));
        assert!(is_local(ip("::1"), ip("::1"), &none, &[]));
        assert!(!is_local(ip("192.0.2.1"), ip("192.0.2.1"), &none, &[]));
        // A local proxy relaying a remote client, whatever header it uses.
        for (h, v) in [
            ("x-forwarded-for", "203.0.113.9"),
            ("x-real-ip", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
            ("x-forwarded-host", "gateway.example.com"),
            ("x-forwarded-for", "127.0.0.1"),
        ] {
            assert!(!is_local(lo, lo, &headers(&[(h, v)]), &[]), "{h}: {v}");
        }
        // A trusted proxy is believed: local only when the client it names is loopback.
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert!(!is_local(lo, ip("203.0.113.9"), &h, &trusted));
        let h = headers(&[("x-forwarded-for", "127.0.0.1")]);
        assert!(is_local(lo, lo, &h, &trusted));
        assert!(is_local(lo, lo, &none, &trusted));
        // A trusted proxy elsewhere on the network never makes a request local.
        let lan: Vec<IpNet> = vec!["192.0.2.0/24".parse().unwrap()];
        assert!(!is_local(ip("192.0.2.1"), lo, &h, &lan));
    }

    #[test]
    fn mapped_v6_is_v4() {
        assert_eq!(canonical(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
    }
}
