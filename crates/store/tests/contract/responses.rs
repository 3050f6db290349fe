//! Stored Responses API answers (issue 18 `previous_response_id`): round trip, owner scope,
//! encryption at rest, and the age and count bounds.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait as _, Database, Statement};
use serde_json::json;
use store::{NewStoredResponse, Store, StoreError};

fn response(id: &str, key: Option<&str>, age_hours: i64) -> NewStoredResponse {
    NewStoredResponse {
        id: id.into(),
        key_id: key.map(str::to_owned),
        model: "claude-sonnet-4.5".into(),
        created_at: Utc::now() - Duration::hours(age_hours),
        items: vec![
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": format!("secret words {id}")}]}),
            json!({"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{\"a\":\"é\"}"}),
        ],
    }
}

/// Responses that must still be there, each with the API key that reads it.
type Kept<'a> = &'a [(&'a str, Option<&'a str>)];

async fn kept(store: &Store, id: &str, key: Option<&str>) -> bool {
    store.stored_response(id, key).await.unwrap().is_some()
}

pub async fn run(store: &Store, url: &str) {
    let r = response("resp_a", Some("key-1"), 0);
    store.save_response(&r).await.unwrap();
    let got = store
        .stored_response("resp_a", Some("key-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.items, r.items);
    assert_eq!(got.model, "claude-sonnet-4.5");
    assert_eq!(got.key_id.as_deref(), Some("key-1"));
    assert_eq!(
        got.created_at.timestamp_millis(),
        r.created_at.timestamp_millis()
    );
    // Another key, no key, an unknown id: nothing.
    assert!(!kept(store, "resp_a", Some("key-2")).await);
    assert!(!kept(store, "resp_a", None).await);
    assert!(!kept(store, "resp_zz", Some("key-1")).await);
    // Ids are unique.
    let err = store.save_response(&r).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // Without keys (open gateway) the row belongs to "no key".
    store
        .save_response(&response("resp_open", None, 0))
        .await
        .unwrap();
    assert!(kept(store, "resp_open", None).await);

    // Encrypted at rest: the raw column does not contain the conversation.
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT items FROM stored_responses WHERE id = 'resp_a'",
        ))
        .await
        .unwrap()
        .unwrap();
    let raw: String = row.try_get("", "items").unwrap();
    assert!(
        raw.starts_with("v1:") && !raw.contains("secret words"),
        "{raw}"
    );
    db.close().await.unwrap();

    // Bounds: age first, then the newest `keep`.
    for (i, age) in [(1, 100), (2, 50), (3, 3), (4, 2)] {
        store
            .save_response(&response(&format!("resp_b{i}"), Some("key-1"), age))
            .await
            .unwrap();
    }
    // Purges in turn, each keeping the last 24 h and at most `keep` rows:
    // (keep, rows deleted, key-1 rows gone, rows still there with their key).
    // 1. resp_b1 and resp_b2 are older than 24 h.
    // 2. Left: resp_a, resp_open (now), resp_b3 (3 h), resp_b4 (2 h); keep 2 → the two oldest go.
    // 3. Nothing more to delete.
    let purges: [(u64, u64, &[&str], Kept); 3] = [
        (100, 2, &["resp_b1"], &[]),
        (
            2,
            2,
            &["resp_b3", "resp_b4"],
            &[("resp_a", Some("key-1")), ("resp_open", None)],
        ),
        (2, 0, &[], &[]),
    ];
    for (keep, deleted, gone, left) in purges {
        let day_ago = Utc::now() - Duration::hours(24);
        assert_eq!(store.purge_responses(day_ago, keep).await.unwrap(), deleted);
        for id in gone {
            assert!(!kept(store, id, Some("key-1")).await, "{id} kept");
        }
        for (id, key) in left {
            assert!(kept(store, id, *key).await, "{id} purged");
        }
    }
}
