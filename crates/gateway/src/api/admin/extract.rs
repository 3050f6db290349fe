//! Strict JSON bodies for the admin API: request types deny unknown fields, and a rejection is a
//! 400 in the admin error shape naming the offending field (`accounts[2].refresh_tokn`), never
//! axum's plain-text rejection.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Upper bound for admin bodies (imports of a few hundred accounts fit easily).
const MAX_ADMIN_BODY: u64 = 16 * 1024 * 1024;

/// Query parameters of type `T`; a rejection is a 400 in the admin error shape.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| Error::invalid(format!("invalid query: {}", e.body_text())))
    }
}

/// A JSON body of type `T`, parsed strictly.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// The raw body, capped like [`Body`] (for documents that may be binary: an SQLite import).
pub async fn raw(body: axum::body::Body) -> Result<bytes::Bytes, Error> {
    crate::guard::body::read_capped(body, MAX_ADMIN_BODY).await
}

/// Parses `bytes` as `T`, naming the field at fault on error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.is_empty() {
        return Err(Error::invalid("request body must be a JSON document"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let field = unknown_field(&message)
            .map(|f| {
                if path == "." {
                    f.to_string()
                } else if path == f || path.ends_with(&format!(".{f}")) {
                    path.clone()
                } else {
                    format!("{path}.{f}")
                }
            })
            .unwrap_or(path);
        if field == "." || field.is_empty() {
            Error::invalid(format!("invalid JSON body: {message}"))
        } else {
            Error::field(field.clone(), format!("`{field}`: {message}"))
        }
    })
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.get(..rest.find('`')?)
}

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = crate::guard::body::read_capped(req.into_body(), MAX_ADMIN_BODY).await?;
        parse(&bytes).map(Body)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[expect(
            dead_code,
            reason = "only deserialized: the test checks which fields are refused"
        )]
        a: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[expect(
            dead_code,
            reason = "only deserialized: the test checks which fields are refused"
        )]
        items: Vec<Inner>,
    }

    #[test]
    fn names_unknown_and_bad_fields() {
        let e = parse::<Outer>(br#"{"items":[{"a":1},{"a":1,"b":2}]}"#).unwrap_err();
        match e {
            Error::Validation { field, .. } => assert_eq!(field.as_deref(), Some("items[1].b")),
            other => panic!("{other:?}"),
        }
        let e = parse::<Outer>(br#"{"items":[{"a":"x"}]}"#).unwrap_err();
        assert!(matches!(e, Error::Validation { field: Some(f), .. } if f == "items[0].a"));
        let e = parse::<Outer>(br#"{"itemz":[]}"#).unwrap_err();
        assert!(matches!(e, Error::Validation { field: Some(f), .. } if f == "itemz"));
        assert!(parse::<Outer>(b"").is_err());
    }
}
