//! The admin audit trail (issue 7: "every state-changing admin call is written to the audit log").
//!
//! One middleware over all of `/v2` records every non-GET call — and the credential export, a read
//! that hands out secrets — after it ran: actor, action (`accounts.create`, …), target id, result
//! status and client IP. Doing it in one place means a new endpoint cannot forget it. Handlers may
//! attach an [`AuditDetail`] to their response (e.g. counts of an import).

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::guard::ClientIp;

/// Who acted (response extension set by the session guard or the login handler).
#[derive(Debug, Clone)]
pub struct AuditActor(pub String);

/// Extra detail for the audit entry (response extension set by handlers).
#[derive(Debug, Clone)]
pub struct AuditDetail(pub Value);

/// Readable action name for a route, e.g. `POST /v2/accounts/{id}/refresh` → `accounts.refresh`.
pub fn action_name(method: &Method, route: &str) -> String {
    match route {
        "/v2/login" => return "login".into(),
        "/v2/logout" => return "logout".into(),
        "/v2/password" => return "password.change".into(),
        "/v2/accounts/export" => return "accounts.export".into(),
        _ => {}
    }
    let parts: Vec<&str> = route
        .trim_start_matches("/v2/")
        .split('/')
        .filter(|s| !s.starts_with('{') && !s.is_empty())
        .collect();
    let noun = parts.join(".");
    let has_id = route.contains('{');
    let verb = match (method.as_str(), has_id, parts.len()) {
        ("GET", _, _) => "read",
        ("POST", false, 1) => "create",
        ("PATCH" | "PUT", _, _) => "update",
        ("DELETE", _, _) => "delete",
        _ => "",
    };
    if verb.is_empty() {
        noun
    } else {
        format!("{noun}.{verb}")
    }
}

/// The id segments of `path` where `route` has `{param}` placeholders.
fn target(route: &str, path: &str) -> Option<String> {
    let ids: Vec<&str> = route
        .split('/')
        .zip(path.split('/'))
        .filter(|(r, _)| r.starts_with('{'))
        .map(|(_, p)| p)
        .collect();
    (!ids.is_empty()).then(|| ids.join("/"))
}

fn is_audited(method: &Method, route: &str) -> bool {
    *method != Method::GET && *method != Method::HEAD && *method != Method::OPTIONS
        || route == "/v2/accounts/export"
}

/// Middleware: appends one audit entry per audited call.
pub async fn record(State(store): State<store::Store>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| path.clone(), |m| m.as_str().to_string());
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0.to_string());
    let response = next.run(req).await;
    if !is_audited(&method, &route) {
        return response;
    }
    let actor = response
        .extensions()
        .get::<AuditActor>()
        .map_or_else(|| "anonymous".to_string(), |a| a.0.clone());
    let mut detail = json!({"status": response.status().as_u16()});
    if let Some(AuditDetail(extra)) = response.extensions().get::<AuditDetail>() {
        detail["detail"] = extra.clone();
    }
    let entry = store::NewAuditEntry {
        actor,
        action: action_name(&method, &route),
        target: target(&route, &path),
        detail: Some(detail),
        ip,
    };
    if let Err(e) = store.append_audit(entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets() {
        assert_eq!(
            action_name(&Method::POST, "/v2/accounts"),
            "accounts.create"
        );
        assert_eq!(
            action_name(&Method::PATCH, "/v2/accounts/{id}"),
            "accounts.update"
        );
        assert_eq!(action_name(&Method::DELETE, "/v2/keys/{id}"), "keys.delete");
        assert_eq!(
            action_name(&Method::POST, "/v2/accounts/{id}/refresh"),
            "accounts.refresh"
        );
        assert_eq!(action_name(&Method::POST, "/v2/login"), "login");
        assert_eq!(action_name(&Method::POST, "/v2/ips/block"), "ips.block");
        assert_eq!(action_name(&Method::PUT, "/v2/settings"), "settings.update");
        assert_eq!(
            action_name(&Method::GET, "/v2/accounts/export"),
            "accounts.export"
        );
        assert_eq!(
            target("/v2/accounts/{id}/refresh", "/v2/accounts/a1/refresh").as_deref(),
            Some("a1")
        );
        assert_eq!(target("/v2/settings", "/v2/settings"), None);
    }
}
