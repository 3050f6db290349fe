//! Network reach of an account's hosts (issue 22 item 1): for each of runtime, management, auth
//! (and the legacy `q.*` host when the fallback is on) a `dns.<role>` step — name resolution and
//! a TCP connect — and a `tls.<role>` step — an HTTPS request to the host's root, whose answer
//! (any HTTP status) proves the TLS handshake and the path through the proxy.
//!
//! With a proxy the name is resolved by the proxy, so the `dns` step is `skipped` and the `tls`
//! step goes through the proxy. A plain `http://` endpoint (the simulator, a local relay) has no
//! TLS: its `tls` step is `skipped` with that reason.

use std::time::{Duration, Instant};

use super::judge::Secrets;
use super::report::{Step, Verdict};

/// One host to check.
pub(super) struct Target {
    pub role: &'static str,
    pub url: reqwest::Url,
}

/// The `dns.<role>` and `tls.<role>` steps of `target`.
pub(super) async fn check(
    target: &Target,
    proxy: Option<&str>,
    connect_timeout: Duration,
    secrets: &Secrets,
) -> [Step; 2] {
    let dns = dns_step(target, proxy, connect_timeout).await;
    let tls = if dns.verdict == Verdict::Fail {
        Step::skipped(
            format!("tls.{}", target.role),
            "skipped: the host was not reached",
        )
    } else {
        tls_step(target, proxy, connect_timeout, secrets).await
    };
    [dns, tls]
}

async fn dns_step(target: &Target, proxy: Option<&str>, connect_timeout: Duration) -> Step {
    let name = format!("dns.{}", target.role);
    let started = Instant::now();
    let Some(host) = target.url.host_str() else {
        return Step::new(name, Verdict::Fail, format!("{} has no host", target.url));
    };
    let port = target.url.port_or_known_default().unwrap_or(443);
    if proxy.is_some() {
        return Step::skipped(name, format!("{host} is resolved by the proxy"));
    }
    let addrs = match tokio::time::timeout(
        connect_timeout,
        tokio::net::lookup_host((host.to_owned(), port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            return unreachable(name, format!("cannot resolve {host}: {e}")).timed(started);
        }
        Err(_) => {
            return unreachable(name, format!("resolving {host} timed out")).timed(started);
        }
    };
    let Some(first) = addrs.first().copied() else {
        return unreachable(name, format!("{host} resolves to no address")).timed(started);
    };
    match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => Step::new(
            name,
            Verdict::Ok,
            format!(
                "{host} → {first} ({} address(es)), TCP connected",
                addrs.len()
            ),
        ),
        Ok(Err(e)) => unreachable(name, format!("{host} → {first}: cannot connect: {e}")),
        Err(_) => unreachable(name, format!("{host} → {first}: connect timed out")),
    }
    .timed(started)
}

async fn tls_step(
    target: &Target,
    proxy: Option<&str>,
    connect_timeout: Duration,
    secrets: &Secrets,
) -> Step {
    let name = format!("tls.{}", target.role);
    if target.url.scheme() == "http" {
        return Step::skipped(
            name,
            "plain http:// endpoint (a simulator or local relay): no TLS to check",
        );
    }
    let started = Instant::now();
    amazonq::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(connect_timeout * 2);
    if let Some(p) = proxy {
        match reqwest::Proxy::all(p) {
            Ok(p) => builder = builder.proxy(p),
            Err(e) => {
                return Step::new(name, Verdict::Fail, format!("invalid proxy URL: {e}"));
            }
        }
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return Step::new(name, Verdict::Fail, format!("HTTP client: {e}")),
    };
    match client.get(target.url.clone()).send().await {
        Ok(r) => Step::new(
            name,
            Verdict::Ok,
            format!(
                "TLS handshake with {} ok{} (HTTP {} at /)",
                target.url.host_str().unwrap_or_default(),
                if proxy.is_some() {
                    " through the proxy"
                } else {
                    ""
                },
                r.status().as_u16()
            ),
        ),
        Err(e) => {
            let detail = secrets.scrub(&amazonq::TransportError::from(e).to_string());
            unreachable(name, detail)
        }
    }
    .timed(started)
}

fn unreachable(name: String, detail: String) -> Step {
    let mut s = Step::new(name, Verdict::Fail, detail);
    s.code = Some("unreachable");
    s.advice = Some(super::judge::UNREACHABLE.to_owned());
    s
}
