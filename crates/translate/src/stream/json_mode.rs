//! `response_format` / `output_config.format` emulation on the answer side (client doc §1.2
//! `response_format`: "strip markdown fences from the answer, and check that it parses").

use serde_json::Value;

/// Returns the JSON text inside `raw`: without markdown fences and surrounding prose when that yields
/// valid JSON; otherwise `raw` trimmed (the client then sees what the model said).
pub fn clean_json(raw: &str) -> String {
    let t = raw.trim();
    if parses(t) {
        return t.to_owned();
    }
    let unfenced = strip_fences(t);
    if parses(unfenced) {
        return unfenced.to_owned();
    }
    // Prose around one JSON value: take the outermost {...} or [...] span that parses.
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(a), Some(b)) = (t.find(open), t.rfind(close))
            && a < b
            && parses(&t[a..=b])
        {
            return t[a..=b].to_owned();
        }
    }
    t.to_owned()
}

fn parses(s: &str) -> bool {
    !s.is_empty() && serde_json::from_str::<Value>(s).is_ok()
}

fn strip_fences(t: &str) -> &str {
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    // Drop the info string (` json`) up to the first newline.
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fences_and_prose() {
        assert_eq!(clean_json("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(
            clean_json("Here you go: {\"title\": \"x\"} hope it helps"),
            "{\"title\": \"x\"}"
        );
        assert_eq!(clean_json("  {\"a\":[1]} "), "{\"a\":[1]}");
        assert_eq!(clean_json("not json"), "not json");
    }
}
