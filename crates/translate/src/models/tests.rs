//! Alias-table resolution cases (protocol doc §6.2 recipes, client doc §2.9 Claude Code names).

use super::builtin::row;
use super::*;

fn up(name: &str) -> String {
    ModelTable::default()
        .resolve(name)
        .map_or_else(|e| format!("ERR {e}"), |r| r.upstream_id)
}

#[test]
fn original_names_resolve() {
    assert_eq!(up("claude-4.5-opus-high"), "claude-opus-4.5");
    assert_eq!(up("claude-4.5-opus-low"), "claude-opus-4.5");
    assert_eq!(up("claude-sonnet-4.5"), "claude-sonnet-4.5");
    assert_eq!(up("claude-sonnet-3.5"), "claude-sonnet-4.5");
}

#[test]
fn anthropic_dated_and_dashed_forms() {
    assert_eq!(up("claude-sonnet-4-5-20250929"), "claude-sonnet-4.5");
    assert_eq!(up("claude-opus-4-5-20251101"), "claude-opus-4.5");
    assert_eq!(up("claude-haiku-4-5-20251001"), "claude-haiku-4.5");
    assert_eq!(up("claude-sonnet-4-20250514"), "claude-sonnet-4");
    assert_eq!(up("claude-3-7-sonnet-latest"), "claude-3.7-sonnet");
    assert_eq!(up("claude-3-5-sonnet-20241022"), "claude-sonnet-4.5");
    assert_eq!(up("Claude-Sonnet-4.5"), "claude-sonnet-4.5");
    assert_eq!(
        up("anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "claude-sonnet-4.5"
    );
    assert_eq!(up("claude-sonnet-4-5[1m]"), "claude-sonnet-4.5");
}

#[test]
fn claude_code_defaults_resolve() {
    assert_eq!(up("claude-opus-4-8"), "claude-opus-4.8");
    assert_eq!(up("claude-opus-5-5"), "claude-opus-4.8");
}

#[test]
fn thinking_suffix_and_effort_entries() {
    let t = ModelTable::default();
    let r = t.resolve("claude-sonnet-4-5-thinking").unwrap();
    assert_eq!(r.upstream_id, "claude-sonnet-4.5");
    assert!(matches!(r.thinking, Some(Thinking::Enabled { .. })));
    assert_eq!(
        t.resolve("claude-4.5-opus-high").unwrap().thinking,
        Some(Thinking::Adaptive {
            effort: Effort::High
        })
    );
    assert_eq!(t.resolve("claude-4.5-opus-low").unwrap().thinking, None);
    assert_eq!(t.resolve("claude-sonnet-4.5").unwrap().thinking, None);
}

#[test]
fn unknown_is_not_found_or_fallback() {
    let t = ModelTable::default();
    assert_eq!(
        t.resolve("gpt-4o"),
        Err(TranslateError::ModelNotFound {
            model: "gpt-4o".into()
        })
    );
    let t = t.with_fallback(Some("claude-sonnet-4.5".into()));
    assert_eq!(
        t.resolve("gpt-4o").unwrap().upstream_id,
        "claude-sonnet-4.5"
    );
}

#[test]
fn configured_alias_wins() {
    let rows = vec![row(
        "my-opus-alias",
        "claude-opus-4.6",
        "Mine",
        0,
        false,
        None,
    )];
    let t = ModelTable::new(rows, true, None);
    assert_eq!(
        t.resolve("my-opus-alias").unwrap().upstream_id,
        "claude-opus-4.6"
    );
    assert_eq!(
        t.resolve("claude-sonnet-4.5").unwrap().upstream_id,
        "claude-sonnet-4.5"
    );
}

#[test]
fn listed_ids_start_with_claude() {
    let t = ModelTable::default();
    let l = t.listed();
    assert!(l.len() >= 4);
    assert!(l.iter().all(|e| e.id.starts_with("claude")));
}

#[test]
fn candidates_fall_back_within_the_family() {
    let t = ModelTable::default();
    let c = |name: &str| t.resolve(name).map(|r| r.candidates).unwrap_or_default();
    assert_eq!(
        c("claude-opus-5-5"),
        [
            "claude-opus-4.8",
            "claude-opus-4.7",
            "claude-opus-4.6",
            "claude-opus-4.5"
        ]
    );
    assert_eq!(c("claude-opus-4-6"), ["claude-opus-4.6", "claude-opus-4.5"]);
    assert_eq!(
        c("claude-sonnet-4-6"),
        ["claude-sonnet-4.6", "claude-sonnet-4.5", "claude-sonnet-4"]
    );
    assert_eq!(c("claude-sonnet-4-20250514"), ["claude-sonnet-4"]);
    assert_eq!(c("claude-haiku-4-5"), ["claude-haiku-4.5"]);
    // Outside every family: only the id itself.
    assert_eq!(c("claude-3-7-sonnet"), ["claude-3.7-sonnet"]);
    let r = t
        .resolve("claude-opus-5-5")
        .map(|r| r.with_upstream("claude-opus-4.6"));
    assert_eq!(
        r.map(|r| r.upstream_id).ok().as_deref(),
        Some("claude-opus-4.6")
    );
}

#[test]
fn fallback_candidates_follow_the_configured_fallback() {
    let t = ModelTable::default().with_fallback(Some("claude-sonnet-4.5".into()));
    let r = t
        .resolve("gpt-4o")
        .map(|r| r.candidates)
        .unwrap_or_default();
    assert_eq!(r, ["claude-sonnet-4.5", "claude-sonnet-4"]);
}
