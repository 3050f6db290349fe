//! The web-search tool's settings from a request body, and the domain filter.
//!
//! Anthropic (API reference "Web search tool"): `{"type": "web_search_20250305", "name":
//! "web_search", "max_uses", "allowed_domains", "blocked_domains", "user_location"}`; any
//! `web_search_*` type is accepted (later versions add fields this gateway ignores). Giving both
//! domain lists is a 400, as upstream Anthropic answers.
//!
//! Responses (OpenAI "Web search" tool): `{"type": "web_search" | "web_search_preview" |
//! "web_search_2025_08_26", "filters": {"allowed_domains"}, "user_location",
//! "search_context_size"}`. Codex sends `{"type": "web_search", "external_web_access": false}` on
//! every turn: that is its default "cached" mode, which promises no live web access. The only
//! search this gateway has is a live one billed to the account, so `external_web_access: false`
//! leaves the tool out (Codex users opt in with `web_search = "live"`).
//!
//! `max_uses` defaults to [`DEFAULT_MAX_USES`] and is capped at [`MAX_USES_CAP`] so one request
//! cannot loop without end. `user_location` is accepted and not used (the Kiro search takes only a
//! query).

use serde_json::Value;

use crate::error::{Result, TranslateError};
use crate::json::{Obj, as_obj, idx, join, opt_arr, opt_obj, opt_str, opt_u32, parse_object};

/// Searches per request when the tool does not say.
pub const DEFAULT_MAX_USES: u32 = 5;
/// The most searches one request may run, whatever `max_uses` says.
pub const MAX_USES_CAP: u32 = 20;

/// What a request allows its searches to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSearchOptions {
    pub max_uses: u32,
    /// Lower-case domains (optionally with a path prefix); empty = any.
    pub allowed_domains: Vec<String>,
    pub blocked_domains: Vec<String>,
}

impl Default for WebSearchOptions {
    fn default() -> Self {
        Self {
            max_uses: DEFAULT_MAX_USES,
            allowed_domains: Vec::new(),
            blocked_domains: Vec::new(),
        }
    }
}

impl WebSearchOptions {
    /// Whether a result at `url` passes the domain lists.
    pub fn allows(&self, url: &str) -> bool {
        let Some(target) = host_and_path(url) else {
            return false;
        };
        if self.blocked_domains.iter().any(|d| matches(&target, d)) {
            return false;
        }
        self.allowed_domains.is_empty() || self.allowed_domains.iter().any(|d| matches(&target, d))
    }
}

/// Whether the tools list of an Anthropic body is a web-search server tool.
pub fn is_anthropic_tool(kind: &str) -> bool {
    kind.starts_with("web_search_")
}

/// The web-search tool of an Anthropic `/v1/messages` body, if it has one.
pub fn anthropic_options(body: &[u8]) -> Result<Option<WebSearchOptions>> {
    scan_tools(body, |t, path| match opt_str(t, "type", path)? {
        Some(kind) if is_anthropic_tool(kind) => anthropic_tool(t, path).map(Tool::Search),
        _ if opt_str(t, "name", path)? == Some(super::TOOL_NAME) => Ok(Tool::Named),
        _ => Ok(Tool::Other),
    })
}

/// The settings of an Anthropic web-search tool object at `path`.
fn anthropic_tool(t: &Obj, path: &str) -> Result<WebSearchOptions> {
    let max_uses = opt_u32(t, "max_uses", path)?;
    if max_uses == Some(0) {
        return Err(TranslateError::invalid(
            join(path, "max_uses"),
            format!("{path}.max_uses: must be at least 1"),
        ));
    }
    let allowed = domains(t, "allowed_domains", path)?;
    let blocked = domains(t, "blocked_domains", path)?;
    if !allowed.is_empty() && !blocked.is_empty() {
        return Err(TranslateError::invalid(
            path,
            format!("{path}: use either allowed_domains or blocked_domains, not both"),
        ));
    }
    Ok(WebSearchOptions {
        max_uses: max_uses.unwrap_or(DEFAULT_MAX_USES).min(MAX_USES_CAP),
        allowed_domains: allowed,
        blocked_domains: blocked,
    })
}

