//! Tool-use assembly from `toolUseEvent` fragments (protocol doc §5.4; client doc §3 truncated JSON).
//!
//! Fragments are raw substrings of the final JSON text and are concatenated verbatim. A call is
//! complete on `stop:true`, when an event for another id arrives, or at the end of the stream; it is
//! then checked: empty → `{}`, a JSON object → emitted byte-exact, anything else (truncated or non-object
//! JSON) → [`Assembled::Broken`], which the state machine never turns into a `tool_use`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    Ok {
        id: String,
        name: String,
        json: String,
    },
    Broken {
        id: String,
        name: String,
        json_len: usize,
    },
}

#[derive(Debug, Clone, Default)]
pub struct ToolAssembler {
    open: Option<(String, String, String)>,
    done: Vec<String>,
}

impl ToolAssembler {
    /// Whether a call is being assembled.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Feeds one `toolUseEvent`; returns calls completed by it (at most two: a previous call closed by
    /// a new id, and this one on `stop`).
    pub fn push(
        &mut self,
        id: &str,
        name: &str,
        input: Option<&str>,
        stop: bool,
    ) -> Vec<Assembled> {
        let mut out = Vec::new();
        if self.done.iter().any(|d| d == id) {
            return out; // duplicate of a finished call (§5.4 step 4)
        }
        if self.open.as_ref().is_some_and(|(oid, _, _)| oid != id) {
            out.extend(self.close());
        }
        let entry = self
            .open
            .get_or_insert_with(|| (id.to_owned(), name.to_owned(), String::new()));
        if let Some(frag) = input {
            entry.2.push_str(frag);
        }
        if stop {
            out.extend(self.close());
        }
        out
    }

    /// Completes the open call, if any (stream end, or text/another call follows).
    pub fn close(&mut self) -> Option<Assembled> {
        let (id, name, json) = self.open.take()?;
        self.done.push(id.clone());
        let trimmed = json.trim();
        if trimmed.is_empty() {
            return Some(Assembled::Ok {
                id,
                name,
                json: "{}".to_owned(),
            });
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(_)) => Some(Assembled::Ok { id, name, json }),
            _ => Some(Assembled::Broken {
                id,
                name,
                json_len: json.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_concatenate_verbatim() {
        let mut a = ToolAssembler::default();
        assert!(a.push("t1", "Read", None, false).is_empty());
        assert!(a.push("t1", "Read", Some("{\"pa"), false).is_empty());
        let out = a.push("t1", "Read", Some("th\": \"a\"}"), true);
        assert_eq!(
            out,
            vec![Assembled::Ok {
                id: "t1".into(),
                name: "Read".into(),
                json: "{\"path\": \"a\"}".into()
            }]
        );
        assert!(
            a.push("t1", "Read", Some("{}"), true).is_empty(),
            "duplicates ignored"
        );
    }

    #[test]
    fn truncated_and_non_object_are_broken() {
        let mut a = ToolAssembler::default();
        let out = a.push("t1", "Write", Some("{\"content\": \"abc"), true);
        assert!(matches!(out[0], Assembled::Broken { .. }));
        let out = a.push("t2", "Write", Some("[]"), true);
        assert!(matches!(out[0], Assembled::Broken { .. }));
    }

    #[test]
    fn new_id_closes_previous_and_empty_is_object() {
        let mut a = ToolAssembler::default();
        a.push("t1", "A", None, false);
        let out = a.push("t2", "B", Some("{}"), true);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            Assembled::Ok {
                id: "t1".into(),
                name: "A".into(),
                json: "{}".into()
            }
        );
    }
}
