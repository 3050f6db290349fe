//! The `debugLog` setting's tracing half (issue 16 §4): debug-level tracing for the gateway's own
//! crates, switched on and off at run time without a restart.
//!
//! The binary installs its filter behind a `tracing_subscriber::reload` handle and registers a
//! switch here ([`install`]); [`apply`] is called whenever the settings snapshot is reloaded. An
//! embedder (or a test) that installed no switch gets a no-op: the library never owns the global
//! subscriber.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// The crates whose events `debugLog` raises to debug.
pub const OWN_CRATES: [&str; 5] = ["gateway", "claude_server", "store", "translate", "amazonq"];

type Switch = Box<dyn Fn(&str) + Send + Sync>;

static SWITCH: OnceLock<Switch> = OnceLock::new();
/// Last applied state: 0 unknown, 1 off, 2 on (so a periodic reload does not rebuild the filter).
static APPLIED: AtomicU8 = AtomicU8::new(0);

/// The filter directives for `base` (the operator's `RUST_LOG`, or the default) with or without
/// the debug directives for [`OWN_CRATES`].
pub fn directives(base: &str, debug: bool) -> String {
    if !debug {
        return base.to_owned();
    }
    let mut out = base.to_owned();
    for krate in OWN_CRATES {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(krate);
        out.push_str("=debug");
    }
    out
}

/// Registers the function that replaces the process's filter with the given directives. The
/// first registration wins.
pub fn install(switch: impl Fn(&str) + Send + Sync + 'static, base: &str) {
    let base = base.to_owned();
    let _ = SWITCH.set(Box::new(move |d: &str| {
        switch(&directives(&base, d == "on"));
    }));
}

/// Applies `debugLog`: debug tracing for the gateway's crates on or off.
pub fn apply(on: bool) {
    let state = if on { 2 } else { 1 };
    if APPLIED.swap(state, Ordering::Relaxed) == state {
        return;
    }
    if let Some(switch) = SWITCH.get() {
        switch(if on { "on" } else { "off" });
        tracing::info!(debug_log = on, "gateway tracing level changed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_adds_own_crates() {
        assert_eq!(directives("info,sqlx=warn", false), "info,sqlx=warn");
        let on = directives("info,sqlx=warn", true);
        assert!(on.starts_with("info,sqlx=warn,gateway=debug"), "{on}");
        assert!(on.contains("store=debug") && on.contains("amazonq=debug"));
        assert!(!on.contains("hyper") && !on.contains("sqlx=debug"));
        assert_eq!(directives("", true).split(',').count(), OWN_CRATES.len());
    }
}
