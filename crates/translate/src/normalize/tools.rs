//! Tool specifications (protocol doc §4.4 R8, R10–R12, R20; client doc §1.2/§2.2 `tool_choice`).
//!
//! Names longer than the limit (Addendum: 63) are shortened to `<prefix>_<12 hex of FNV-1a>` in specs
//! *and* history, and [`ToolNameMap`] maps them back on output. Tool names match case-insensitively
//! upstream (Addendum R8), so the map also restores the client's spelling of a name.

use amazonq::types::{InputSchema, Tool, ToolSpecification};
use serde_json::{Map, Value, json};

use super::turns::Turn;
use super::{Fired, Rule};
use crate::ir::{ChatRequest, ToolChoice};

/// Description of a placeholder spec for a tool that only appears in history (kirors' wording).
pub const HISTORY_TOOL_DESCRIPTION: &str = "Tool used in conversation history";

/// Caps on what is declared upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolLimits {
    /// Longest tool name sent upstream (Addendum: 63).
    pub max_name_len: usize,
    /// Longest tool description, in chars (R11: ≈10 000).
    pub max_description_chars: usize,
}

impl Default for ToolLimits {
    fn default() -> Self {
        Self {
            max_name_len: 63,
            max_description_chars: 10_000,
        }
    }
}

/// Upstream tool name → client tool name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNameMap {
    shortened: Vec<(String, String)>,
    declared: Vec<String>,
}

impl ToolNameMap {
    /// The client's name for a tool name the upstream produced.
    pub fn restore(&self, upstream: &str) -> String {
        if let Some((_, orig)) = self.shortened.iter().find(|(s, _)| s == upstream) {
            return orig.clone();
        }
        if let Some((_, orig)) = self
            .shortened
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(upstream))
        {
            return orig.clone();
        }
        if let Some(d) = self.declared.iter().find(|d| d.as_str() == upstream) {
            return d.clone();
        }
        if let Some(d) = self
            .declared
            .iter()
            .find(|d| d.eq_ignore_ascii_case(upstream))
        {
            return d.clone();
        }
        upstream.to_owned()
    }

    /// The upstream name used for a client name (identity unless shortened).
    pub fn upstream_name(&self, client: &str) -> String {
        self.shortened
            .iter()
            .find(|(_, o)| o == client)
            .map_or_else(|| client.to_owned(), |(s, _)| s.clone())
    }

    /// Whether any name was shortened.
    pub fn has_shortened(&self) -> bool {
        !self.shortened.is_empty()
    }
}

pub struct Declared {
    pub specs: Vec<Tool>,
    pub names: ToolNameMap,
}

pub fn declare(
    req: &ChatRequest,
    turns: &mut [Turn],
    limits: &ToolLimits,
    fired: &mut Fired,
) -> Declared {
    let mut names = ToolNameMap {
        shortened: Vec::new(),
        declared: req.tools.iter().map(|t| t.name.clone()).collect(),
    };
    let offered: Vec<&crate::ir::ToolDef> = match &req.tool_choice {
        ToolChoice::None => {
            if !req.tools.is_empty() {
                fired.fire(Rule::ToolChoiceNone);
            }
            Vec::new()
        }
        ToolChoice::Named(n) => {
            let only: Vec<_> = req.tools.iter().filter(|t| &t.name == n).collect();
            if only.is_empty() {
                req.tools.iter().collect()
            } else {
                only
            }
        }
        ToolChoice::Auto | ToolChoice::Required => req.tools.iter().collect(),
    };

    let mut specs: Vec<ToolSpecification> = Vec::new();
    for t in offered {
        if specs.iter().any(|s| s.name == t.name) {
            continue;
        }
        let mut schema = t.input_schema.clone();
        if normalize_schema(&mut schema, true) {
            fired.fire(Rule::R12SchemaNormalized);
        }
        specs.push(ToolSpecification {
            name: t.name.clone(),
            description: description(&t.name, &t.description, limits.max_description_chars, fired),
            input_schema: InputSchema { json: schema },
        });
    }

    // R8: every tool used in history must be declared (names compare case-insensitively).
    for t in turns.iter() {
        for u in &t.tool_uses {
            if !specs.iter().any(|s| s.name.eq_ignore_ascii_case(&u.name)) {
                fired.fire(Rule::R8HistoryToolSpecs);
                specs.push(ToolSpecification {
                    name: u.name.clone(),
                    description: HISTORY_TOOL_DESCRIPTION.to_owned(),
                    input_schema: InputSchema {
                        json: json!({"type": "object", "properties": {}}),
                    },
                });
            }
        }
    }

    // R10: shorten long names everywhere, consistently.
    for s in &mut specs {
        if s.name.chars().count() > limits.max_name_len {
            fired.fire(Rule::R10ToolNameShortened);
            let short = shorten(&s.name, limits.max_name_len);
            names.shortened.push((short.clone(), s.name.clone()));
            s.name = short;
        }
    }
    for t in turns.iter_mut() {
        for u in &mut t.tool_uses {
            if u.name.chars().count() > limits.max_name_len {
                u.name = shorten(&u.name, limits.max_name_len);
            }
        }
    }

    Declared {
        specs: specs.into_iter().map(Tool::ToolSpecification).collect(),
        names,
    }
}

