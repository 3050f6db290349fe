//! Public model names → upstream `modelId` (protocol doc §6.1/§6.2; client doc §1.2/§2.2 `model`).
//!
//! Lookup order: (1) an exact alias from configuration, (2) the *canonical form* of the name looked up
//! in the table, (3) the configured fallback, else [`TranslateError::ModelNotFound`] (gateway: 404).
//! Canonicalization follows the jwadow-style recipe recommended in §6.2: lower-case, drop a `[1m]`-style
//! suffix, Bedrock prefixes/suffixes, `-YYYYMMDD` dates and `-latest`; a `-thinking` suffix turns thinking
//! on; dashed and dotted minor versions are equal (`claude-sonnet-4-5` = `claude-sonnet-4.5`); inverted
//! Cursor-style names (`claude-4.5-opus-high`, `claude-3-5-sonnet`) are reordered, keeping the effort
//! suffix so the table may give `-high` and `-low` different meanings.
//! The response always echoes the client's own name; only the upstream sees `upstream_id`.
//!
//! Same-family fallback (§6.1: which ids exist depends on the account's plan, and the newest ones
//! are UNCERTAIN): [`ResolvedModel::candidates`] lists the resolved id first, then the older ids of
//! the same family ([`fallback_chain`]). The gateway sends the first candidate some account offers,
//! so a name mapped onto a model no account has (Claude Code's default `claude-opus-5-5`) is served
//! by the newest model of its family that exists, while an id that exists is used exactly.
//!
//! The live catalog ([`catalog`], issue 15) refines all of this: [`ModelTable::resolve_with`] also
//! serves catalog ids the table does not know (`deepseek-3.2`, `glm-5`) under their own names,
//! starts the candidates at the first id some account offers, and attaches the catalog entry
//! (token limits, native effort schema [`effort`]); [`ModelTable::listed_with`] lists what the
//! catalog offers.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TranslateError};
use crate::ir::{Effort, Thinking};

mod builtin;
pub mod catalog;
pub mod effort;

use builtin::builtin;
pub use catalog::{Catalog, CatalogModel};
pub use effort::{EffortSchema, NativeStyle};

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Public id (any accepted spelling; it is canonicalized for matching).
    pub id: String,
    /// Upstream `modelId`.
    pub upstream_id: String,
    /// Shown in `/v1/models`.
    #[serde(default)]
    pub display_name: String,
    /// Unix seconds for `/v1/models` `created`.
    #[serde(default)]
    pub created: i64,
    /// Listed in `/v1/models` (aliases that only exist for compatibility are not).
    #[serde(default = "yes")]
    pub listed: bool,
    /// Thinking implied by this name when the client does not say (e.g. `claude-4.5-opus-high`).
    #[serde(default)]
    pub thinking: Option<Effort>,
}

fn yes() -> bool {
    true
}

/// Result of resolving a client model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    pub upstream_id: String,
    /// Upstream ids to try, best first: `upstream_id`, then older ids of its family.
    pub candidates: Vec<String>,
    /// Thinking implied by the name (`-thinking` suffix or the entry), used when the request has none.
    pub thinking: Option<Thinking>,
    /// The live catalog's entry for `upstream_id`, when known (limits, native effort).
    pub catalog: Option<CatalogModel>,
}

/// The alias table. `Default` is the built-in table without a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    entries: Vec<ModelEntry>,
    /// `canonical` key of each entry's id, same order as `entries`: computed once here, because
    /// canonicalizing every row on every lookup was a visible share of a request's CPU.
    keys: Vec<String>,
    /// Upstream id used for unknown names; `None` → 404.
    fallback: Option<String>,
}

/// Budget used when a name (not the request) turns thinking on.
pub const DEFAULT_THINKING_BUDGET: u32 = 16_000;

impl Default for ModelTable {
    fn default() -> Self {
        Self::with_entries(builtin(), None)
    }
}

impl ModelTable {
    /// A table from configuration rows; configured rows take precedence over built-in ones with the
    /// same canonical name when `extend_builtin` is true.
    pub fn new(rows: Vec<ModelEntry>, extend_builtin: bool, fallback: Option<String>) -> Self {
        let mut entries = rows;
        if extend_builtin {
            entries.extend(builtin());
        }
        Self::with_entries(entries, fallback)
    }

    fn with_entries(entries: Vec<ModelEntry>, fallback: Option<String>) -> Self {
        let keys = entries
            .iter()
            .map(|e| canonical(&e.id.to_ascii_lowercase()).0)
            .collect();
        Self {
            entries,
            keys,
            fallback,
        }
    }

