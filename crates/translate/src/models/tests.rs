//! Alias-table resolution cases (protocol doc §6.2 recipes, client doc §2.9 Claude Code names).

use super::builtin::row;
use super::*;

fn up(name: &str) -> String {
    ModelTable::default()
        .resolve(name)
        .map_or_else(|e| format!("ERR {e}"), |r| r.upstream_id)
}

#[test]
fn original_and_anthropic_forms_resolve() {
    let cases = [
        // The original names.
        ("claude-4.5-opus-high", "claude-opus-4.5"),
        ("claude-4.5-opus-low", "claude-opus-4.5"),
        ("claude-sonnet-4.5", "claude-sonnet-4.5"),
        ("claude-sonnet-3.5", "claude-sonnet-4.5"),
        // Anthropic's dated and dashed forms.
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5"),
        ("claude-opus-4-5-20251101", "claude-opus-4.5"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4.5"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-3-7-sonnet-latest", "claude-3.7-sonnet"),
        ("claude-3-5-sonnet-20241022", "claude-sonnet-4.5"),
        ("Claude-Sonnet-4.5", "claude-sonnet-4.5"),
        (
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4.5",
        ),
        ("claude-sonnet-4-5[1m]", "claude-sonnet-4.5"),
    ];
    for (name, upstream) in cases {
        assert_eq!(up(name), upstream, "{name}");
    }
}

#[test]
fn claude_code_defaults_resolve() {
    assert_eq!(up("claude-opus-4-8"), "claude-opus-4.8");
    assert_eq!(up("claude-opus-5-5"), "claude-opus-5.5");
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
    assert_eq!(
        t.resolve("claude-4.5-opus-low").unwrap().thinking,
        Some(Thinking::Adaptive {
            effort: Effort::Low
        })
    );
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
    assert!(
        l.iter()
            .all(|e| e.id.starts_with("claude") || e.id == "auto")
    );
}

