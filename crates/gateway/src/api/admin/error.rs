//! Admin API error body (shared/ADMIN_API.md): `{"error":{"code":"<snake_case>","message":"…"}}`
//! with the status of [`Error::status`]; 429 carries `retry-after`. 5xx causes are logged here,
//! once, and replaced by a generic message.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::dialect_error::set_retry_after;
use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        render(&self)
    }
}

/// `err` as the admin API's error response (also used for refusals in front of `/v2`).
pub fn render(err: &Error) -> Response {
    err.log_if_internal();
    let mut body = json!({"error": {"code": err.code(), "message": err.public_message()}});
    if let Error::Validation {
        field: Some(field), ..
    } = err
    {
        body["error"]["field"] = json!(field);
    }
    let mut response = (err.status(), Json(body)).into_response();
    set_retry_after(&mut response, err);
    response
}
