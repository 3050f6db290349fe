//! The embedded web console (shared/CONSOLE_DESIGN.md; house style rule 21): the Vue build in
//! `web/dist`, served with an SPA fallback to `index.html`.
//!
//! Embedding choice: rust-embed with `allow_missing = true` and *without* `debug-embed`.
//! - Release builds embed `web/dist` into the binary, so `claude-server` is one file.
//! - Debug builds read `web/dist` from disk at run time (rust-embed's debug behaviour): a fresh
//!   `npm run build` shows up without recompiling Rust, and the crate compiles and its tests run
//!   whether or not the console was built — `allow_missing` turns an absent folder into an empty
//!   asset set instead of a compile error. With no `index.html` the console answers with a short
//!   page saying how to build it (never a 500).
//!
//! Cache policy: files under `assets/` carry a content hash in their name (Vite), so they are
//! `immutable` for a year; everything else (`index.html`) is `no-cache` and revalidated by `ETag`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = "<!doctype html><html><head><title>claude-api</title></head><body>\
<h1>claude-api</h1><p>The web console has not been built into this binary. Build it with \
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> and rebuild <code>claude-server</code>. \
The API is available under <code>/v1</code> and <code>/v2</code>.</p></body></html>";

/// Cache-Control for an asset path.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// True for paths that name a file (last segment has an extension): those 404 instead of
/// falling back to `index.html`, so a missing script is not answered with HTML.
fn looks_like_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// Fallback handler for every GET not matched by an API route.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let root = path.is_empty();
    let path = if root { "index.html" } else { path };
    if let Some(resp) = asset(path, &headers) {
        return resp;
    }
    // `/` must reach the SPA fallback (or the "not built" page) even though "index.html" looks
    // like a file name.
    if !root && (looks_like_file(path) || path.starts_with("v1/") || path.starts_with("v2/")) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    asset("index.html", &headers).unwrap_or_else(|| Html(NOT_BUILT).into_response())
}

fn asset(path: &str, headers: &HeaderMap) -> Option<Response> {
    let file = Assets::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache = HeaderValue::from_static(cache_control(path));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, cache);
        if let Ok(v) = HeaderValue::from_str(&etag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return Some(r);
    }
    let mime = file.metadata.mimetype().to_string();
    let mut r = Response::new(Body::from(file.data.into_owned()));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, cache);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_policy() {
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(
            cache_control("assets/index-3f9a.js"),
            "public, max-age=31536000, immutable"
        );
        assert!(looks_like_file("assets/x.js"));
        assert!(!looks_like_file("accounts/12"));
    }

    #[tokio::test]
    async fn spa_fallback_serves_index_or_placeholder() {
        let root = serve(Uri::from_static("/"), HeaderMap::new()).await;
        let deep = serve(Uri::from_static("/accounts/3"), HeaderMap::new()).await;
        assert_eq!(root.status(), StatusCode::OK);
        assert_eq!(deep.status(), StatusCode::OK);
        let a = axum::body::to_bytes(root.into_body(), usize::MAX)
            .await
            .unwrap();
        let b = axum::body::to_bytes(deep.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(a, b, "deep links get the same document as /");
        let missing = serve(Uri::from_static("/assets/nope-123.js"), HeaderMap::new()).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
