//! Native effort (kiro-2026-endpoints.md §4–§5): a catalog model whose
//! `additionalModelRequestFieldsSchema` lists an effort enum takes the client's thinking request as
//! `additionalModelRequestFields` instead of the prompt emulation (`normalize::prompt`).
//!
//! Two schema styles exist. Claude (4.6 on): `properties.output_config.properties.effort.enum`,
//! sent as `{"output_config":{"effort":E},"thinking":{"type":"adaptive"}}`. GPT-5.6 style:
//! `properties.reasoning.properties.effort.enum`, sent as `{"reasoning":{"effort":E}}`.
//!
//! Client requests → effort (one table, documented in the README's model section):
//! - Anthropic `thinking: {type: adaptive}` → `output_config.effort` (default `high`);
//! - Anthropic `thinking: {type: enabled, budget_tokens: B}`, OpenAI `reasoning_effort`, the
//!   `-thinking` name suffix → by budget ([`effort_of_budget`]): B < 8 000 → low,
//!   < 16 000 → medium, < 32 000 → high (Claude Code's 31 999 is high), < 64 000 → xhigh, else max.
//!   OpenAI `low`/`medium`/`high`/`xhigh`/`max` parse to budgets in exactly those buckets;
//! - the original names `claude-4.5-opus-high` / `-low` → their table entry's effort;
//! - thinking off (`disabled`, `reasoning_effort: none`, or not asked) → no native fields.
//!
//! An effort the model's enum lacks is clamped to the nearest allowed value (ties go down, the
//! cheaper one).

use serde_json::{Value, json};

use crate::ir::{Effort, Thinking};

/// Which request shape a model's schema asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NativeStyle {
    /// `{"output_config":{"effort":E},"thinking":{"type":"adaptive"}}`.
    Claude,
    /// `{"reasoning":{"effort":E}}`.
    Reasoning,
}

/// What a model accepts natively: the style and the allowed effort values (lowest first, never
/// empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffortSchema {
    pub style: NativeStyle,
    pub allowed: Vec<Effort>,
}

impl EffortSchema {
    /// Reads a catalog `additionalModelRequestFieldsSchema`; `None` when it has no effort enum
    /// with at least one known value (that model keeps the prompt emulation).
    pub fn parse(schema: &Value) -> Option<Self> {
        let props = schema.get("properties")?;
        let styles = [
            (NativeStyle::Claude, "output_config"),
            (NativeStyle::Reasoning, "reasoning"),
        ];
        styles.into_iter().find_map(|(style, key)| {
            let values = props
                .get(key)?
                .get("properties")?
                .get("effort")?
                .get("enum")?
                .as_array()?;
            let mut allowed: Vec<Effort> = values
                .iter()
                .filter_map(|v| v.as_str().and_then(Effort::parse))
                .collect();
            allowed.sort();
            allowed.dedup();
            (!allowed.is_empty()).then_some(Self { style, allowed })
        })
    }

    /// `wanted` if allowed, else the nearest allowed value (ties → the lower one).
    pub fn clamp(&self, wanted: Effort) -> Effort {
        let rank = |e: Effort| Effort::ALL.iter().position(|x| *x == e).unwrap_or(0);
        self.allowed
            .iter()
            .copied()
            .min_by_key(|e| (rank(*e).abs_diff(rank(wanted)), rank(*e)))
            .unwrap_or(wanted)
    }

    /// The `additionalModelRequestFields` for a thinking mode, or `None` when thinking is off.
    pub fn fields(&self, thinking: Thinking) -> Option<Value> {
        let effort = self.clamp(requested_effort(thinking)?).as_str();
        Some(match self.style {
            NativeStyle::Claude => json!({
                "output_config": {"effort": effort},
                "thinking": {"type": "adaptive"},
            }),
            NativeStyle::Reasoning => json!({"reasoning": {"effort": effort}}),
        })
    }
}

