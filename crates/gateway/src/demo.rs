//! Demo mode (`claude-server --demo`, `make demo`; issue 6 §Demo mode): the Amazon Q simulator
//! (`amazonq-sim`) runs in-process on a loopback port as the only upstream, a few demo accounts are
//! created in it and in the gateway's store, and everything is kept in its own SQLite database under
//! `<DATA_DIR>/demo/`.
//!
//! Why the rewrite is total rather than an overlay: demo mode must never reach the real AWS hosts
//! and never touch the production database, whatever the operator's `config.yaml` says. So
//! [`demo_config`] replaces every upstream endpoint, the proxy, the database block, the encryption
//! key and the Redis URL; only the listen address, logging and client-facing knobs are kept.
//! `GET /v2/system` reports `demo: true` (the console shows a DEMO banner) through `config.test`.

use amazonq_sim::{AccountSpec, AuthKind, SimConfig, SimHandle, Simulator};
use anyhow::Context as _;
use store::{AuthMethod, ClientRegistration, NewAccount, Secret as StoreSecret};

use crate::config::{Config, DatabaseConfig, RedisConfig};

/// The demo accounts: (id, label, sign-in kind). Ids are fixed so a restart replaces them in place.
pub const DEMO_ACCOUNTS: [(&str, &str, AuthKind); 3] = [
    ("demo-builder-id", "Demo Builder ID", AuthKind::BuilderId),
    ("demo-kiro", "Demo Kiro (social)", AuthKind::Social),
    ("demo-idc", "Demo Identity Center", AuthKind::Idc),
];

/// Sub-folder of the data folder that holds everything demo mode writes.
pub const DEMO_SUBDIR: &str = "demo";

/// A running demo upstream. Keep it alive for as long as the gateway serves.
pub struct Demo {
    sim: SimHandle,
}

impl Demo {
    /// Base URL of the in-process simulator (always `http://127.0.0.1:<port>`).
    pub fn upstream_url(&self) -> String {
        self.sim.base_url()
    }

    /// Stops the simulator.
    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// The configuration demo mode runs with: `config` with every upstream endpoint set to
/// `upstream`, no proxy, no Redis, the default SQLite database and a generated key, both under
/// `<data_dir>/demo/`. Pure, so the "never the real hosts, never the real database" rule is
/// tested without starting anything.
pub fn demo_config(config: &Config, upstream: &str) -> Config {
    let mut demo = config.clone();
    demo.data_dir = Some(config.data_dir().join(DEMO_SUBDIR));
    demo.database = DatabaseConfig::default();
    demo.security.encryption_key = None;
    demo.security.encryption_key_file = None;
    demo.redis = RedisConfig::default();
    demo.upstream.point_at(upstream);
    // `/v2/system` reports `demo` from the original design's test flag.
    demo.test = true;
    demo
}

/// Starts the simulator on 127.0.0.1:0, creates the demo accounts in it and (replacing any left
/// from an earlier run, whose tokens the fresh simulator no longer knows) in the demo database.
/// Returns the configuration to serve with and the handle keeping the simulator alive.
pub async fn start(config: &Config) -> anyhow::Result<(Config, Demo)> {
    let sim_config = SimConfig {
        listen: Some("127.0.0.1:0".into()),
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config)
        .await
        .context("starting the demo upstream (amazonq-sim)")?;
    let demo = demo_config(config, &sim.base_url());
    let store = crate::open_store(&demo).await?;
    for (id, label, kind) in DEMO_ACCOUNTS {
        let tokens = sim.add_account(&AccountSpec {
            id: id.into(),
            kind,
            email: Some(format!("{id}@demo.invalid")),
            ..AccountSpec::default()
        });
        let mut new = sim_account(kind, tokens);
        new.id = Some(id.into());
        new.settings.label = label.into();
        store
            .delete_account(id)
            .await
            .with_context(|| format!("replacing demo account {id}"))?;
        store
            .create_account(new)
            .await
            .with_context(|| format!("creating demo account {id}"))?;
    }
    store.close().await?;
    Ok((demo, Demo { sim }))
}

/// The store row of an account the simulator just created: its tokens, expiry, profile and (for
/// IAM Identity Center / Builder ID) OIDC client, with the simulator's account name as id. Demo mode
/// and the tests that seed a gateway from `amazonq-sim` share it.
pub fn sim_account(kind: AuthKind, tokens: amazonq_sim::AccountTokens) -> NewAccount {
    let method = match kind {
        AuthKind::BuilderId => AuthMethod::BuilderId,
        AuthKind::Idc => AuthMethod::Idc,
        AuthKind::Social => AuthMethod::Social,
    };
    let mut new = NewAccount::new(method, StoreSecret::new(tokens.refresh_token));
    new.id = Some(tokens.account);
    new.credentials.access_token = Some(StoreSecret::new(tokens.access_token));
    new.credentials.expires_at = chrono::DateTime::from_timestamp_millis(tokens.expires_at_ms);
    new.settings.profile_arn = tokens.profile_arn;
    if let (Some(client_id), Some(secret)) = (tokens.client_id, tokens.client_secret) {
        new.credentials.client = Some(ClientRegistration {
            client_id,
            client_secret: StoreSecret::new(secret),
            expires_at: None,
        });
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_config_never_points_at_real_hosts_or_the_production_database() {
        let mut prod = Config {
            data_dir: Some("/srv/claude".into()),
            ..Config::default()
        };
        prod.database.url = Some(crate::config::Secret::new("mysql://u:p@db/prod"));
        prod.upstream.proxy = Some(crate::config::Secret::new("http://proxy:3128"));
        prod.redis.url = Some(crate::config::Secret::new("redis://cache"));
        prod.security.encryption_key_file = Some("/srv/claude/key".into());
        prod.server.port = 9999;
        let demo = demo_config(&prod, "http://127.0.0.1:4242");
        for url in [
            &demo.upstream.runtime_endpoint,
            &demo.upstream.management_endpoint,
            &demo.upstream.q_endpoint,
        ] {
            assert_eq!(url.as_deref(), Some("http://127.0.0.1:4242"));
        }
        for url in [
            &demo.upstream.oidc_endpoint,
            &demo.upstream.kiro_auth_endpoint,
        ] {
            assert_eq!(url, "http://127.0.0.1:4242");
        }
        assert!(demo.upstream.proxy.is_none());
        assert!(demo.redis.url.is_none());
        assert!(demo.security.encryption_key_file.is_none());
        assert_eq!(
            demo.database_url().expose(),
            "sqlite:///srv/claude/demo/data.sqlite3?mode=rwc"
        );
        assert!(demo.test, "/v2/system must report demo");
        assert_eq!(demo.server.port, 9999, "listen address is kept");
    }
}