#[test]
fn candidates_fall_back_within_the_family() {
    let t = ModelTable::default();
    let c = |name: &str| t.resolve(name).map(|r| r.candidates).unwrap_or_default();
    assert_eq!(
        c("claude-opus-5-5"),
        [
            "claude-opus-5.5",
            "claude-opus-5",
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
    assert_eq!(
        c("claude-sonnet-5"),
        [
            "claude-sonnet-5",
            "claude-sonnet-4.6",
            "claude-sonnet-4.5",
            "claude-sonnet-4"
        ]
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

#[test]
fn todays_ids_in_every_spelling() {
    for (name, want) in [
        ("claude-opus-4-6", "claude-opus-4.6"),
        ("claude-opus-4.6", "claude-opus-4.6"),
        ("claude-opus-4-7-20260416", "claude-opus-4.7"),
        ("claude-opus-4-8", "claude-opus-4.8"),
        ("claude-opus-5", "claude-opus-5"),
        ("claude-opus-5-20260726", "claude-opus-5"),
        ("claude-opus-5-5", "claude-opus-5.5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5"),
        ("claude-sonnet-4-6", "claude-sonnet-4.6"),
        ("claude-sonnet-5", "claude-sonnet-5"),
        ("claude-sonnet-5.5", "claude-sonnet-5.5"),
        ("claude-haiku-4-5", "claude-haiku-4.5"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4.5"),
        ("auto", "auto"),
    ] {
        assert_eq!(up(name), want, "{name}");
    }
    let listed: Vec<String> = ModelTable::default()
        .listed()
        .iter()
        .map(|e| e.id.clone())
        .collect();
    for id in [
        "claude-4.5-opus-high",
        "claude-4.5-opus-low",
        "claude-sonnet-4.5",
        "claude-sonnet-3.5",
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "claude-haiku-4-5",
        "auto",
    ] {
        assert!(listed.iter().any(|l| l == id), "{id} not listed");
    }
}

#[test]
fn windows_of_the_built_in_table() {
    assert_eq!(context_window("claude-opus-4.6"), 1_000_000);
    assert_eq!(context_window("claude-opus-5"), 1_000_000);
    assert_eq!(context_window("claude-sonnet-4.6-1m"), 1_000_000);
    assert_eq!(context_window("claude-sonnet-4.5"), 200_000);
    assert_eq!(context_window("claude-haiku-4.5"), 200_000);
    assert_eq!(context_window("deepseek-3.2"), 200_000);
}

fn cat(models: &[(&str, Option<u32>)]) -> Catalog {
    Catalog::new(models.iter().map(|(id, window)| CatalogModel {
        max_input_tokens: *window,
        ..CatalogModel::id_only(*id)
    }))
}

#[test]
fn catalog_models_outside_the_table_are_served_under_their_own_ids() {
    let t = ModelTable::default();
    let c = cat(&[
        ("claude-sonnet-4.5", Some(200_000)),
        ("deepseek-3.2", Some(128_000)),
        ("glm-5", None),
        ("minimax-m2.1", None),
    ]);
    let r = t.resolve_with("deepseek-3.2", &c).unwrap();
    assert_eq!(
        (r.upstream_id.as_str(), r.max_input_tokens()),
        ("deepseek-3.2", 128_000)
    );
    assert_eq!(r.candidates, ["deepseek-3.2"]);
    assert_eq!(
        t.resolve_with("DeepSeek-3-2", &c).unwrap().upstream_id,
        "deepseek-3.2"
    );
    assert_eq!(
        t.resolve_with("minimax-m2-1", &c).unwrap().upstream_id,
        "minimax-m2.1"
    );
    // Without the catalog they are unknown; a table name keeps working either way.
    assert!(t.resolve("glm-5").is_err());
    assert_eq!(t.resolve_with("glm-5", &c).unwrap().upstream_id, "glm-5");
    let s = t.resolve_with("claude-sonnet-4-5", &c).unwrap();
    assert_eq!(s.catalog.and_then(|m| m.max_input_tokens), Some(200_000));
}

#[test]
fn catalog_moves_candidates_to_the_first_offered_id() {
    let t = ModelTable::default();
    let c = cat(&[("claude-opus-4.7", None), ("claude-opus-4.6", None)]);
    let r = t.resolve_with("claude-opus-5-5", &c).unwrap();
    assert_eq!(r.upstream_id, "claude-opus-4.7");
    assert_eq!(
        r.candidates,
        ["claude-opus-4.7", "claude-opus-4.6", "claude-opus-4.5"]
    );
    assert_eq!(r.max_input_tokens(), 1_000_000);
    // No candidate offered: all kept, the upstream judges.
    let none = cat(&[("glm-5", None)]);
    assert_eq!(
        t.resolve_with("claude-haiku-4-5", &none)
            .unwrap()
            .candidates,
        ["claude-haiku-4.5"]
    );
}

#[test]
fn listing_follows_the_catalog() {
    let t = ModelTable::default();
    let ids = |c: &Catalog| -> Vec<String> { t.listed_with(c).into_iter().map(|e| e.id).collect() };
    // Unknown catalog: the built-in listing.
    assert_eq!(ids(&Catalog::default()).len(), t.listed().len());
    let c = Catalog::new([
        CatalogModel {
            display_name: Some("DeepSeek 3.2".into()),
            ..CatalogModel::id_only("deepseek-3.2")
        },
        CatalogModel::id_only("claude-sonnet-4.5"),
        CatalogModel::id_only("claude-3.7-sonnet"),
    ]);
    let l = ids(&c);
    assert!(l.contains(&"claude-sonnet-4.5".to_owned()));
    assert!(l.contains(&"claude-sonnet-3.5".to_owned()));
    assert!(l.contains(&"deepseek-3.2".to_owned()));
    assert!(l.contains(&"claude-3.7-sonnet".to_owned()));
    assert!(!l.iter().any(|i| i.contains("opus")), "{l:?}");
    let d = t.find_with("deepseek-3.2", &c).unwrap();
    assert_eq!(d.display_name, "DeepSeek 3.2");
    assert!(t.find_with("glm-5", &c).is_none());
}

#[test]
fn union_keeps_the_largest_limits_and_a_schema() {
    let schema = effort::EffortSchema {
        style: effort::NativeStyle::Claude,
        allowed: vec![Effort::Low, Effort::High],
    };
    let a = Catalog::new([CatalogModel {
        max_input_tokens: Some(200_000),
        ..CatalogModel::id_only("claude-opus-4.6")
    }]);
    let b = Catalog::new([
        CatalogModel {
            max_input_tokens: Some(1_000_000),
            effort: Some(schema.clone()),
            ..CatalogModel::id_only("claude-opus-4.6")
        },
        CatalogModel::id_only("glm-5"),
    ]);
    let u = Catalog::union([&a, &b]);
    assert_eq!(u.len(), 2);
    let m = u.get("claude-opus-4.6").unwrap();
    assert_eq!(
        (m.max_input_tokens, m.effort.as_ref()),
        (Some(1_000_000), Some(&schema))
    );
    assert!(u.find("GLM-5").is_some());
}
