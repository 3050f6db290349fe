//! Faults for the OIDC and Kiro auth fakes (amazon-q-protocol.md §8.2 "Faults": 500, slow_down,
//! delay, connection reset, malformed JSON).

use std::sync::atomic::Ordering;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::errors::oidc_error;
use crate::faults::Fault;
use crate::server::ConnInfo;
use crate::state::Shared;

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
