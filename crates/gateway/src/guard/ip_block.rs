//! IP blocklist (issue 7 §Security controls): single addresses and CIDR ranges with optional expiry.
//! Blocked clients get 403 before any other work (no key check, no body read), on every route but
//! `/healthz` (issue 16 §3): the caller renders it in the surface's shape.
//! The list is an immutable snapshot behind `ArcSwap`, rebuilt from the store whenever the admin API
//! changes it (and periodically, as a safety net for other instances' changes).

use std::net::IpAddr;

use ipnet::IpNet;

use super::client_ip::canonical;
use crate::error::Error;

/// One blocked address or range.
#[derive(Debug, Clone)]
pub struct BlockRule {
    /// The range (a single address is a /32 or /128).
    pub net: IpNet,
    /// Epoch milliseconds after which the rule no longer applies.
    pub expires_at: Option<i64>,
}

/// An immutable snapshot of the blocklist.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    rules: Vec<BlockRule>,
}

/// Parses `1.2.3.4`, `2001:db8::1` or `10.0.0.0/8` into a range.
pub fn parse_net(text: &str) -> Result<IpNet, Error> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(canonical(ip)));
    }
    text.parse::<IpNet>()
        .map(|n| n.trunc())
        .map_err(|_| Error::field("ip", format!("`{text}` is not an IP address or CIDR range")))
}

impl Blocklist {
    /// Builds a snapshot; unparseable stored entries are skipped with a warning.
    pub fn new(entries: impl IntoIterator<Item = (String, Option<i64>)>) -> Self {
        let rules = entries
            .into_iter()
            .filter_map(|(ip, expires_at)| {
                let net = parse_net(&ip).ok();
                if net.is_none() {
                    tracing::warn!(%ip, "ignoring unparseable blocked_ips entry");
                }
                net.map(|net| BlockRule { net, expires_at })
            })
            .collect();
        Self { rules }
    }

    /// The rule blocking `ip` at `now_ms`, if any.
    pub fn find(&self, ip: IpAddr, now_ms: i64) -> Option<&BlockRule> {
        let ip = canonical(ip);
        self.rules
            .iter()
            .find(|r| r.net.contains(&ip) && r.expires_at.is_none_or(|t| t > now_ms))
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Guard step: the 403 for a blocked client, if `list` blocks `ip`.
pub fn refusal(list: &Blocklist, ip: IpAddr) -> Option<Error> {
    if list.is_empty() || list.find(ip, super::now_ms()).is_none() {
        return None;
    }
    metrics::counter!("gateway_guard_rejections_total", "reason" => "ip_blocked").increment(1);
    Some(Error::Forbidden {
        code: "ip_blocked",
        message: format!("requests from {ip} are blocked by the administrator"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_cidr_and_expiry() {
        let list = Blocklist::new([
            ("1.2.3.4".to_string(), None),
            ("10.0.0.0/8".to_string(), None),
            ("2001:db8::/32".to_string(), None),
            ("5.5.5.5".to_string(), Some(1000)),
            ("junk".to_string(), None),
        ]);
        assert_eq!(list.len(), 4);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(list.find(ip("1.2.3.4"), 0).is_some());
        assert!(list.find(ip("1.2.3.5"), 0).is_none());
        assert!(list.find(ip("10.200.3.4"), 0).is_some());
        assert!(list.find(ip("11.0.0.1"), 0).is_none());
        assert!(list.find(ip("2001:db8:1::9"), 0).is_some());
        assert!(list.find(ip("::ffff:10.1.1.1"), 0).is_some());
        assert!(list.find(ip("5.5.5.5"), 999).is_some());
        assert!(list.find(ip("5.5.5.5"), 1000).is_none());
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(parse_net("300.1.1.1").is_err());
        assert_eq!(parse_net("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }
}
