//! `Option<Option<T>>` fields for PATCH bodies: absent → `None` (leave as is), `null` →
//! `Some(None)` (clear), a value → `Some(Some(v))`. Use with `#[serde(default, with = "…")]`.

use serde::{Deserialize, Deserializer};

/// Deserializes a present field (null or value) as `Some(..)`.
pub fn deserialize<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
