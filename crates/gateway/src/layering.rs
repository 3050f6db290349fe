//! The floors of the gateway import downhill only (issue 19; crates/gateway/README.md has the
//! graph). This test reads the sources, so a new upward import fails `cargo test` instead of
//! waiting for a review.
//!
//! Floors, bottom first: the leaves (`error`, `change`, `limits`, `tasks`, `signal`) and
//! `config` → `pool`, `guard`, `metrics` → `fleet` (re-implements the pool's seams), `auth` →
//! `state` (composes them) → `api` → `lib.rs`. Every path a file names that starts at the crate root (`crate::x`,
//! `crate::{x, y}`, or a `super::` chain that climbs out of its floor) is resolved to its top
//! module and checked against the floor's forbidden list.

use std::path::{Path, PathBuf};

/// Each floor (a top module: its file and folder) and the top modules it must not import.
const RULES: &[(&str, &[&str])] = &[
    ("error", LEAF),
    ("change", LEAF),
    ("limits", LEAF),
    ("tasks", LEAF),
    ("signal", LEAF),
    (
        "config",
        &["api", "state", "pool", "guard", "fleet", "auth", "metrics"],
    ),
    (
        "pool",
        &["api", "state", "guard", "fleet", "auth", "metrics"],
    ),
    (
        "guard",
        &["api", "state", "pool", "fleet", "auth", "metrics"],
    ),
    (
        "metrics",
        &["api", "state", "pool", "guard", "fleet", "auth"],
    ),
    ("fleet", &["api", "state", "guard", "auth", "metrics"]),
    ("auth", &["api", "state", "pool", "fleet"]),
    ("state", &["api"]),
];

/// What the leaves must not import: every other part of the gateway.
const LEAF: &[&str] = &[
    "api", "state", "pool", "guard", "fleet", "auth", "metrics", "config", "change", "limits",
    "tasks", "signal",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of `file` under `src` (`pool/doctor/calls.rs` → `[pool, doctor, calls]`,
/// `pool/mod.rs` → `[pool]`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top modules a line of code names through a path from the crate root: `crate::x…`,
/// `crate::{x, y…}`, and `super::…` chains resolved from `module` (the file's module path).
fn top_modules(code: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // Top-level names of the group only (`crate::{a::{b, c}, d}` → a, d).
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident(&group[i..]).to_owned());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(after).to_owned());
        }
        rest = after;
    }
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let mut after = &rest[at..];
        let mut ups = 0;
        while let Some(next) = after.strip_prefix("super::") {
            ups += 1;
            after = next;
        }
        // `super` from a file's module is its parent; each more `super` one more level up.
        let base = module.len().saturating_sub(ups);
        found.push(if base == 0 {
            ident(after).to_owned()
        } else {
            module[0].clone()
        });
        rest = after;
    }
    found
}

/// Upward imports of the files of every floor in [`RULES`], as `file:line: text`.
fn upward_imports(src: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut offenders = Vec::new();
    for (floor, forbidden) in RULES {
        let mut files = Vec::new();
        let file = src.join(format!("{floor}.rs"));
        if file.exists() {
            files.push(file);
        }
        rust_files(&src.join(floor), &mut files);
        checked += files.len();
        for f in &files {
            let module = module_path(src, f);
            let text = std::fs::read_to_string(f).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for top in top_modules(code, &module) {
                    if forbidden.contains(&top.as_str()) {
                        offenders.push(format!(
                            "{}:{}: {floor} imports {top}: {}",
                            f.display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    (checked, offenders)
}

#[test]
fn floors_import_downhill_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (checked, offenders) = upward_imports(&src);
    assert!(
        checked > 40,
        "the floors were not found under {}",
        src.display()
    );
    assert!(
        offenders.is_empty(),
        "upward imports:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn paths_resolve_to_their_top_module() {
    let m = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let pool_send = m(&["pool", "send"]);
    assert_eq!(top_modules("use crate::api::chat;", &pool_send), ["api"]);
    assert_eq!(
        top_modules("use crate::{state::AppState, error::Error};", &pool_send),
        ["state", "error"]
    );
    assert_eq!(
        top_modules("use crate::{api::{a, b}, c};", &pool_send),
        ["api", "c"]
    );
    // `super::` inside the floor stays in it; a chain out of it names the crate's module.
    assert_eq!(top_modules("use super::slot::Slot;", &pool_send), ["pool"]);
    assert_eq!(
        top_modules("use super::super::api::x;", &pool_send),
        ["api"]
    );
    assert_eq!(
        top_modules("use super::super::x;", &m(&["pool", "doctor", "calls"])),
        ["pool"]
    );
    assert!(top_modules("let x = a::b;", &pool_send).is_empty());
}

#[test]
fn an_upward_import_is_caught() {
    // A copy of the tree with one forbidden edge per rule kind added must fail (the probe that
    // the check can fail at all).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir = std::env::temp_dir().join(format!("layering-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let copy = |from: &str, extra: &str| {
        let text = std::fs::read_to_string(src.join(from)).unwrap_or_default();
        let to = dir.join(from);
        std::fs::create_dir_all(to.parent().unwrap_or(&dir)).ok();
        std::fs::write(&to, format!("{text}\n{extra}\n")).ok();
    };
    copy("config.rs", "use crate::pool::PoolConfig;");
    copy("pool/mod.rs", "use crate::state::AppState;");
    copy("guard/body.rs", "use crate::api::dialect_error;");
    copy("fleet/mod.rs", "use crate::{guard::Guards, error::Error};");
    copy("change.rs", "use crate::config::Config;");
    let (_, offenders) = upward_imports(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    for want in [
        "config imports pool",
        "pool imports state",
        "guard imports api",
        "fleet imports guard",
        "change imports config",
    ] {
        assert!(
            offenders.iter().any(|o| o.contains(want)),
            "{want} not caught: {offenders:?}"
        );
    }
}
