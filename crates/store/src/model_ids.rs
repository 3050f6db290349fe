//! Model-id lists stored as JSON text: an account's entitlement (`accounts.models`) and a key's
//! allow-list (`api_keys.models`). `NULL` is no list (unknown, or all models allowed).

use crate::StoreError;

/// The column value of `models`.
pub(crate) fn to_json(models: Option<&[String]>) -> Result<Option<String>, StoreError> {
    models
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// The list a column holds; `row` names the row in the error when the text is no list.
pub(crate) fn from_json(text: Option<&str>, row: &str) -> Result<Option<Vec<String>>, StoreError> {
    text.map(serde_json::from_str::<Vec<String>>)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("{row}: models: {e}")))
}
