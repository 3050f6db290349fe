//! Which surface a path belongs to, and how a refusal looks there (issue 16 §3): the client API
//! answers in its dialect (`api::dialect_error`), the admin API with its JSON error body
//! (`api/admin/error.rs`), the console with a small HTML page. `/healthz` is exempt from the
//! address screen (load balancers and orchestrators probe it from anywhere).

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::dialect_error::{self, Dialect};
use crate::error::Error;

/// The parts of the service, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/v1/*`, and the OpenAI paths served without `/v1` (`/chat/completions`, `/models*`).
    Client(Dialect),
    /// `/v2/*`.
    Admin,
    /// `/healthz`: never screened.
    Health,
    /// `/metrics` on the main listener: blocked addresses are refused, the per-IP limit does not
    /// count it (the `metrics.listen` listener is not screened at all).
    Ops,
    /// Everything else: the web console.
    Console,
}

impl Surface {
    /// The surface `path` belongs to.
    pub fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/v1") || path == "/chat/completions" || under("/models") {
            Self::Client(Dialect::from_path(path))
        } else if under("/v2") {
            Self::Admin
        } else if path == "/healthz" {
            Self::Health
        } else if path == "/metrics" {
            Self::Ops
        } else {
            Self::Console
        }
    }

    /// Label in the request log's `dialect` column for rows this surface writes.
    pub fn label(self) -> &'static str {
        match self {
            Self::Client(d) => d.as_str(),
            Self::Admin => "admin",
            Self::Health | Self::Ops => "ops",
            Self::Console => "console",
        }
    }

    /// `err` as this surface answers errors.
    pub fn render(self, err: &Error) -> Response {
        match self {
            Self::Client(d) => dialect_error::render(d, err),
            Self::Admin | Self::Health | Self::Ops => super::admin::error::render(err),
            Self::Console => console_page(err),
        }
    }
}

/// A small self-contained page (no scripts, no assets: a blocked client gets nothing else).
fn console_page(err: &Error) -> Response {
    let status = err.status();
    let message = escape(&err.public_message());
    let title = status.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{code} {title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>{code} {title}</h1>\
         <p>{message}</p></body></html>",
        code = status.as_u16()
    );
    let mut response = (status, Html(page)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    dialect_error::set_retry_after(&mut response, err);
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces_by_path() {
        assert_eq!(
            Surface::of("/v1/messages"),
            Surface::Client(Dialect::Anthropic)
        );
        assert_eq!(Surface::of("/v1"), Surface::Client(Dialect::OpenAi));
        assert_eq!(
            Surface::of("/chat/completions"),
            Surface::Client(Dialect::OpenAi)
        );
        assert_eq!(Surface::of("/models/x"), Surface::Client(Dialect::OpenAi));
        assert_eq!(Surface::of("/v2/login"), Surface::Admin);
        assert_eq!(Surface::of("/v2"), Surface::Admin);
        assert_eq!(Surface::of("/healthz"), Surface::Health);
        assert_eq!(Surface::of("/"), Surface::Console);
        assert_eq!(Surface::of("/v1x"), Surface::Console);
        assert_eq!(Surface::of("/metrics"), Surface::Ops);
        assert_eq!(Surface::of("/assets/x.js"), Surface::Console);
    }

    #[test]
    fn console_page_escapes() {
        let err = Error::Forbidden {
            code: "ip_blocked",
            message: "<script>".into(),
        };
        let r = console_page(&err);
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }
}
