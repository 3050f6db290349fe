//! The workspace's `amazonq` OIDC / Kiro-auth clients against the simulator (amazon-q-protocol.md
//! §2.7, §2.8, §3, §8.5 rows "expired token between turns", "revoked refresh token", "suspension
//! mid-pool"): the full device login loop, refresh after a 403, dead refresh tokens, bans.

use crate::common;
use crate::common::{account, account_with};

use std::sync::Arc;
use std::time::Duration;

use amazonq::client::{
    AuthKind, ChatResponse, ClientConfig, ClientError, Credentials, Dialect, Host, QClient,
};
use amazonq::error::ErrorClass;
use amazonq::kiro_auth::KiroAuthClient;
use amazonq::oidc::{ClientRegistration, OidcClient};
use amazonq::types::GenerateAssistantResponseRequest;
use amazonq_sim::{AccountSpec, QueuedFault, SimConfig, Simulator};

const SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
];

fn request() -> GenerateAssistantResponseRequest {
    serde_json::from_value(common::body("hi")).unwrap()
}

/// One chat with the fixed [`request`].
async fn chat(client: &QClient, c: &Credentials) -> Result<ChatResponse, ClientError> {
    client.generate_assistant_response(c, &request()).await
}

fn q(base: &str) -> QClient {
    QClient::new(ClientConfig::at(base)).unwrap()
}

fn creds(token: &str, dialect: Dialect, kind: AuthKind) -> Credentials {
    Credentials {
        dialect,
        auth_kind: kind,
        // Today's wire format (these tests play the legacy q host).
        host: Host::LegacyQ,
        access_token: token.to_owned(),
        ..Credentials::default()
    }
}

#[tokio::test]
#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
async fn amazonq_device_login_loop_against_the_fake() {
    let mut cfg = SimConfig::default();
    cfg.oidc.device_interval_s = 1;
    cfg.oidc.enforce_slow_down = false;
    let sim = Arc::new(Simulator::start(cfg).await.unwrap());
    let oidc = OidcClient::new(sim.base_url(), Duration::from_secs(5))
        .unwrap()
        .with_time_unit(Duration::from_millis(20));
    let approver = sim.clone();
    let login = oidc
        .device_login(
            None,
            "amazonq-sim test",
            &SCOPES,
            "https://view.awsapps.com/start",
            move |auth| {
                // One injected slow_down on the first poll, then approve after a few pending polls.
                approver
                    .queue_fault(QueuedFault {
                        faults: vec!["auth-slow-down".into()],
                        account: None,
                        operation: Some("oidc".into()),
                        count: 1,
                    })
                    .unwrap();
                let (sim, code) = (approver.clone(), auth.user_code.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    sim.approve_device(&code, Some("dev1")).unwrap();
                });
            },
        )
        .await
        .unwrap();
    let polls = sim.devices()[0].polls;
    assert!(polls >= 2, "pending polls before approval, got {polls}");
    let log = sim.all_requests();
    assert!(
        log.iter()
            .any(|e| e.decision.faults.contains(&"auth-slow-down".to_owned()))
    );
    // The token chats; refresh with the returned registration works and rotates.
    let client = q(&sim.legacy_q_url());
    let c = creds(
        &login.token.access_token,
        Dialect::AmazonQ,
        AuthKind::BuilderId,
    );
    assert!(chat(&client, &c).await.is_ok());
    let old_rt = login.token.refresh_token.clone().unwrap();
    let refreshed = oidc.refresh(&login.registration, &old_rt).await.unwrap();
    assert_ne!(refreshed.refresh_token.as_deref(), Some(old_rt.as_str()));
    assert_eq!(sim.refresh_calls("dev1").unwrap(), 1);
}

#[tokio::test]
async fn expired_token_refresh_and_retry_then_revoked_and_suspended() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let t = sim.add_account(&account_with("a1", |a| a.limits.suspend_after = Some(3)));
    let client = q(&sim.legacy_q_url());
    let oidc = OidcClient::new(sim.base_url(), Duration::from_secs(5)).unwrap();
    let reg = ClientRegistration {
        client_id: t.client_id.clone().unwrap(),
        client_secret: t.client_secret.clone().unwrap(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(30),
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let c = creds(&t.access_token, Dialect::AmazonQ, AuthKind::BuilderId);
    assert!(chat(&client, &c).await.is_ok());
    // Expired between turns → NeedsRefresh → refresh via the OIDC fake → retry succeeds.
    sim.advance_clock_ms(3_600_000);
    let err = chat(&client, &c).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NeedsRefresh);
    let fresh = oidc.refresh(&reg, &t.refresh_token).await.unwrap();
    let c = creds(&fresh.access_token, Dialect::AmazonQ, AuthKind::BuilderId);
    assert!(chat(&client, &c).await.is_ok());
    // Revoked refresh token → the account needs a new login.
    sim.revoke_refresh("a1").unwrap();
    let err = oidc
        .refresh(&reg, fresh.refresh_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::RefreshTokenDead);
    // Suspension mid-pool: flagged after 3 accepted requests.
    assert!(chat(&client, &c).await.is_ok());
    let err = chat(&client, &c).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Suspended);
}

#[tokio::test]
async fn kiro_social_refresh_with_the_amazonq_client() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let t = sim.add_account(&AccountSpec {
        kind: amazonq_sim::AuthKind::Social,
        ..account("k1")
    });
    let kiro = KiroAuthClient::new(sim.base_url(), Duration::from_secs(5)).unwrap();
    let fresh = kiro
        .refresh(&t.refresh_token, None, None, None)
        .await
        .unwrap();
    assert_eq!(fresh.profile_arn, t.profile_arn);
    assert_ne!(fresh.refresh_token, t.refresh_token);
    let client = q(&sim.legacy_q_url());
    let c = Credentials {
        profile_arn: fresh.profile_arn.clone(),
        ..creds(&fresh.access_token, Dialect::Kiro, AuthKind::Social)
    };
    assert!(chat(&client, &c).await.is_ok());
    let log = sim.requests(&amazonq_sim::LogFilter {
        operation: Some("chat".into()),
        ..Default::default()
    });
    assert_eq!(
        log[0].json.as_ref().unwrap()["profileArn"],
        serde_json::json!(t.profile_arn),
        "social accounts send profileArn"
    );
    // The rotated-away token is dead now.
    let err = kiro
        .refresh(&t.refresh_token, None, None, None)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::RefreshTokenDead);
}
