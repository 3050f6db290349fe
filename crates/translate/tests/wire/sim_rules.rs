//! The simulator's validator (amazon-q-protocol.md §8.4 stage 3: schema + R1–R21, Addendum) reports
//! zero violations for every translated body in the snapshot matrix, for both upstream dialects
//! (issue 10 "Must show": "the simulator reports zero rule violations for all of them").

use crate::common;
use std::collections::BTreeMap;

use amazonq_sim::validate::{CheckCtx, RuleSet, check};
use amazonq_sim::{AuthKind, Dialect};
use serde_json::Value;

fn bodies() -> Vec<(String, Value)> {
    let dir = common::snapshot_path("upstream");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            doc["body"].clone(),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_snapshot_body_passes_the_simulator() {
    let rules = RuleSet::new(&BTreeMap::new());
    let all = bodies();
    assert!(
        all.len() >= 11,
        "the snapshot matrix is present ({} files)",
        all.len()
    );
    for (name, body) in all {
        for dialect in [Dialect::Q, Dialect::Kiro] {
            let v = check(
                &body,
                &rules,
                CheckCtx {
                    dialect,
                    auth_kind: AuthKind::BuilderId,
                },
            );
            assert!(v.is_empty(), "{name} ({dialect:?}): {v:#?}");
        }
    }
}

#[test]
fn the_simulator_does_catch_a_broken_body() {
    // Guard against a vacuous pass: an assistant turn with an unanswered tool use must be flagged.
    let (_, mut body) = bodies()
        .into_iter()
        .find(|(n, _)| n == "openai_parallel_tool_calls.json")
        .unwrap();
    body["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"] =
        Value::Array(vec![]);
    let v = check(
        &body,
        &RuleSet::new(&BTreeMap::new()),
        CheckCtx {
            dialect: Dialect::Q,
            auth_kind: AuthKind::BuilderId,
        },
    );
    assert!(!v.is_empty());
}
