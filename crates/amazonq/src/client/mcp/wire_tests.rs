//! Tests of the web-search wire code against the shapes peers captured (protocol doc).

use serde_json::{Value, json};

use super::*;

/// A live answer's shape (a peer's capture of 2026-08-05, titles and URLs replaced).
fn live_answer() -> Vec<u8> {
    let payload = json!({
        "results": [
            {"title": "Release dashboard", "url": "https://example.com/release", "snippet": "Go1.25.",
             "publishedDate": null, "id": "1", "domain": "example.com",
             "maxVerbatimWordLimit": 30, "publicDomain": true},
            {"title": "The language", "url": "https://example.org/doc", "snippet": "Version 1.26.",
             "publishedDate": 1_775_520_000_000_i64, "id": "2", "domain": "example.org",
             "maxVerbatimWordLimit": 30, "publicDomain": false}
        ],
        "totalResults": 2, "query": "latest release", "error": null
    });
    json!({"id": "x", "jsonrpc": "2.0",
           "result": {"content": [{"type": "text", "text": payload.to_string()}], "isError": false}})
    .to_string()
    .into_bytes()
}

#[test]
fn the_live_shape_reads_into_hits() {
    let r = parse_answer(&live_answer()).unwrap();
    assert_eq!(r.total_results, Some(2));
    assert_eq!(r.query.as_deref(), Some("latest release"));
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.hits[0].title, "Release dashboard");
    assert_eq!(r.hits[0].published_date, None);
    assert_eq!(r.hits[0].id.as_deref(), Some("1"));
    assert_eq!(r.hits[0].public_domain, Some(true));
    assert_eq!(
        r.hits[1].published_date.as_deref(),
        Some("2026-04-07T00:00:00Z")
    );
    assert_eq!(r.hits[1].domain.as_deref(), Some("example.org"));
    assert_eq!(r.hits[1].max_verbatim_word_limit, Some(30));
}

#[test]
fn the_request_body_is_tools_call_with_the_arn_at_the_root() {
    let body = call_body("id-1", "rust async", Some("arn:x")).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"id": "id-1", "jsonrpc": "2.0", "method": "tools/call",
               "params": {"name": "web_search", "arguments": {"query": "rust async"}},
               "profileArn": "arn:x"})
    );
    let v: Value = serde_json::from_slice(&call_body("i", "q", None).unwrap()).unwrap();
    assert!(v.get("profileArn").is_none());
}

fn tool_failure(body: &Value) -> McpError {
    match parse_answer(body.to_string().as_bytes()) {
        Err(Failure::Tool(e)) => e,
        other => panic!("expected a tool failure, got {other:?}"),
    }
}

#[test]
fn json_rpc_errors_and_is_error_results_are_classified() {
    let rpc = |code: i64, message: &str| {
        tool_failure(
            &json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}),
        )
    };
    assert_eq!(
        rpc(-32601, "Method not found").kind,
        McpErrorKind::MethodNotFound
    );
    assert_eq!(
        rpc(-32602, "Unknown tool: x").kind,
        McpErrorKind::UnknownTool
    );
    assert_eq!(
        rpc(-32602, "query is empty").kind,
        McpErrorKind::InvalidParams
    );
    assert_eq!(rpc(-32603, "Internal error").kind, McpErrorKind::Internal);
    assert_eq!(rpc(-32000, "Rate exceeded").kind, McpErrorKind::Throttled);
    assert_eq!(
        rpc(-32700, "Parse error").kind,
        McpErrorKind::InvalidRequest
    );
    let e = rpc(-32000, "Rate exceeded");
    assert_eq!(e.code, Some(-32000));
    assert!(matches!(e.class(), ErrorClass::Throttled { .. }));

    let not_entitled = tool_failure(&json!({"jsonrpc": "2.0", "id": 1, "result": {
        "content": [{"type": "text", "text": "Web search is not available for this account"}],
        "isError": true}}));
    assert_eq!(not_entitled.kind, McpErrorKind::NotEntitled);
    assert_eq!(not_entitled.code, None);
    let class = not_entitled.class();
    assert!(matches!(class, ErrorClass::BadRequest { .. }), "{class:?}");
    assert!(!class.is_retryable());

    let bare = tool_failure(&json!({"result": {"content": [], "isError": true}}));
    assert_eq!(bare.kind, McpErrorKind::Internal);
    assert!(bare.message.contains("reported an error"));
    assert_eq!(bare.class(), ErrorClass::Transient);

    let payload_error = tool_failure(&json!({"result": {"content": [
        {"type": "text", "text": "{\"results\":[],\"error\":\"profileArn is required for this request.\"}"}
    ]}}));
    assert_eq!(payload_error.kind, McpErrorKind::ProfileRejected);
    assert_eq!(payload_error.class(), ErrorClass::ProfileRejected);
}

#[test]
fn keywords_map_to_account_classes() {
    assert_eq!(
        classify(None, "The bearer token included in the request is invalid."),
        McpErrorKind::Unauthorized
    );
    assert_eq!(
        McpError::classified(
            None,
            "The bearer token included in the request is invalid.".into()
        )
        .class(),
        ErrorClass::NeedsRefresh
    );
    assert_eq!(
        classify(Some(-32000), "User is not authorized to make this call."),
        McpErrorKind::ProfileRejected
    );
    assert_eq!(
        classify(None, "Your subscription does not include this"),
        McpErrorKind::NotEntitled
    );
    assert_eq!(classify(None, "something new"), McpErrorKind::Internal);
}

#[test]
fn answers_that_are_not_the_documented_shape_are_decode_failures() {
    let decode = |body: &[u8]| matches!(parse_answer(body), Err(Failure::Decode(_)));
    assert!(decode(b"not json"));
    assert!(decode(b"{\"jsonrpc\":\"2.0\",\"id\":1}"));
    assert!(decode(br#"{"result":{"content":[],"isError":false}}"#));
    assert!(decode(
        br#"{"result":{"content":[{"type":"text","text":"plain words"}]}}"#
    ));
    assert!(decode(
        br#"{"result":{"content":[{"type":"text","text":"{\"results\":7}"}]}}"#
    ));
    assert!(decode(
        br#"{"result":{"content":[{"type":"text","text":"[]"}]}}"#
    ));
}

#[test]
fn hits_without_url_are_skipped_and_untitled_ones_take_the_url() {
    let payload = json!({"results": [
        {"title": "no url"},
        {"url": "https://example.net/a", "publishedDate": "2026-01-02"},
        {"url": "https://example.net/b", "id": 7}
    ]});
    let body = json!({"result": {"content": [{"type": "text", "text": payload.to_string()}]}});
    let r = parse_answer(body.to_string().as_bytes()).unwrap();
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.hits[0].title, "https://example.net/a");
    assert_eq!(r.hits[0].published_date.as_deref(), Some("2026-01-02"));
    assert_eq!(r.hits[1].id.as_deref(), Some("7"));
    assert_eq!(r.total_results, None);
}
