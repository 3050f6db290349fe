//! Content checks used by the rules: JSON-schema hygiene (R12) and image blocks (R18).

use serde_json::Value;

use super::view::s;

const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// R12: `type` string, `properties` object, `required` string array — never null; recursive.
pub(super) fn schema_hygiene(j: &Value, path: &str) -> Result<(), String> {
    let Some(o) = j.as_object() else {
        return Err(format!("{path} is not an object"));
    };
    match o.get("type") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("{path}.type is not a string")),
    }
    match o.get("required") {
        None => {}
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("{path}.required is not an array of strings")),
    }
    match o.get("properties") {
        None => {}
        Some(Value::Object(p)) => {
            for (k, sub) in p {
                schema_hygiene(sub, &format!("{path}.properties.{k}"))?;
            }
        }
        Some(_) => return Err(format!("{path}.properties is not an object")),
    }
    if let Some(items) = o.get("items")
        && items.is_object()
    {
        schema_hygiene(items, &format!("{path}.items"))?;
    }
    Ok(())
}

pub(super) fn image_problem(img: &Value) -> Option<String> {
    let format = s(img, "format").unwrap_or("");
    if !matches!(format, "png" | "jpeg" | "gif" | "webp") {
        return Some(format!("image format {format:?}"));
    }
    let bytes = img.get("source").and_then(|x| s(x, "bytes")).unwrap_or("");
    if bytes.is_empty()
        || !bytes
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r'))
    {
        return Some("image bytes are not inline base64 (URL or data: prefix?)".to_owned());
    }
    if bytes.len() / 4 * 3 > MAX_IMAGE_BYTES {
        return Some(format!(
            "image of ~{} bytes (max {MAX_IMAGE_BYTES})",
            bytes.len() / 4 * 3
        ));
    }
    None
}
