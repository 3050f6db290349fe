//! Faults for the OIDC and Kiro auth fakes (amazon-q-protocol.md §8.2 "Faults": 500, slow_down,
//! delay, connection reset, malformed JSON).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::errors::oidc_error;
use crate::faults::Fault;
use crate::log::LogMeta;
use crate::server::ConnInfo;
use crate::state::Shared;

/// What an auth endpoint (OIDC, Kiro auth) takes from its request: the shared state, the
/// connection, the headers and the whole body.
pub struct AuthCall {
    pub s: Arc<Shared>,
    pub ci: ConnInfo,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl FromRequest<Arc<Shared>> for AuthCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<Shared>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ConnectInfo(ci) = ConnectInfo::<ConnInfo>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            s: Arc::clone(state),
            ci,
            headers,
            body,
        })
    }
}

impl AuthCall {
    /// The endpoint's answer: the faults queued or asked for `operation` answer first, else
    /// `handle` (state, body), whose answer names the account it concerns; either way the
    /// response carries its log decision (operation, account, faults).
    pub async fn answer(
        &self,
        operation: &'static str,
        handle: impl FnOnce(&Shared, &[u8]) -> (Response, Option<String>),
    ) -> Response {
        let (short, faults) = apply(&self.s, &self.ci, &self.headers, operation).await;
        let (r, account) = short.map_or_else(|| handle(&self.s, &self.body[..]), |r| (r, None));
        LogMeta {
            account,
            faults,
            ..LogMeta::new(operation)
        }
        .attach(r)
    }
}

/// Applies queued / header faults for `operation`; `Some(response)` short-circuits the handler.
pub async fn apply(
    s: &Shared,
    ci: &ConnInfo,
    headers: &HeaderMap,
    operation: &str,
) -> (Option<Response>, Vec<String>) {
    let mut names = s.reg().take_fault(operation, None);
    if s.reg().config.chat.allow_fault_header
        && let Some(h) = headers.get("x-sim-fault").and_then(|v| v.to_str().ok())
    {
        names.extend(
            h.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty()),
        );
    }
    for n in &names {
        let Ok(f) = n.parse::<Fault>() else {
            return (
                Some(oidc_error(
                    400,
                    "InvalidRequestException",
                    "invalid_request",
                    &format!("unknown fault {n}"),
                )),
                names,
            );
        };
        match f {
            Fault::AuthDelay { ms } => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            Fault::AuthServerError => {
                return (
                    Some(oidc_error(
                        500,
                        "InternalServerException",
                        "server_error",
                        "An internal error occurred",
                    )),
                    names,
                );
            }
            Fault::AuthSlowDown => {
                return (
                    Some(oidc_error(
                        400,
                        "SlowDownException",
                        "slow_down",
                        "Client is polling too fast",
                    )),
                    names,
                );
            }
            Fault::AuthMalformed => {
                return (
                    Some(
                        (
                            StatusCode::OK,
                            [("content-type", "application/json")],
                            "{\"accessToken\": \"trunc",
                        )
                            .into_response(),
                    ),
                    names,
                );
            }
            Fault::AuthReset => {
                ci.ctl.rst_on_close.store(true, Ordering::Relaxed);
                ci.ctl.kill.store(true, Ordering::Relaxed);
                return (
                    Some(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
                    names,
                );
            }
            _ => {}
        }
    }
    (None, names)
}
