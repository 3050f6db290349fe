//! A flattened, defensive view of history entries and the current message for the rules:
//! every accessor tolerates a body of the wrong shape (the schema check may be switched off).

use serde_json::Value;

/// A history entry or the current message, flattened.
pub(super) struct Msg<'a> {
    pub(super) user: bool,
    pub(super) inner: &'a Value,
}

impl<'a> Msg<'a> {
    pub(super) fn of(v: &'a Value) -> Option<Self> {
        if let Some(u) = v.get("userInputMessage") {
            return Some(Self {
                user: true,
                inner: u,
            });
        }
        v.get("assistantResponseMessage").map(|a| Self {
            user: false,
            inner: a,
        })
    }

    pub(super) fn content(&self) -> Option<&'a str> {
        self.inner.get("content").and_then(Value::as_str)
    }

    pub(super) fn ctx(&self, key: &str) -> &'a [Value] {
        self.inner
            .get("userInputMessageContext")
            .and_then(|c| c.get(key))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    pub(super) fn tool_results(&self) -> &'a [Value] {
        if self.user {
            self.ctx("toolResults")
        } else {
            &[]
        }
    }

    pub(super) fn tool_uses(&self) -> &'a [Value] {
        if self.user {
            return &[];
        }
        self.inner
            .get("toolUses")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    pub(super) fn tool_specs(&self) -> impl Iterator<Item = &'a Value> {
        self.ctx("tools")
            .iter()
            .filter_map(|t| t.get("toolSpecification"))
    }

    pub(super) fn images(&self) -> &'a [Value] {
        self.inner
            .get("images")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

pub(super) fn ids(list: &[Value]) -> Vec<&str> {
    list.iter()
        .filter_map(|v| v.get("toolUseId").and_then(Value::as_str))
        .collect()
}

pub(super) fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}
