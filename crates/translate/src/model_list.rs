//! `/v1/models` bodies in the union shape both SDKs parse (client doc §1.7, §2.8): OpenAI's
//! `object/created/owned_by` plus Anthropic's `type/display_name/created_at`, and top-level
//! `object`, `data`, `has_more`, `first_id`, `last_id`. The rows come from
//! [`ModelTable::listed_with`] (the live catalog, else the built-in table).

use serde::{Deserialize, Serialize};

use crate::models::ModelEntry;
#[cfg(test)]
use crate::models::ModelTable;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelObject {
    pub id: String,
    pub object: String,
    pub created: i64,
    pub owned_by: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub display_name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    pub object: String,
    pub data: Vec<ModelObject>,
    pub has_more: bool,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
}

/// One model object; `id` is the name the client asked for (`GET /v1/models/{id}` echoes it).
pub fn model_object(id: &str, e: &ModelEntry) -> ModelObject {
    ModelObject {
        id: id.to_owned(),
        object: "model".to_owned(),
        created: e.created,
        owned_by: owner_of(&e.upstream_id).to_owned(),
        kind: "model".to_owned(),
        display_name: if e.display_name.is_empty() {
            id.to_owned()
        } else {
            e.display_name.clone()
        },
        created_at: rfc3339(e.created),
    }
}

/// `owned_by`: Anthropic for Claude and the upstream's `auto`, else the id's first word
/// (`deepseek-3.2` → `deepseek`).
fn owner_of(upstream_id: &str) -> &str {
    if upstream_id.starts_with("claude") || upstream_id == "auto" {
        "anthropic"
    } else {
        upstream_id.split(['-', '.']).next().unwrap_or(upstream_id)
    }
}

/// The list body of `entries`.
pub fn model_list(entries: &[ModelEntry]) -> ModelList {
    let data: Vec<ModelObject> = entries.iter().map(|e| model_object(&e.id, e)).collect();
    ModelList {
        object: "list".to_owned(),
        first_id: data.first().map(|m| m.id.clone()),
        last_id: data.last().map(|m| m.id.clone()),
        data,
        has_more: false,
    }
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, Howard Hinnant's days-to-civil).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_759_104_000), "2025-09-29T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn union_shape() {
        let rows: Vec<ModelEntry> = ModelTable::default()
            .listed()
            .into_iter()
            .cloned()
            .collect();
        let l = model_list(&rows);
        let v = serde_json::to_value(&l).unwrap();
        assert_eq!(v["object"], "list");
        assert_eq!(v["has_more"], false);
        assert_eq!(v["first_id"], v["data"][0]["id"]);
        let m = &v["data"][0];
        for k in [
            "id",
            "object",
            "created",
            "owned_by",
            "type",
            "display_name",
            "created_at",
        ] {
            assert!(m.get(k).is_some(), "{k}");
        }
        assert!(
            l.data
                .iter()
                .all(|m| m.id.starts_with("claude") || m.id == "auto")
        );
        assert!(l.data.iter().all(|m| m.owned_by == "anthropic"));
        assert_eq!(owner_of("deepseek-3.2"), "deepseek");
        assert_eq!(owner_of("glm-5"), "glm");
    }
}
