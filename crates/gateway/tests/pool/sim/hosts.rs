//! The 2026 hosts through the pool (issue 15 "Must show"; kiro-2026-endpoints.md §1, §2, §6): a
//! Builder ID, an IAM Identity Center (profile discovered on the management host, not given) and
//! a social account each complete a streaming chat on the simulator's default runtime host with
//! the right `profileArn` and persona; the management calls carry the profile in query and body;
//! a refused profile is re-resolved once; an unreachable runtime host moves the account to the
//! legacy host.

use std::time::Duration;

use amazonq::client::BUILDER_ID_SERVICE_ARN;
use amazonq_sim::{AccountSpec, LogEntry, SimConfig};
use gateway::pool::AccountOps;
use gateway::pool::UpstreamConfig;
use store::AuthMethod;

use crate::common::pool::*;

/// The profile the simulator lists for IdC accounts on its (us-east-1) listener.
const SIM_PROFILE: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/SIMPROFILE1";

fn header<'a>(e: &'a LogEntry, name: &str) -> Option<&'a str> {
    e.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Successful chats of `account` as the simulator logged them.
fn chats(env: &Env, account: &str) -> Vec<LogEntry> {
    env.sim
        .all_requests()
        .into_iter()
        .filter(|e| e.decision.account.as_deref() == Some(account) && e.status == 200)
        .filter(|e| {
            header(e, "x-amz-target").is_some_and(|t| t.ends_with("GenerateAssistantResponse"))
                || e.path.ends_with("generateAssistantResponse")
        })
        .collect()
}

/// Adds an account of `kind`; IdC accounts are stored without a profile (it must be discovered).
async fn add_kind(env: &Env, id: &str, kind: amazonq_sim::AuthKind) -> String {
    let t = env.sim.add_account(&AccountSpec {
        id: id.into(),
        kind,
        ..AccountSpec::default()
    });
    let mut new = gateway::demo::sim_account(kind, t);
    if new.auth_method == AuthMethod::Idc {
        new.settings.profile_arn = None;
    }
    env.store.create_account(new).await.unwrap();
    id.to_owned()
}