    /// Same table with a fallback upstream id for unknown names.
    #[must_use]
    pub fn with_fallback(mut self, upstream_id: Option<String>) -> Self {
        self.fallback = upstream_id;
        self
    }

    /// Rows shown by `/v1/models`, in table order, without duplicates.
    pub fn listed(&self) -> Vec<&ModelEntry> {
        let mut seen = Vec::<&str>::new();
        let mut out = Vec::new();
        for e in self.entries.iter().filter(|e| e.listed) {
            if !seen.contains(&e.id.as_str()) {
                seen.push(&e.id);
                out.push(e);
            }
        }
        out
    }

    /// Finds the listed row for `/v1/models/{id}` (same matching as [`Self::resolve`], no fallback).
    pub fn find(&self, name: &str) -> Option<&ModelEntry> {
        let lower = name.trim().to_ascii_lowercase();
        let (canon, _) = canonical(&lower);
        self.find_canonical(&lower, &canon)
    }

    /// [`Self::find`] for a trimmed, lower-cased name and its canonical key.
    fn find_canonical(&self, lower: &str, canon: &str) -> Option<&ModelEntry> {
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(lower))
        {
            return Some(e);
        }
        let lookup = |key: &str| {
            self.keys
                .iter()
                .position(|k| k == key)
                .and_then(|i| self.entries.get(i))
        };
        lookup(canon).or_else(|| {
            // An effort suffix the table does not know (`claude-4.5-sonnet-high`) is dropped (§6.2).
            ["-high", "-low", "-medium", "-max"]
                .iter()
                .find_map(|sfx| canon.strip_suffix(sfx))
                .and_then(lookup)
        })
    }

    /// Resolves a client model name with the built-in table alone ([`Self::resolve_with`] and an
    /// empty catalog).
    pub fn resolve(&self, name: &str) -> Result<ResolvedModel> {
        self.resolve_with(name, &Catalog::default())
    }

    /// Resolves a client model name: the table, else a catalog id, else the fallback (module
    /// docs). With a non-empty catalog the candidates start at the first one it offers.
    pub fn resolve_with(&self, name: &str, catalog: &Catalog) -> Result<ResolvedModel> {
        let lower = name.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err(TranslateError::invalid("model", "model: Field required"));
        }
        let (canon, suffix_thinking) = canonical(&lower);
        let suffix = suffix_thinking.then_some(Thinking::Enabled {
            budget_tokens: DEFAULT_THINKING_BUDGET,
        });
        let (upstream, thinking) = if let Some(e) = self.find_canonical(&lower, &canon) {
            let implied = e.thinking.map(|effort| Thinking::Adaptive { effort });
            (e.upstream_id.clone(), suffix.or(implied))
        } else if let Some(m) = catalog.find(&lower) {
            (m.id.clone(), suffix)
        } else if let Some(up) = &self.fallback {
            (up.clone(), suffix)
        } else {
            return Err(TranslateError::ModelNotFound {
                model: name.to_owned(),
            });
        };
        let mut candidates = fallback_chain(&upstream);
        if let Some(first) = candidates.iter().position(|c| catalog.contains(c)) {
            candidates.drain(..first);
        }
        let upstream_id = candidates.first().cloned().unwrap_or(upstream);
        Ok(ResolvedModel {
            catalog: catalog.get(&upstream_id).cloned(),
            upstream_id,
            candidates,
            thinking,
        })
    }

    /// `/v1/models` rows: [`Self::listed`] when the catalog is empty; else the listed rows whose
    /// upstream id the catalog offers, then every other catalog model under its own id.
    pub fn listed_with(&self, catalog: &Catalog) -> Vec<ModelEntry> {
        if catalog.is_empty() {
            return self.listed().into_iter().cloned().collect();
        }
        let mut out: Vec<ModelEntry> = self
            .listed()
            .into_iter()
            .filter(|e| catalog.contains(&e.upstream_id))
            .cloned()
            .collect();
        for m in catalog.models() {
            if !out.iter().any(|e| e.upstream_id == m.id) {
                out.push(self.catalog_entry(m));
            }
        }
        out
    }

    /// The row for `/v1/models/{id}`: the table's, else the catalog model the name denotes.
    pub fn find_with(&self, name: &str, catalog: &Catalog) -> Option<ModelEntry> {
        self.find(name)
            .cloned()
            .or_else(|| catalog.find(name).map(|m| self.catalog_entry(m)))
    }

    /// A catalog model as a row under its own id (`created` from a table row with the same
    /// upstream id, else 0: the catalog has no dates).
    fn catalog_entry(&self, m: &CatalogModel) -> ModelEntry {
        ModelEntry {
            id: m.id.clone(),
            upstream_id: m.id.clone(),
            display_name: m.display_name.clone().unwrap_or_default(),
            created: self
                .entries
                .iter()
                .find(|e| e.upstream_id == m.id)
                .map_or(0, |e| e.created),
            listed: true,
            thinking: None,
        }
    }
}

