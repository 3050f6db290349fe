//! Request body cap, model scope and per-key concurrency on `/v1` (issue 7 §Client API keys,
//! §Security controls).
//!
//! The body is read here, bounded by `security.max_body_bytes` (413 in the client's dialect, early
//! on a too-large `content-length`), and handed on as one in-memory chunk, so the handler's JSON
//! extractor costs no second copy. When the key restricts models, the `model` field is checked
//! here, centrally, so no handler can forget it. The key's concurrency permit lives as long as the
//! response body, so a streaming answer holds its slot until the last byte.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::Deserialize;

use super::api_key::KeyEntry;
use super::{Guards, Refusal};
use crate::error::Error;

#[derive(Deserialize)]
struct ModelOnly {
    model: Option<String>,
}

/// Reads a body of at most `limit` bytes.
pub async fn read_capped(body: Body, limit: u64) -> Result<Bytes, Error> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Error::PayloadTooLarge { limit })
        }
        Err(e) => Err(Error::field(
            "body",
            format!("could not read the request body: {e}"),
        )),
    }
}

/// Guard step (the last one, it runs the handler): body cap → model scope → concurrency slot of
/// `key` (the authenticated key, if any).
pub async fn run(
    guards: &Guards,
    req: Request,
    next: Next,
    key: Option<Arc<KeyEntry>>,
) -> Result<Response, Refusal> {
    let limit = guards.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        metrics::counter!("gateway_guard_rejections_total", "reason" => "body_too_large")
            .increment(1);
        return Err(Refusal::of(
            req.extensions(),
            Error::PayloadTooLarge { limit },
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_capped(body, limit).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = matches!(e, Error::PayloadTooLarge { .. });
            if too_large {
                metrics::counter!("gateway_guard_rejections_total", "reason" => "body_too_large")
                    .increment(1);
            }
            return Err(Refusal {
                logged: too_large,
                ..Refusal::of(&parts.extensions, e)
            });
        }
    };
    let mut permit = None;
    if let Some(key) = &key {
        if key.models.is_some() && !bytes.is_empty() {
            let model = serde_json::from_slice::<ModelOnly>(&bytes)
                .ok()
                .and_then(|m| m.model);
            if let Some(model) = model.filter(|m| !key.allows_model(m)) {
                metrics::counter!("gateway_guard_rejections_total", "reason" => "model_scope")
                    .increment(1);
                let err = Error::Forbidden {
                    code: "model_not_allowed",
                    message: format!("API key `{}` may not use model `{model}`", key.name),
                };
                return Err(Refusal::of(&parts.extensions, err));
            }
        }
        if let Some(max) = key.max_concurrency {
            permit = guards.concurrency.try_acquire(key.bucket(), max).await;
            if permit.is_none() {
                metrics::counter!("gateway_guard_rejections_total", "reason" => "key_concurrency")
                    .increment(1);
                let err = Error::TooManyRequests {
                    code: "concurrency_limited",
                    message: format!(
                        "API key `{}` already has {max} request(s) in flight",
                        key.name
                    ),
                    retry_after: std::time::Duration::from_secs(1),
                };
                return Err(Refusal::of(&parts.extensions, err));
            }
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    Ok(match permit {
        None => response,
        Some(permit) => {
            let (parts, body) = response.into_parts();
            let stream = body.into_data_stream().map(move |chunk| {
                let _held = &permit;
                chunk
            });
            Response::from_parts(parts, Body::from_stream(stream))
        }
    })
}
