//! The diagnosis report (issue 22 item 1): the stable JSON of `claude-server doctor --json` and
//! `POST /v2/accounts/:id/diagnose`, and its one-line-per-step text form.
//!
//! Schema (version 1; fields are only ever added). `claude-server doctor --json` prints
//! `{"verdict", "reports": [report…]}`; the admin API answers one report:
//! ```text
//! { "account": {"id","label","auth_method","api_region","host","proxy"},
//!   "verdict": "ok"|"warn"|"fail", "ms": N,
//!   "steps": [ {"name", "verdict": "ok"|"warn"|"fail"|"skipped", "ms", "detail",
//!               "upstream"?: {"status"?,"error_type"?,"reason"?,"message","request_id"?},
//!               "code"?, "advice"?} ] }
//! ```
//! `code` is a stable key of the advice (`relogin`, `pick_profile`, `wrong_region`,
//! `model_not_in_plan`, `quota_exhausted`, `throttled`, `unreachable`, `suspended`, `forbidden`,
//! `upstream_trouble`, `gateway_bug`); `advice` is its English text (the console translates by
//! `code`).

use serde::Serialize;

/// One step's (or the whole report's) verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "DiagnoseVerdict")]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
    Skipped,
}

impl Verdict {
    /// The text mark of a step line.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Ok => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skipped => "-",
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
        }
    }
}

/// The upstream's exact answer to a failed call, secrets redacted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UpstreamAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub request_id: Option<String>,
}

/// One step.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DiagnoseStep")]
pub struct Step {
    pub name: String,
    pub verdict: Verdict,
    pub ms: u64,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub upstream: Option<UpstreamAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub advice: Option<String>,
}

impl Step {
    pub(crate) fn new(
        name: impl Into<String>,
        verdict: Verdict,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            verdict,
            ms: 0,
            detail: detail.into(),
            upstream: None,
            code: None,
            advice: None,
        }
    }

    pub(crate) fn skipped(name: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(name, Verdict::Skipped, why)
    }

    pub(crate) fn timed(mut self, started: std::time::Instant) -> Self {
        self.ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self
    }
}

/// The account a report is about (no secrets).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DiagnoseAccount")]
pub struct AccountSummary {
    pub id: String,
    pub label: String,
    pub auth_method: &'static str,
    /// Region of the account's API hosts.
    pub api_region: String,
    /// `runtime` or `legacy_q` (after a fallback).
    pub host: &'static str,
    /// Whether calls go through a proxy (its URL is not shown: it may hold credentials).
    pub proxy: bool,
}

/// The whole diagnosis of one account.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DiagnoseReport")]
pub struct Report {
    pub account: AccountSummary,
    pub verdict: Verdict,
    pub ms: u64,
    pub steps: Vec<Step>,
}

impl Report {
    /// `fail` when any step failed, else `warn` when any warned, else `ok`.
    pub(crate) fn overall(steps: &[Step]) -> Verdict {
        if steps.iter().any(|s| s.verdict == Verdict::Fail) {
            Verdict::Fail
        } else if steps.iter().any(|s| s.verdict == Verdict::Warn) {
            Verdict::Warn
        } else {
            Verdict::Ok
        }
    }

    /// The verdict over several reports (the CLI's top-level `verdict`).
    pub fn overall_of(reports: &[Report]) -> Verdict {
        let worst = |v: Verdict| reports.iter().any(|r| r.verdict == v);
        if worst(Verdict::Fail) {
            Verdict::Fail
        } else if worst(Verdict::Warn) {
            Verdict::Warn
        } else {
            Verdict::Ok
        }
    }

    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Human form: a header, one line per step (mark, name, timing, detail), then the upstream
    /// answer and the advice of failed or warned steps, indented.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let a = &self.account;
        let mut out = format!(
            "account {} ({}, {}, region {}{}): {}\n",
            a.label,
            a.id,
            a.auth_method,
            a.api_region,
            if a.proxy { ", via proxy" } else { "" },
            self.verdict.as_str()
        );
        for s in &self.steps {
            let _ = writeln!(
                out,
                "  {} {:<16} {:>6} ms  {}",
                s.verdict.mark(),
                s.name,
                s.ms,
                s.detail
            );
            if let Some(u) = &s.upstream {
                let _ = writeln!(
                    out,
                    "      upstream: {}{}{}{}",
                    u.status.map(|c| format!("HTTP {c} ")).unwrap_or_default(),
                    u.error_type
                        .as_deref()
                        .map(|t| format!("{t} "))
                        .unwrap_or_default(),
                    u.reason
                        .as_deref()
                        .map(|r| format!("reason {r} "))
                        .unwrap_or_default(),
                    u.message
                );
            }
            if let Some(advice) = &s.advice {
                let _ = writeln!(out, "      what to do: {advice}");
            }
        }
        out
    }
}
