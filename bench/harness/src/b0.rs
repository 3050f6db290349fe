//! B0: the trivial pass-through proxy every gateway ratio is measured against
//! (performance-anchors.md §3 "Express our goals as ratios to B0").
//!
//! hyper 1 server (HTTP/1.1, keep-alive) in front of hyper-util's pooled client: the request head
//! and body are forwarded unchanged (Host rewritten, hop-by-hop headers dropped) and the response
//! body is streamed back frame by frame, unbuffered. It does the least any HTTP proxy must do, so
//! "gateway CPU ÷ B0 CPU" is the cost of everything the gateway adds.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

type Body = BoxBody<Bytes, hyper::Error>;
type Upstream = Client<HttpConnector, Incoming>;

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
];

fn upstream_client() -> Upstream {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(usize::MAX)
        .build(connector)
}

async fn forward(
    client: Upstream,
    upstream: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str);
    let Ok(uri) = format!("http://{upstream}{path}").parse::<Uri>() else {
        return Ok(error(StatusCode::BAD_REQUEST, "bad request target"));
    };
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    for h in &HOP_BY_HOP {
        headers.remove(h);
    }
    if let Ok(host) = HeaderValue::from_str(&upstream.to_string()) {
        headers.insert(header::HOST, host);
    }
    match client.request(req).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            for h in &HOP_BY_HOP {
                parts.headers.remove(h);
            }
            Ok(Response::from_parts(parts, body.boxed()))
        }
        Err(e) => Ok(error(StatusCode::BAD_GATEWAY, &format!("upstream: {e}"))),
    }
}

fn error(status: StatusCode, msg: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(msg.to_owned()))
        .map_err(|never| match never {})
        .boxed();
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r
}

/// Serves the proxy on `listener`, forwarding to `upstream`, until `shutdown` resolves.
#[expect(
    clippy::disallowed_methods,
    reason = "the benchmark floor: one bare task per connection, as the simplest proxy would do"
)]
pub async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let client = upstream_client();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        stream.set_nodelay(true)?;
        let client = client.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| forward(client.clone(), upstream, req));
            // A client that goes away mid-stream is normal under load; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
