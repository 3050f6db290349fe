//! A tiny loopback HTTP server for the client tests (axum on 127.0.0.1:0),
//! recording every request it receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use amazonq::events::StreamEvent;
use amazonq::eventstream::encode_frame;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request};
use futures_util::Stream;
use tokio::time::Instant;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Shared request log.
#[derive(Debug, Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<Seen>>>);

impl Log {
    pub async fn record(&self, req: Request<Body>) -> Seen {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let seen = Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
            at: Instant::now(),
        };
        self.0.lock().unwrap().push(seen.clone());
        seen
    }

    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

/// Serves `router` on 127.0.0.1:0 and returns its base URL.
#[expect(
    clippy::disallowed_methods,
    reason = "a test's fake server: it lives as long as the test's runtime"
)]
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

/// A server whose `POST path` sends its (empty) answer only after `delay`, for first-byte
/// timeouts.
pub fn late(path: &str, delay: Duration) -> Router {
    Router::new().route(
        path,
        axum::routing::post(move || async move {
            tokio::time::sleep(delay).await;
            axum::response::Response::new(Body::empty())
        }),
    )
}

/// Encodes events into one byte string.
pub fn encode_events(events: &[StreamEvent]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|e| encode_frame(&e.to_frame()).unwrap().to_vec())
        .collect()
}

/// A body that writes `pieces` with `gap` between them, then ends with `end`.
pub fn paced_body(pieces: Vec<Vec<u8>>, gap: Duration, end: End) -> Body {
    Body::from_stream(paced(pieces, gap, end))
}

/// How a paced body ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// Clean end of body.
    Clean,
    /// Abort the connection (hyper resets it when the body errors).
    Abort,
    /// Never end (until the client goes away).
    Hang,
}

fn paced(
    pieces: Vec<Vec<u8>>,
    gap: Duration,
    end: End,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(
        (pieces.into_iter(), false),
        move |(mut it, first_done)| async move {
            if first_done && !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            match it.next() {
                Some(p) => Some((Ok(Bytes::from(p)), (it, true))),
                None => match end {
                    End::Clean => None,
                    End::Abort => Some((Err(std::io::Error::other("abort")), (it, true))),
                    End::Hang => {
                        std::future::pending::<()>().await;
                        None
                    }
                },
            }
        },
    )
}