/// Whether a Responses tool object is a web-search tool this gateway serves (see the module docs
/// on `external_web_access`).
pub fn is_responses_tool(t: &Obj) -> bool {
    let kind = t.get("type").and_then(Value::as_str).unwrap_or("");
    (kind == "web_search" || kind.starts_with("web_search_"))
        && t.get("external_web_access").and_then(Value::as_bool) != Some(false)
}

/// The web-search tool of a `/v1/responses` body, if it has one this gateway serves.
pub fn responses_options(body: &[u8]) -> Result<Option<WebSearchOptions>> {
    scan_tools(body, |t, path| {
        if is_responses_tool(t) {
            let allowed = match opt_obj(t, "filters", path)? {
                Some(f) => domains(f, "allowed_domains", &join(path, "filters"))?,
                None => Vec::new(),
            };
            Ok(Tool::Search(WebSearchOptions {
                allowed_domains: allowed,
                ..WebSearchOptions::default()
            }))
        } else if function_name(t) == Some(super::TOOL_NAME) {
            Ok(Tool::Named)
        } else {
            Ok(Tool::Other)
        }
    })
}

/// What one object of a body's `tools` list is, to the web search.
enum Tool {
    /// The web-search tool, with its settings.
    Search(WebSearchOptions),
    /// A client tool named like the search tool.
    Named,
    Other,
}

/// The search settings in the `tools` list of `body` (both dialects keep it there), `classify`
/// telling each tool object (and its path) apart. The last search tool wins; a client tool named
/// like it next to it is a 400 ([`clash`]).
fn scan_tools(
    body: &[u8],
    classify: impl Fn(&Obj, &str) -> Result<Tool>,
) -> Result<Option<WebSearchOptions>> {
    let o = parse_object(body)?;
    let Some(tools) = opt_arr(&o, "tools", "")? else {
        return Ok(None);
    };
    let mut found = None;
    let mut named = None;
    for (i, t) in tools.iter().enumerate() {
        let path = idx("tools", i);
        match classify(as_obj(t, &path)?, &path)? {
            Tool::Search(options) => found = Some(options),
            Tool::Named => named = Some(path),
            Tool::Other => {}
        }
    }
    match (found, named) {
        (Some(_), Some(path)) => Err(clash(&path)),
        (found, _) => Ok(found),
    }
}

/// The name of a function tool (flat, or nested under `function`).
fn function_name(t: &Obj) -> Option<&str> {
    t.get("name")
        .or_else(|| t.get("function").and_then(|f| f.get("name")))
        .and_then(Value::as_str)
}

/// A client tool named like the server tool: the gateway could not tell their calls apart.
fn clash(path: &str) -> TranslateError {
    TranslateError::invalid(
        join(path, "name"),
        format!(
            "{path}: a client tool named `{}` cannot be sent next to the web search tool",
            super::TOOL_NAME
        ),
    )
}

fn domains(o: &Obj, key: &str, path: &str) -> Result<Vec<String>> {
    let Some(list) = opt_arr(o, key, path)? else {
        return Ok(Vec::new());
    };
    let lpath = join(path, key);
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            d.as_str()
                .map(normalize_domain)
                .filter(|d| !d.is_empty())
                .ok_or_else(|| crate::json::type_error(&idx(&lpath, i), "a domain name"))
        })
        .collect()
}

/// `https://Example.com/` → `example.com`; a path prefix is kept (`example.com/blog`).
fn normalize_domain(d: &str) -> String {
    let d = d.trim().to_ascii_lowercase();
    let d = d.split_once("://").map_or(d.as_str(), |(_, rest)| rest);
    d.trim_end_matches('/').to_owned()
}

/// `host/path` of an `http(s)` URL, lower-case host, no `www.`-stripping.
fn host_and_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r)?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

