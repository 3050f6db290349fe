//! The built-in alias table: the original design's four names, Anthropic's names for today's
//! upstream ids (kiro-2026-endpoints.md §5: Opus 4.5–4.8, 5, 5.5; Sonnet 4.5, 4.6, 5, 5.5;
//! Haiku 4.5; `auto`), then compatibility names (Claude 3.x, older spellings) mapped onto them.
//! Dated and dotted spellings need no rows: [`super::canonical`] folds them onto these.

use super::ModelEntry;
use crate::ir::Effort;

/// Upstream ids of each family, newest first (§5). A request resolved to one of them may be
/// served by a later (older) one when no account offers it.
pub(super) const FAMILIES: &[&[&str]] = &[
    &[
        "claude-opus-5.5",
        "claude-opus-5",
        "claude-opus-4.8",
        "claude-opus-4.7",
        "claude-opus-4.6",
        "claude-opus-4.5",
    ],
    &[
        "claude-sonnet-5.5",
        "claude-sonnet-5",
        "claude-sonnet-4.6",
        "claude-sonnet-4.5",
        "claude-sonnet-4",
    ],
    &["claude-haiku-4.5"],
];

/// Upstream ids with a 1 M-token window (Kiro#7549 for Opus 4.7; §7: Opus 5 passes 800 k
/// tokens; the 4.6 generation per kirors `get_context_window_size`). Others: 200 000.
pub(super) const MILLION_WINDOW: &[&str] = &[
    "claude-opus-5.5",
    "claude-opus-5",
    "claude-opus-4.8",
    "claude-opus-4.7",
    "claude-opus-4.6",
    "claude-sonnet-5.5",
    "claude-sonnet-5",
    "claude-sonnet-4.6",
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

const S4: i64 = 1_747_785_600; // 2025-05-21
const S45: i64 = 1_759_104_000; // 2025-09-29
const H45: i64 = 1_760_486_400; // 2025-10-15
const O45: i64 = 1_763_942_400; // 2025-11-24
const O46: i64 = 1_770_249_600; // 2026-02-05
const S46: i64 = 1_771_286_400; // 2026-02-17
const O47: i64 = 1_776_297_600; // 2026-04-16
const O48: i64 = 1_780_272_000; // 2026-06-01
const S5: i64 = 1_783_036_800; // 2026-07-03
const O5: i64 = 1_785_024_000; // 2026-07-26
const G55: i64 = 1_790_985_600; // 2026-10-03 (Opus 5.5, Sonnet 5.5)

/// `(public id, upstream id, display name, created, listed)` of the rows without implied thinking.
const PLAIN: &[(&str, &str, &str, i64, bool)] = &[
    // The original design's plain names.
    (
        "claude-sonnet-4.5",
        "claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        S45,
        true,
    ),
    (
        "claude-sonnet-3.5",
        "claude-sonnet-4.5",
        "Claude Sonnet 3.5 (served by Sonnet 4.5)",
        S45,
        true,
    ),
    // Anthropic's names of today's upstream ids.
    (
        "claude-opus-5-5",
        "claude-opus-5.5",
        "Claude Opus 5.5",
        G55,
        true,
    ),
    ("claude-opus-5", "claude-opus-5", "Claude Opus 5", O5, true),
    (
        "claude-opus-4-8",
        "claude-opus-4.8",
        "Claude Opus 4.8",
        O48,
        true,
    ),
    (
        "claude-opus-4-7",
        "claude-opus-4.7",
        "Claude Opus 4.7",
        O47,
        true,
    ),
    (
        "claude-opus-4-6",
        "claude-opus-4.6",
        "Claude Opus 4.6",
        O46,
        true,
    ),
    (
        "claude-opus-4-5",
        "claude-opus-4.5",
        "Claude Opus 4.5",
        O45,
        true,
    ),
    (
        "claude-sonnet-5-5",
        "claude-sonnet-5.5",
        "Claude Sonnet 5.5",
        G55,
        true,
    ),
    (
        "claude-sonnet-5",
        "claude-sonnet-5",
        "Claude Sonnet 5",
        S5,
        true,
    ),
    (
        "claude-sonnet-4-6",
        "claude-sonnet-4.6",
        "Claude Sonnet 4.6",
        S46,
        true,
    ),
    (
        "claude-sonnet-4-5",
        "claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        S45,
        true,
    ),
    (
        "claude-sonnet-4",
        "claude-sonnet-4",
        "Claude Sonnet 4",
        S4,
        true,
    ),
    (
        "claude-haiku-4-5",
        "claude-haiku-4.5",
        "Claude Haiku 4.5",
        H45,
        true,
    ),
    // The upstream's own router (§5).
    (
        "auto",
        "auto",
        "Auto (the upstream picks the model)",
        S45,
        true,
    ),
    // Compatibility names.
    (
        "claude-3-7-sonnet",
        "claude-3.7-sonnet",
        "Claude Sonnet 3.7",
        S4,
        false,
    ),
    (
        "claude-3-5-sonnet",
        "claude-sonnet-4.5",
        "Claude Sonnet 3.5",
        S45,
        false,
    ),
    (
        "claude-3-5-haiku",
        "claude-haiku-4.5",
        "Claude Haiku 3.5",
        H45,
        false,
    ),
    (
        "claude-4-sonnet",
        "claude-sonnet-4",
        "Claude Sonnet 4",
        S4,
        false,
    ),
    (
        "claude-opus-4",
        "claude-opus-4.5",
        "Claude Opus 4",
        O45,
        false,
    ),
    (
        "claude-opus-4-1",
        "claude-opus-4.5",
        "Claude Opus 4.1",
        O45,
        false,
    ),
];

/// The built-in table: the original's effort names first (their effort is native where the
/// catalog allows it, emulated otherwise), then [`PLAIN`].
pub(super) fn builtin() -> Vec<ModelEntry> {
    let mut rows = vec![
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
            Some(Effort::Low),
        ),
    ];
    rows.extend(
        PLAIN.iter().map(|(id, up, display, created, listed)| {
            row(id, up, display, *created, *listed, None)
        }),
    );
    rows
}
