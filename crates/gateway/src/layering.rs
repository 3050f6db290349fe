//! The floors of the gateway import downhill only: nothing under `pool/`, `guard/` or `fleet/`
//! may import `crate::api` (issue 19; ARCHITECTURE.md layering). This test reads the sources,
//! so a new upward import fails `cargo test` instead of waiting for a review.

use std::path::{Path, PathBuf};

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

#[test]
fn lower_floors_do_not_import_api() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for floor in ["pool", "guard", "fleet"] {
        rust_files(&src.join(floor), &mut files);
    }
    assert!(
        files.len() > 20,
        "the floors were not found under {}",
        src.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    let code = l.split("//").next().unwrap_or_default();
                    code.contains("crate::api") || code.contains("super::super::api")
                })
                .map(|(n, l)| format!("{}:{}: {}", f.display(), n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "upward imports:\n{}",
        offenders.join("\n")
    );
}