async fn stored_profile(env: &Env, id: &str) -> Option<String> {
    for _ in 0..100 {
        let a = env.store.get_account(id).await.unwrap().unwrap();
        if a.settings.profile_arn.is_some() {
            return a.settings.profile_arn;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario whose steps build on each other's state; split it, the steps would pass that state around"
)]
async fn builder_id_idc_and_social_chat_on_the_runtime_host() {
    use amazonq_sim::AuthKind as K;
    let env = Env::new(SimConfig::default()).await;
    let builder = add_kind(&env, "h-builder", K::BuilderId).await;
    let idc = add_kind(&env, "h-idc", K::Idc).await;
    let social = add_kind(&env, "h-social", K::Social).await;
    let social_arn = env
        .store
        .get_account(&social)
        .await
        .unwrap()
        .unwrap()
        .settings
        .profile_arn
        .expect("the simulator gives social accounts their ARN");
    let (pool, sup) = env.pool(fast()).await;

    // Validation (as after an import) discovers the IdC profile on the management host.
    pool.validate_new(vec![idc.clone()]);
    assert_eq!(
        stored_profile(&env, &idc).await.as_deref(),
        Some(SIM_PROFILE)
    );
    let stored = env.store.get_account(&idc).await.unwrap().unwrap();
    assert_eq!(
        stored.settings.api_region, "us-east-1",
        "the profile's region is the API region"
    );
    let builder_row = env.store.get_account(&builder).await.unwrap().unwrap();
    assert_eq!(
        builder_row.settings.profile_arn, None,
        "the Builder ID service ARN is never stored"
    );

    // Every account streams a chat (round robin over the three).
    for i in 0..6 {
        let (_, text) = run(&pool, request(&format!("#say hello {i}")))
            .await
            .unwrap();
        assert_eq!(text, format!("hello {i}"));
    }
    for (account, arn, target, origin) in [
        (
            &builder,
            BUILDER_ID_SERVICE_ARN,
            "AmazonCodeWhispererStreamingService.GenerateAssistantResponse",
            "KIRO_CLI",
        ),
        (
            &idc,
            SIM_PROFILE,
            "AmazonCodeWhispererStreamingService.GenerateAssistantResponse",
            "KIRO_CLI",
        ),
        (
            &social,
            social_arn.as_str(),
            "KiroRuntimeService.GenerateAssistantResponse",
            "AI_EDITOR",
        ),
    ] {
        let seen = chats(&env, account);
        assert!(!seen.is_empty(), "{account} never chatted");
        for e in &seen {
            assert_eq!(e.path, "/", "{account}: JSON 1.0 on POST /");
            assert_eq!(header(e, "x-amz-target"), Some(target), "{account}");
            let json = e.json.as_ref().unwrap();
            assert_eq!(json["profileArn"], arn, "{account}");
            let message = &json["conversationState"]["currentMessage"]["userInputMessage"];
            assert_eq!(message["origin"], origin, "{account}");
            assert_eq!(json["conversationState"]["agentTaskType"], "vibe");
        }
        assert_eq!(pool.upstream_host(account), Some("runtime"));
    }

    // The management calls of the IdC account carried its profile in query and body.
    let encoded = "arn%3Aaws%3Acodewhisperer%3Aus-east-1%3A123456789012%3Aprofile%2FSIMPROFILE1";
    let management: Vec<LogEntry> = env
        .sim
        .all_requests()
        .into_iter()
        .filter(|e| e.decision.account.as_deref() == Some(idc.as_str()))
        .filter(|e| {
            matches!(
                header(e, "x-amz-target"),
                Some(
                    "KiroControlPlaneBearerService.ListAvailableModels"
                        | "AmazonCodeWhispererService.GetUsageLimits"
                )
            )
        })
        .collect();
    assert_eq!(management.len(), 2, "models and usage, once each");
    for e in &management {
        assert_eq!(e.status, 200, "{:?}", e.body);
        assert!(
            e.query.as_deref().is_some_and(|q| q.contains(encoded)),
            "{:?}",
            e.query
        );
        assert_eq!(e.json.as_ref().unwrap()["profileArn"], SIM_PROFILE);
    }
    assert!(
        env.sim
            .all_requests()
            .iter()
            .any(|e| header(e, "x-amz-target")
                == Some("AmazonCodeWhispererService.ListAvailableProfiles")
                && e.decision.account.as_deref() == Some(idc.as_str())),
        "the profile came from ListAvailableProfiles"
    );
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_profile_is_resolved_once_and_the_operator_can_pick() {
    let env = Env::new(SimConfig::default()).await;
    let idc = add_kind(&env, "p-idc", amazonq_sim::AuthKind::Idc).await;
    let (pool, sup) = env.pool(fast()).await;
    // No validation ran: the first chat meets "profileArn is required", re-resolves, succeeds.
    let mut s = pool.send(request("#say resolved")).await.unwrap();
    assert_eq!(s.attempts, 2, "one retry after the profile was resolved");
    while let Some(ev) = s.next_event().await {
        ev.unwrap();
    }
    s.finish(gateway::pool::Outcome::Success).await;
    assert_eq!(
        env.store
            .get_account(&idc)
            .await
            .unwrap()
            .unwrap()
            .settings
            .profile_arn
            .as_deref(),
        Some(SIM_PROFILE)
    );
    let first = env
        .sim
        .all_requests()
        .into_iter()
        .find(|e| {
            e.decision.account.as_deref() == Some(idc.as_str()) && e.path == "/" && e.status == 400
        })
        .expect("the first chat went without a profile");
    assert!(first.body.unwrap_or_default().contains("conversationState"));

    // The admin API's list and pick (thin handlers over these).
    let profiles = pool.list_profiles(&idc).await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert!(profiles[0].selected);
    assert_eq!(profiles[0].region.as_deref(), Some("us-east-1"));
    let refused = pool
        .pick_profile(&idc, "arn:aws:codewhisperer:us-east-1:1:profile/NOT-LISTED")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not one of"), "{refused}");
    let account = pool.pick_profile(&idc, SIM_PROFILE).await.unwrap();
    assert_eq!(account.settings.profile_arn.as_deref(), Some(SIM_PROFILE));
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_runtime_host_moves_the_account_to_the_legacy_host() {
    let env = Env::new(SimConfig::default()).await;
    let social = add_kind(&env, "f-social", amazonq_sim::AuthKind::Social).await;
    // Nothing listens on port 9 of loopback: connection refused on the new hosts.
    let upstream = UpstreamConfig {
        runtime_endpoint: Some("http://127.0.0.1:9".into()),
        management_endpoint: Some("http://127.0.0.1:9".into()),
        ..UpstreamConfig::single_host(&env.sim.base_url())
    };
    let (pool, sup) = env.pool_with(fast(), upstream).await;
    let (account, text) = run(&pool, request("#say via q")).await.unwrap();
    assert_eq!(
        (account.as_str(), text.as_str()),
        (social.as_str(), "via q")
    );
    assert_eq!(pool.upstream_host(&social), Some("legacy_q"));
    let seen = chats(&env, &social);
    assert_eq!(seen.len(), 1);
    // Today's Kiro dialect: the REST path, no target.
    assert_eq!(seen[0].path, "/generateAssistantResponse");
    assert_eq!(header(&seen[0], "x-amz-target"), None);
    // It stays there: the next call goes straight to the legacy host.
    let mut s = pool.send(request("#say again")).await.unwrap();
    assert_eq!(s.attempts, 1);
    while let Some(ev) = s.next_event().await {
        ev.unwrap();
    }
    s.finish(gateway::pool::Outcome::Success).await;

    // With the fallback off the connection failure is the answer.
    let env2 = Env::new(SimConfig::default()).await;
    add_kind(&env2, "f-off", amazonq_sim::AuthKind::Social).await;
    let off = UpstreamConfig {
        runtime_endpoint: Some("http://127.0.0.1:9".into()),
        management_endpoint: Some("http://127.0.0.1:9".into()),
        legacy_fallback: false,
        ..UpstreamConfig::single_host(&env2.sim.base_url())
    };
    let (pool2, sup2) = env2
        .pool_with(
            gateway::pool::PoolConfig {
                max_attempts: 1,
                ..fast()
            },
            off,
        )
        .await;
    assert!(pool2.send(request("#say no")).await.is_err());
    assert_eq!(pool2.upstream_host("f-off"), Some("runtime"));
    assert!(chats(&env2, "f-off").is_empty());
    sup.shutdown(Duration::from_secs(2)).await;
    sup2.shutdown(Duration::from_secs(2)).await;
}