impl ResolvedModel {
    /// The same resolution sent to another upstream id (a fallback candidate).
    #[must_use]
    pub fn with_upstream(&self, upstream_id: &str) -> Self {
        Self {
            upstream_id: upstream_id.to_owned(),
            candidates: self.candidates.clone(),
            thinking: self.thinking,
            catalog: None,
        }
    }

    /// [`Self::with_upstream`] with that id's catalog entry attached.
    #[must_use]
    pub fn for_candidate(&self, upstream_id: &str, catalog: &Catalog) -> Self {
        let mut m = self.with_upstream(upstream_id);
        m.catalog = catalog.get(upstream_id).cloned();
        m
    }

    /// The prompt limit of the pre-flight guard: the catalog's `maxInputTokens`, else the
    /// built-in window ([`context_window`]).
    pub fn max_input_tokens(&self) -> u32 {
        self.catalog
            .as_ref()
            .and_then(|c| c.max_input_tokens)
            .unwrap_or_else(|| context_window(&self.upstream_id))
    }

    /// The native effort schema, when the catalog gives one.
    pub fn effort_schema(&self) -> Option<&EffortSchema> {
        self.catalog.as_ref().and_then(|c| c.effort.as_ref())
    }
}

/// `upstream_id` followed by the older upstream ids of its family ([`builtin::FAMILIES`]), newest
/// first; just `upstream_id` when it belongs to no known family.
pub fn fallback_chain(upstream_id: &str) -> Vec<String> {
    let mut out = vec![upstream_id.to_owned()];
    if let Some(chain) = builtin::FAMILIES.iter().find(|c| c.contains(&upstream_id)) {
        out.extend(
            chain
                .iter()
                .skip_while(|id| **id != upstream_id)
                .skip(1)
                .map(|id| (*id).to_owned()),
        );
    }
    out
}

/// Built-in context window of an upstream id, used when the catalog gives no `maxInputTokens`:
/// 1 M tokens for the ids in [`builtin::MILLION_WINDOW`] and `…-1m` variants, 200 000 otherwise.
pub fn context_window(upstream_id: &str) -> u32 {
    if builtin::MILLION_WINDOW.contains(&upstream_id) || upstream_id.ends_with("-1m") {
        1_000_000
    } else {
        200_000
    }
}

/// Canonical matching key of a lower-cased name, and whether a `-thinking` suffix was present.
pub fn canonical(lower: &str) -> (String, bool) {
    let mut s = lower.trim();
    if let Some(i) = s.find('[') {
        s = s[..i].trim_end();
    }
    for prefix in [
        "us.anthropic.",
        "eu.anthropic.",
        "apac.anthropic.",
        "global.anthropic.",
        "anthropic.",
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
        }
    }
    let mut parts: Vec<&str> = s.split('-').collect();
    // Bedrock `-v1:0`, then `-thinking`, then dates / `-latest`, in any order at the end.
    let mut thinking = false;
    loop {
        match parts.last() {
            Some(p) if p.starts_with('v') && p.contains(':') => {}
            Some(&"thinking") => thinking = true,
            Some(&"latest") => {}
            Some(p) if p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => break,
        }
        parts.pop();
    }
    // Split dotted versions into numbers so `4.5` and `4-5` agree.
    let mut tokens: Vec<String> = Vec::new();
    for p in parts {
        tokens.extend(p.split('.').map(str::to_owned));
    }
    let is_num = |t: &String| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let Some(first) = tokens.first() else {
        return (String::new(), thinking);
    };
    if first != "claude" || tokens.len() < 2 {
        return (tokens.join("-"), thinking);
    }
    let rest = &tokens[1..];
    let nums: Vec<&String> = rest.iter().filter(|t| is_num(t)).collect();
    let words: Vec<&String> = rest.iter().filter(|t| !is_num(t)).collect();
    let Some(family) = words.first() else {
        return (tokens.join("-"), thinking);
    };
    let version = nums
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(".");
    let mut key = format!("claude-{family}");
    if !version.is_empty() {
        key.push('-');
        key.push_str(&version);
    }
    for w in &words[1..] {
        key.push('-');
        key.push_str(w);
    }
    (key, thinking)
}

#[cfg(test)]
mod tests;
