//! The built-in alias table (original design names, §6.1 upstream ids, Claude Code defaults).

use super::ModelEntry;
use crate::ir::Effort;

/// Upstream ids of each family, newest first (§6.1). A request resolved to one of them may be
/// served by a later (older) one when no account offers it.
pub(super) const FAMILIES: &[&[&str]] = &[
    &[
        "claude-opus-4.8",
        "claude-opus-4.7",
        "claude-opus-4.6",
        "claude-opus-4.5",
    ],
    &["claude-sonnet-4.6", "claude-sonnet-4.5", "claude-sonnet-4"],
    &["claude-haiku-4.5"],
];

pub(super) fn row(
    id: &str,
    upstream: &str,
    display: &str,
    created: i64,
    listed: bool,
    thinking: Option<Effort>,
) -> ModelEntry {
    ModelEntry {
        id: id.to_owned(),
        upstream_id: upstream.to_owned(),
        display_name: display.to_owned(),
        created,
        listed,
        thinking,
    }
}

/// The built-in table: the original design's names first, then Anthropic's names for the models seen
/// upstream (§6.1), then compatibility names (Claude 3.x, Claude Code defaults) mapped onto them.
pub(super) fn builtin() -> Vec<ModelEntry> {
    const S45: i64 = 1_759_104_000; // 2025-09-29
    const O45: i64 = 1_763_942_400; // 2025-11-24
    const H45: i64 = 1_760_486_400; // 2025-10-15
    const S4: i64 = 1_747_785_600; // 2025-05-21
    vec![
        row(
            "claude-4.5-opus-high",
            "claude-opus-4.5",
            "Claude Opus 4.5 (high effort)",
            O45,
            true,
            Some(Effort::High),
        ),
        row(
            "claude-4.5-opus-low",
            "claude-opus-4.5",
            "Claude Opus 4.5 (low cost)",
            O45,
            true,
            None,
        ),
        row(
            "claude-sonnet-4.5",
            "claude-sonnet-4.5",
            "Claude Sonnet 4.5",
            S45,
            true,
            None,
        ),
        row(
            "claude-sonnet-3.5",
            "claude-sonnet-4.5",
            "Claude Sonnet 3.5 (served by Sonnet 4.5)",
            S45,
            true,
            None,
        ),
        row(
            "claude-opus-4-5",
            "claude-opus-4.5",
            "Claude Opus 4.5",
            O45,
            true,
            None,
        ),
        row(
            "claude-sonnet-4-5",
            "claude-sonnet-4.5",
            "Claude Sonnet 4.5",
            S45,
            true,
            None,
        ),
        row(
            "claude-haiku-4-5",
            "claude-haiku-4.5",
            "Claude Haiku 4.5",
            H45,
            true,
            None,
        ),
        row(
            "claude-sonnet-4",
            "claude-sonnet-4",
            "Claude Sonnet 4",
            S4,
            true,
            None,
        ),
        row(
            "claude-sonnet-4-6",
            "claude-sonnet-4.6",
            "Claude Sonnet 4.6",
            S45,
            true,
            None,
        ),
        row(
            "claude-opus-4-6",
            "claude-opus-4.6",
            "Claude Opus 4.6",
            O45,
            true,
            None,
        ),
        row(
            "claude-opus-4-7",
            "claude-opus-4.7",
            "Claude Opus 4.7",
            O45,
            false,
            None,
        ),
        row(
            "claude-opus-4-8",
            "claude-opus-4.8",
            "Claude Opus 4.8",
            O45,
            false,
            None,
        ),
        // Claude Code 2.1.332's default; no upstream id is known, so the newest known Opus serves it.
        row(
            "claude-opus-5-5",
            "claude-opus-4.8",
            "Claude Opus (Claude Code default)",
            O45,
            false,
            None,
        ),
        row(
            "claude-3-7-sonnet",
            "claude-3.7-sonnet",
            "Claude Sonnet 3.7",
            S4,
            false,
            None,
        ),
        row(
            "claude-3-5-sonnet",
            "claude-sonnet-4.5",
            "Claude Sonnet 3.5",
            S45,
            false,
            None,
        ),
        row(
            "claude-3-5-haiku",
            "claude-haiku-4.5",
            "Claude Haiku 3.5",
            H45,
            false,
            None,
        ),
        row(
            "claude-4-sonnet",
            "claude-sonnet-4",
            "Claude Sonnet 4",
            S4,
            false,
            None,
        ),
        row(
            "claude-opus-4",
            "claude-opus-4.5",
            "Claude Opus 4",
            O45,
            false,
            None,
        ),
        row(
            "claude-opus-4-1",
            "claude-opus-4.5",
            "Claude Opus 4.1",
            O45,
            false,
            None,
        ),
    ]
}