/// `<prefix>_<12 hex>` of at most `max` chars; stable for a given name.
pub fn shorten(name: &str, max: usize) -> String {
    let hash = format!("{:012x}", fnv1a(name.as_bytes()) & 0xFFFF_FFFF_FFFF);
    let keep = max.saturating_sub(hash.len() + 1);
    let prefix: String = name.chars().take(keep).collect();
    format!("{prefix}_{hash}")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// R11: non-empty and at most `max` chars.
fn description(name: &str, desc: &str, max: usize, fired: &mut Fired) -> String {
    if desc.trim().is_empty() {
        fired.fire(Rule::R11ToolDescription);
        return format!("Tool {name}");
    }
    if desc.chars().count() > max {
        fired.fire(Rule::R11ToolDescription);
        let mut cut: String = desc.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        return cut;
    }
    desc.to_owned()
}

/// R12: never send `null` for schema keywords, `required` is a list of strings, `properties` is an
/// object, and the root is an object schema. Returns whether anything changed.
pub fn normalize_schema(v: &mut Value, root: bool) -> bool {
    const NULLABLE: [&str; 11] = [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "description",
        "title",
        "enum",
        "anyOf",
        "oneOf",
        "allOf",
    ];
    let Value::Object(o) = v else {
        if root {
            *v = json!({"type": "object", "properties": {}});
            return true;
        }
        return false;
    };
    let mut changed = false;
    for k in NULLABLE {
        if o.get(k).is_some_and(Value::is_null) {
            o.remove(k);
            changed = true;
        }
    }
    if root {
        if !o.contains_key("type") {
            o.insert("type".into(), json!("object"));
            changed = true;
        }
        if o.get("type").and_then(Value::as_str) == Some("object") && !o.contains_key("properties")
        {
            o.insert("properties".into(), Value::Object(Map::new()));
            changed = true;
        }
    }
    if let Some(p) = o.get("properties")
        && !p.is_object()
    {
        o.insert("properties".into(), Value::Object(Map::new()));
        changed = true;
    }
    if let Some(r) = o.get("required") {
        let fixed: Option<Vec<Value>> = match r {
            Value::Array(items) if items.iter().all(Value::is_string) => None,
            Value::Array(items) => Some(items.iter().filter(|i| i.is_string()).cloned().collect()),
            _ => Some(Vec::new()),
        };
        if let Some(f) = fixed {
            changed = true;
            if f.is_empty() {
                o.remove("required");
            } else {
                o.insert("required".into(), Value::Array(f));
            }
        }
    }
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        for (_, p) in props.iter_mut() {
            changed |= normalize_schema(p, false);
        }
    }
    if let Some(items) = o.get_mut("items") {
        changed |= normalize_schema(items, false);
    }
    for k in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(list)) = o.get_mut(k) {
            for s in list {
                changed |= normalize_schema(s, false);
            }
        }
    }
    changed
}