/// `example.com` matches `example.com` and its subdomains; `example.com/blog` also needs that path
/// prefix.
fn matches(target: &str, domain: &str) -> bool {
    let (dhost, dpath) = domain.split_once('/').unwrap_or((domain, ""));
    let (thost, tpath) = target.split_once('/').unwrap_or((target, ""));
    let host_ok = thost == dhost || thost.ends_with(&format!(".{dhost}"));
    host_ok && tpath.starts_with(dpath)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(allowed: &[&str], blocked: &[&str]) -> WebSearchOptions {
        WebSearchOptions {
            max_uses: 5,
            allowed_domains: allowed.iter().map(|d| normalize_domain(d)).collect(),
            blocked_domains: blocked.iter().map(|d| normalize_domain(d)).collect(),
        }
    }

    #[test]
    fn domain_lists_match_subdomains_and_path_prefixes() {
        let o = opts(&["Example.com", "https://docs.rs/tokio"], &[]);
        assert!(o.allows("https://example.com/a"));
        assert!(o.allows("https://www.example.com/"));
        assert!(!o.allows("https://badexample.com/"));
        assert!(o.allows("https://docs.rs/tokio/latest"));
        assert!(!o.allows("https://docs.rs/serde"));
        let o = opts(&[], &["example.com"]);
        assert!(!o.allows("http://user@sub.example.com:8080/x"));
        assert!(o.allows("https://rust-lang.org/"));
        assert!(!o.allows("not a url"));
    }

    #[test]
    fn anthropic_tool_settings_and_refusals() {
        let body = br#"{"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":99,
            "blocked_domains":["example.com"]}]}"#;
        let o = anthropic_options(body).unwrap().unwrap();
        assert_eq!(o.max_uses, MAX_USES_CAP);
        assert_eq!(o.blocked_domains, vec!["example.com"]);
        let later = br#"{"tools":[{"type":"web_search_20260209","name":"web_search"}]}"#;
        assert_eq!(
            anthropic_options(later).unwrap().unwrap(),
            WebSearchOptions::default()
        );
        assert_eq!(anthropic_options(br#"{"tools":[]}"#).unwrap(), None);
        let both = br#"{"tools":[{"type":"web_search_20250305","name":"web_search",
            "allowed_domains":["a.com"],"blocked_domains":["b.com"]}]}"#;
        assert!(
            anthropic_options(both)
                .unwrap_err()
                .to_string()
                .contains("not both")
        );
        let zero =
            br#"{"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":0}]}"#;
        assert_eq!(
            anthropic_options(zero).unwrap_err().param(),
            Some("tools[0].max_uses")
        );
        let alone = br#"{"tools":[{"name":"web_search","input_schema":{}}]}"#;
        assert_eq!(anthropic_options(alone).unwrap(), None);
        let clash = br#"{"tools":[{"name":"web_search","input_schema":{}},
            {"type":"web_search_20250305","name":"web_search"}]}"#;
        assert_eq!(
            anthropic_options(clash).unwrap_err().param(),
            Some("tools[0].name")
        );
    }

    #[test]
    fn responses_tool_settings_and_codex_cached_mode() {
        let body =
            br#"{"tools":[{"type":"web_search","filters":{"allowed_domains":["rust-lang.org"]}}]}"#;
        let o = responses_options(body).unwrap().unwrap();
        assert_eq!(o.allowed_domains, vec!["rust-lang.org"]);
        assert_eq!(o.max_uses, DEFAULT_MAX_USES);
        let preview = br#"{"tools":[{"type":"web_search_preview","search_context_size":"low"}]}"#;
        assert!(responses_options(preview).unwrap().is_some());
        let codex = br#"{"tools":[{"type":"web_search","external_web_access":false}]}"#;
        assert_eq!(responses_options(codex).unwrap(), None);
        let live = br#"{"tools":[{"type":"web_search","external_web_access":true}]}"#;
        assert!(responses_options(live).unwrap().is_some());
        let clash = br#"{"tools":[{"type":"web_search"},{"type":"function","name":"web_search"}]}"#;
        assert_eq!(
            responses_options(clash).unwrap_err().param(),
            Some("tools[1].name")
        );
    }
}