/// The effort a thinking mode asks for (before clamping); `None` when thinking is off.
pub fn requested_effort(thinking: Thinking) -> Option<Effort> {
    match thinking {
        Thinking::Disabled => None,
        Thinking::Adaptive { effort } => Some(effort),
        Thinking::Enabled { budget_tokens } => Some(effort_of_budget(budget_tokens)),
    }
}

/// Budget buckets (module docs).
pub fn effort_of_budget(budget_tokens: u32) -> Effort {
    match budget_tokens {
        0..8_000 => Effort::Low,
        8_000..16_000 => Effort::Medium,
        16_000..32_000 => Effort::High,
        32_000..64_000 => Effort::XHigh,
        _ => Effort::Max,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::models::{Catalog, CatalogModel, ModelTable};
    use crate::normalize::{Rule, UpstreamOptions, normalize};
    use crate::{anthropic, openai};

    /// The Claude 4.6+ schema of the catalog, verbatim (issue 15 contract).
    fn claude_schema() -> Value {
        json!({"type":"object","properties":{
            "output_config":{"type":"object","properties":{"effort":{"type":"string","enum":["low","medium","high","xhigh","max"]}}},
            "thinking":{"type":"object","properties":{"type":{"type":"string","enum":["adaptive"]}}}}})
    }

    fn gpt_schema(values: &[&str]) -> Value {
        json!({"type":"object","properties":{"reasoning":{"type":"object","properties":{"effort":{"type":"string","enum":values}}}}})
    }

    #[test]
    fn schemas_parse_in_both_styles() {
        let c = EffortSchema::parse(&claude_schema()).unwrap();
        assert_eq!((c.style, c.allowed.len()), (NativeStyle::Claude, 5));
        let g = EffortSchema::parse(&gpt_schema(&["high", "low", "bogus"])).unwrap();
        assert_eq!(
            (g.style, g.allowed),
            (NativeStyle::Reasoning, vec![Effort::Low, Effort::High])
        );
        assert_eq!(EffortSchema::parse(&json!({"type":"object"})), None);
        assert_eq!(EffortSchema::parse(&gpt_schema(&["turbo"])), None);
    }

    #[test]
    fn each_input_form_maps_to_fields() {
        let c = EffortSchema::parse(&claude_schema()).unwrap();
        let effort = |t| c.fields(t).map(|v| v["output_config"]["effort"].clone());
        assert_eq!(c.fields(Thinking::Disabled), None);
        assert_eq!(
            c.fields(Thinking::Adaptive {
                effort: Effort::XHigh
            }),
            Some(json!({"output_config":{"effort":"xhigh"},"thinking":{"type":"adaptive"}}))
        );
        for (budget, want) in [
            (1_024, "low"),
            (12_000, "medium"),
            (16_000, "high"),
            (31_999, "high"),
            (32_000, "xhigh"),
            (64_000, "max"),
        ] {
            assert_eq!(
                effort(Thinking::Enabled {
                    budget_tokens: budget
                }),
                Some(json!(want)),
                "{budget}"
            );
        }
        let g = EffortSchema::parse(&gpt_schema(&["low", "medium", "high"])).unwrap();
        assert_eq!(
            g.fields(Thinking::Adaptive {
                effort: Effort::Medium
            }),
            Some(json!({"reasoning":{"effort":"medium"}}))
        );
    }

    #[test]
    fn efforts_outside_the_enum_clamp_to_the_nearest() {
        let s = |v: &[Effort]| EffortSchema {
            style: NativeStyle::Claude,
            allowed: v.to_vec(),
        };
        let lh = s(&[Effort::Low, Effort::High]);
        assert_eq!(lh.clamp(Effort::Max), Effort::High);
        assert_eq!(lh.clamp(Effort::XHigh), Effort::High);
        // Equally near: the cheaper one.
        assert_eq!(lh.clamp(Effort::Medium), Effort::Low);
        assert_eq!(s(&[Effort::Max]).clamp(Effort::Low), Effort::Max);
        assert_eq!(
            s(&[Effort::Medium, Effort::XHigh]).clamp(Effort::Max),
            Effort::XHigh
        );
    }

    fn catalog(id: &str, schema: Option<&Value>) -> Catalog {
        Catalog::new([CatalogModel {
            effort: schema.and_then(EffortSchema::parse),
            ..CatalogModel::id_only(id)
        }])
    }

    /// Normalizes `body` (Anthropic when it has `max_tokens`, else OpenAI) against `catalog`.
    fn fields_of(body: &Value, catalog: &Catalog) -> (Option<Value>, bool, bool) {
        let o = body.as_object().unwrap();
        let req = if o.contains_key("max_tokens") {
            anthropic::parse_value(o, anthropic::Endpoint::Messages).unwrap()
        } else {
            openai::parse_value(o).unwrap()
        };
        let model = ModelTable::default()
            .resolve_with(&req.model, catalog)
            .unwrap();
        let n = normalize(&req, &model, &UpstreamOptions::default()).unwrap();
        (
            n.request.additional_model_request_fields,
            n.rules.contains(Rule::ThinkingPrompt),
            n.thinking.is_on(),
        )
    }

    #[test]
    fn requests_use_native_effort_where_the_catalog_allows() {
        let opus = catalog("claude-opus-4.6", Some(&claude_schema()));
        let msg = json!([{"role":"user","content":"hi"}]);
        // Anthropic adaptive + output_config.effort.
        let (f, tags, on) = fields_of(
            &json!({"model":"claude-opus-4-6","max_tokens":100,"messages":msg,
                "thinking":{"type":"adaptive"},"output_config":{"effort":"max"}}),
            &opus,
        );
        assert_eq!(
            f,
            Some(json!({"output_config":{"effort":"max"},"thinking":{"type":"adaptive"}}))
        );
        assert!(!tags && on);
        // Anthropic enabled + budget (Claude Code's 31 999).
        let (f, ..) = fields_of(
            &json!({"model":"claude-opus-4-6","max_tokens":100,"messages":msg,
                "thinking":{"type":"enabled","budget_tokens":31_999}}),
            &opus,
        );
        assert_eq!(f.unwrap()["output_config"]["effort"], "high");
        // OpenAI reasoning_effort on a GPT-style schema that lacks xhigh.
        let gpt = catalog("gpt-5.6-sol", Some(&gpt_schema(&["low", "medium", "high"])));
        let (f, ..) = fields_of(
            &json!({"model":"gpt-5.6-sol","messages":msg,"reasoning_effort":"xhigh"}),
            &gpt,
        );
        assert_eq!(f, Some(json!({"reasoning":{"effort":"high"}})));
        // The original's effort names.
        let o45 = catalog("claude-opus-4.5", Some(&claude_schema()));
        let (f, ..) = fields_of(&json!({"model":"claude-4.5-opus-low","messages":msg}), &o45);
        assert_eq!(f.unwrap()["output_config"]["effort"], "low");
        // Thinking off: nothing native, nothing emulated.
        let (f, tags, on) = fields_of(
            &json!({"model":"claude-opus-4-6","max_tokens":100,"messages":msg,"thinking":{"type":"disabled"}}),
            &opus,
        );
        assert_eq!((f, tags, on), (None, false, false));
    }

    #[test]
    fn models_without_a_schema_keep_the_prompt_emulation() {
        let msg = json!([{"role":"user","content":"hi"}]);
        let body = json!({"model":"claude-sonnet-4-5","max_tokens":100,"messages":msg,
            "thinking":{"type":"enabled","budget_tokens":4_000}});
        for c in [Catalog::default(), catalog("claude-sonnet-4.5", None)] {
            let (f, tags, on) = fields_of(&body, &c);
            assert_eq!((f, tags, on), (None, true, true));
        }
    }
}
