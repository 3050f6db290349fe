//! Admin API error body (shared/ADMIN_API.md): `{"error":{"code":"<snake_case>","message":"…"}}`
//! with the status of [`Error::status`]; 429 carries `retry-after`. 5xx causes are logged here,
//! once, and replaced by a generic message.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let mut body = json!({"error": {"code": self.code(), "message": self.public_message()}});
        if let Error::Validation {
            field: Some(field), ..
        } = &self
        {
            body["error"]["field"] = json!(field);
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
