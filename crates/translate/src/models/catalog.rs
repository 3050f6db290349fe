//! The live model catalog (ListAvailableModels, kiro-2026-endpoints.md §5) as routing uses it:
//! per model its upstream id, display name, token limits and native effort schema.
//!
//! The pool keeps one [`Catalog`] per account (entitlement) and their [`Catalog::union`] (what any
//! account offers); [`super::ModelTable::resolve_with`] routes names through the union, and
//! [`super::ModelTable::listed_with`] builds `/v1/models` from it. An empty catalog means "not
//! known yet": resolution and listing then use the built-in table alone.

use amazonq::types::Model;

use super::canonical;
use super::effort::EffortSchema;

/// One catalog model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CatalogModel {
    /// Upstream `modelId`.
    pub id: String,
    /// `modelName`, when the upstream gave one.
    pub display_name: Option<String>,
    /// `tokenLimits.maxInputTokens`: the pre-flight guard's limit.
    pub max_input_tokens: Option<u32>,
    /// `tokenLimits.maxOutputTokens`.
    pub max_output_tokens: Option<u32>,
    /// Parsed `additionalModelRequestFieldsSchema`; `None` → prompt-emulated effort.
    pub effort: Option<EffortSchema>,
}

impl CatalogModel {
    /// A model known only by id (e.g. an entitlement list restored from the store).
    pub fn id_only(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// From a ListAvailableModels entry.
    pub fn from_wire(m: &Model) -> Self {
        let limit = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0);
        let limits = m.token_limits.unwrap_or_default();
        Self {
            id: m.model_id.clone(),
            display_name: m.model_name.clone().filter(|n| !n.trim().is_empty()),
            max_input_tokens: limit(limits.max_input_tokens),
            max_output_tokens: limit(limits.max_output_tokens),
            effort: m
                .additional_model_request_fields_schema
                .as_ref()
                .and_then(EffortSchema::parse),
        }
    }
}

/// A set of catalog models, in first-seen order, one per id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    models: Vec<CatalogModel>,
    /// Canonical key of each model id (same order), for dotted/dashed matching.
    keys: Vec<String>,
}

impl Catalog {
    /// A catalog of `models`; a repeated id keeps its first entry.
    pub fn new(models: impl IntoIterator<Item = CatalogModel>) -> Self {
        let mut c = Self::default();
        for m in models {
            if !c.contains(&m.id) && !m.id.trim().is_empty() {
                c.keys.push(canonical(&m.id.to_ascii_lowercase()).0);
                c.models.push(m);
            }
        }
        c
    }

    /// What several accounts offer together: every id any of them lists. Limits are the largest
    /// seen (an account that accepts more must not be refused by the pre-flight guard), the
    /// effort schema the first one seen.
    pub fn union<'a>(catalogs: impl IntoIterator<Item = &'a Catalog>) -> Self {
        let mut out = Self::default();
        for c in catalogs {
            for m in &c.models {
                if let Some(i) = out.models.iter().position(|x| x.id == m.id) {
                    let have = &mut out.models[i];
                    have.max_input_tokens = have.max_input_tokens.max(m.max_input_tokens);
                    have.max_output_tokens = have.max_output_tokens.max(m.max_output_tokens);
                    if have.effort.is_none() {
                        have.effort.clone_from(&m.effort);
                    }
                    if have.display_name.is_none() {
                        have.display_name.clone_from(&m.display_name);
                    }
                } else {
                    out.keys.push(canonical(&m.id.to_ascii_lowercase()).0);
                    out.models.push(m.clone());
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// The models, in order.
    pub fn models(&self) -> &[CatalogModel] {
        &self.models
    }

    /// The model with exactly this upstream id.
    pub fn get(&self, id: &str) -> Option<&CatalogModel> {
        self.models.iter().find(|m| m.id == id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The model a client name denotes: its exact id (any case), else the same canonical key
    /// (`deepseek-3-2` = `deepseek-3.2`, `claude-opus-4-6-1m` = `claude-opus-4.6-1m`).
    pub fn find(&self, name: &str) -> Option<&CatalogModel> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(m) = self
            .models
            .iter()
            .find(|m| m.id.eq_ignore_ascii_case(&lower))
        {
            return Some(m);
        }
        let key = canonical(&lower).0;
        self.keys
            .iter()
            .position(|k| *k == key)
            .and_then(|i| self.models.get(i))
    }
}
