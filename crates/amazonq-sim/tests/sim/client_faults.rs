//! The workspace's own `amazonq` client against the simulator: every fault of the §8.5 catalogue
//! ends the way amazon-q-protocol.md says (classified HTTP errors per §5.1, terminal in-stream
//! exceptions, decode errors for broken framing, timeouts for slow streams, identical events under
//! every fragmentation pattern, no cross-talk between parallel streams).

use crate::common;
use crate::common::account;

use std::time::Duration;

use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, Dialect, Host, QClient, StreamError,
};
use amazonq::error::{ErrorClass, QuotaPeriod};
use amazonq::events::StreamEvent;
use amazonq::types::GenerateAssistantResponseRequest;
use amazonq_sim::{SimConfig, SimHandle, Simulator};
use futures_util::StreamExt;

struct Env {
    sim: SimHandle,
    client: QClient,
    token: String,
}

async fn env() -> Env {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let t = sim.add_account(&account("a1"));
    let config = ClientConfig {
        first_byte_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        ..ClientConfig::at(&sim.legacy_q_url())
    };
    Env {
        client: QClient::new(config).unwrap(),
        sim,
        token: t.access_token,
    }
}

fn creds(e: &Env, dialect: Dialect) -> Credentials {
    Credentials {
        dialect,
        auth_kind: AuthKind::BuilderId,
        // Today's wire format (these tests play the legacy q host).
        host: Host::LegacyQ,
        access_token: e.token.clone(),
        ..Credentials::default()
    }
}

fn request(text: &str) -> GenerateAssistantResponseRequest {
    serde_json::from_value(common::body(text)).unwrap()
}

/// Runs one call with `fault` queued; returns the call error or the events and the stream's end.
async fn run(
    e: &Env,
    dialect: Dialect,
    text: &str,
    fault: Option<&str>,
) -> Result<(Vec<StreamEvent>, Option<StreamError>), ClientError> {
    if let Some(f) = fault {
        e.sim.fault_next_chat(Some("a1"), f).unwrap();
    }
    let resp = e
        .client
        .generate_assistant_response(&creds(e, dialect), &request(text))
        .await?;
    let mut events = Vec::new();
    let mut stream = resp.events;
    while let Some(item) = stream.next().await {
        match item {
            Ok(ev) => events.push(ev),
            Err(err) => return Ok((events, Some(err))),
        }
    }
    Ok((events, None))
}

fn text(evs: &[StreamEvent]) -> String {
    evs.iter()
        .filter_map(|e| match e {
            StreamEvent::AssistantResponse { content } => Some(content.as_str()),
            _ => None,
        })
        .collect()
}

fn class_of(r: Result<(Vec<StreamEvent>, Option<StreamError>), ClientError>) -> ErrorClass {
    match r {
        Err(e) => e.class(),
        Ok(x) => panic!("expected an HTTP error, got {x:?}"),
    }
}

#[tokio::test]
async fn http_error_rows_are_classified_per_section_5_1() {
    let e = env().await;
    let monthly = ErrorClass::QuotaExhausted {
        resets_at: None,
        period: QuotaPeriod::Monthly,
    };
    let daily = ErrorClass::QuotaExhausted {
        resets_at: None,
        period: QuotaPeriod::Daily,
    };
    let cases: Vec<(&str, Dialect, ErrorClass)> = vec![
        ("bearer-invalid", Dialect::AmazonQ, ErrorClass::NeedsRefresh),
        ("unauthorized", Dialect::AmazonQ, ErrorClass::NeedsRefresh),
        ("suspended", Dialect::Kiro, ErrorClass::Suspended),
        ("locked", Dialect::Kiro, ErrorClass::Suspended),
        (
            "feature-not-authorized",
            Dialect::Kiro,
            ErrorClass::Forbidden,
        ),
        ("monthly-quota", Dialect::Kiro, monthly.clone()),
        ("monthly-quota", Dialect::AmazonQ, monthly),
        ("daily-quota", Dialect::Kiro, daily),
        (
            "input-too-long",
            Dialect::AmazonQ,
            ErrorClass::ContextTooLong,
        ),
        ("invalid-model", Dialect::AmazonQ, ErrorClass::InvalidModel),
        ("capacity", Dialect::AmazonQ, ErrorClass::ModelUnavailable),
        ("high-load", Dialect::AmazonQ, ErrorClass::ModelUnavailable),
        ("internal", Dialect::AmazonQ, ErrorClass::Transient),
        ("unavailable", Dialect::AmazonQ, ErrorClass::Transient),
    ];
    for (fault, dialect, want) in cases {
        let got = class_of(run(&e, dialect, "hi", Some(fault)).await);
        assert_eq!(got, want, "{fault} on {dialect:?}");
    }
    assert!(matches!(
        class_of(run(&e, Dialect::AmazonQ, "hi", Some("throttled")).await),
        ErrorClass::Throttled { .. }
    ));
    assert!(matches!(
        class_of(run(&e, Dialect::AmazonQ, "hi", Some("improperly-formed")).await),
        ErrorClass::BadRequest { .. }
    ));
    assert!(matches!(
        class_of(run(&e, Dialect::Kiro, "hi", Some("bad-json")).await),
        ErrorClass::BadRequest { .. }
    ));
    // Real pipeline errors, not only injected ones: an unknown token, an expired one.
    let bad = Credentials {
        access_token: "nope".into(),
        ..creds(&e, Dialect::AmazonQ)
    };
    let err = e
        .client
        .generate_assistant_response(&bad, &request("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NeedsRefresh);
    // Throttle burst: first N requests 429, then success.
    e.sim
        .patch_account(
            "a1",
            &amazonq_sim::AccountPatch {
                throttle_next: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    for _ in 0..2 {
        assert!(matches!(
            class_of(run(&e, Dialect::AmazonQ, "hi", None).await),
            ErrorClass::Throttled { .. }
        ));
    }
    assert!(run(&e, Dialect::AmazonQ, "hi", None).await.is_ok());
}

#[tokio::test]
async fn in_stream_exceptions_and_error_frames_end_the_turn() {
    let e = env().await;
    for (fault, want) in [
        ("exception:2", "error"),
        (
            "content-length-exceeded:2",
            "ContentLengthExceededException",
        ),
    ] {
        let (evs, end) = run(&e, Dialect::AmazonQ, "#text 20", Some(fault))
            .await
            .unwrap();
        assert!(
            end.is_none(),
            "{fault}: the stream itself ends cleanly after the exception frame"
        );
        match evs.last().unwrap() {
            StreamEvent::Exception { exception_type, .. } => assert_eq!(exception_type, want),
            other => panic!("{fault}: last event {other:?}"),
        }
        assert!(evs.last().unwrap().is_terminal_error());
        assert_eq!(evs.len(), 3, "2 events then the exception");
    }
    let (evs, _) = run(&e, Dialect::Kiro, "#text 20", Some("error-frame:1"))
        .await
        .unwrap();
    assert!(
        matches!(evs.last().unwrap(), StreamEvent::Error { code, .. } if code == "InternalFailure")
    );
}

#[tokio::test]
async fn broken_framing_and_dropped_connections_are_stream_errors() {
    let e = env().await;
    for fault in common::CORRUPT_FRAMING.into_iter().chain([
        "truncated-frame",
        "drop:2",
        "drop-rst:2",
        "drop-bytes:150",
        "drop-bytes-rst:150",
    ]) {
        let (_, end) = run(&e, Dialect::AmazonQ, "#text 30", Some(fault))
            .await
            .unwrap_or_else(|err| panic!("{fault}: {err:?}"));
        let end = end.unwrap_or_else(|| panic!("{fault}: stream ended cleanly"));
        match fault {
            f if f.starts_with("drop") => assert!(
                matches!(end, StreamError::Transport(_) | StreamError::Decode(_)),
                "{fault}: {end:?}"
            ),
            _ => assert!(matches!(end, StreamError::Decode(_)), "{fault}: {end:?}"),
        }
    }
}

#[tokio::test]
async fn fragmentation_headers_duplicates_and_unknowns_decode_identically() {
    let e = env().await;
    let script = "#text 25\n#tool id=T1 fragments=4 fs_read {\"path\": \"ä.txt\"}";
    let (reference, end) = run(&e, Dialect::AmazonQ, script, None).await.unwrap();
    assert!(end.is_none());
    for fault in [
        "fragment:1",
        "fragment:2",
        "fragment-random:3:11",
        "coalesce",
        "exotic-headers",
    ] {
        let (evs, end) = run(&e, Dialect::AmazonQ, script, Some(fault))
            .await
            .unwrap();
        assert!(end.is_none(), "{fault}");
        assert_eq!(evs, reference, "{fault}");
    }
    let (evs, _) = run(&e, Dialect::AmazonQ, script, Some("unknown-events"))
        .await
        .unwrap();
    assert!(evs.iter().any(
        |ev| matches!(ev, StreamEvent::Unknown { event_type, .. } if event_type == "simFutureEvent")
    ));
    assert_eq!(text(&evs), text(&reference));
    let (evs, _) = run(&e, Dialect::AmazonQ, script, Some("duplicate-text"))
        .await
        .unwrap();
    assert_eq!(
        evs.len(),
        reference.len() + 1,
        "duplicates are delivered; dedupe is the gateway's decision"
    );
    let (evs, _) = run(&e, Dialect::AmazonQ, script, Some("duplicate-tool"))
        .await
        .unwrap();
    assert_eq!(
        evs.iter()
            .filter(|ev| matches!(ev, StreamEvent::ToolUse { stop: true, .. }))
            .count(),
        2
    );
    let (evs, end) = run(&e, Dialect::AmazonQ, "hi", Some("huge-frame:3000000"))
        .await
        .unwrap();
    assert!(end.is_none());
    assert!(text(&evs).len() > 3_000_000);
    let (evs, end) = run(&e, Dialect::AmazonQ, "hi", Some("empty-200"))
        .await
        .unwrap();
    assert!(
        evs.is_empty() && end.is_none(),
        "empty 200 is a clean, empty turn"
    );
    for (fault, bad) in [
        ("truncated-tool-json", true),
        ("non-object-tool-input:\"x\"", false),
    ] {
        let (evs, _) = run(&e, Dialect::AmazonQ, "hi", Some(fault)).await.unwrap();
        let input: String = evs
            .iter()
            .filter_map(|ev| match ev {
                StreamEvent::ToolUse { input: Some(i), .. } => Some(i.as_str()),
                _ => None,
            })
            .collect();
        let parsed = serde_json::from_str::<serde_json::Value>(&input);
        assert_eq!(parsed.is_err(), bad, "{fault}: {input}");
        if !bad {
            assert!(!parsed.unwrap().is_object());
        }
    }
}

#[tokio::test]
async fn slow_streams_hit_the_timeouts() {
    let e = env().await;
    let err = run(&e, Dialect::AmazonQ, "hi", Some("delay-first:3500"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::FirstByteTimeout(_)), "{err:?}");
    assert_eq!(
        err.class(),
        ErrorClass::Transient,
        "nothing was forwarded: retry-safe"
    );
    let (evs, end) = run(&e, Dialect::AmazonQ, "#text 20", Some("stall:2:3500"))
        .await
        .unwrap();
    assert_eq!(evs.len(), 2);
    assert!(matches!(end, Some(StreamError::IdleTimeout(_))), "{end:?}");
    let (_, end) = run(&e, Dialect::AmazonQ, "#text 8", Some("drip:100"))
        .await
        .unwrap();
    assert!(end.is_none(), "a slow drip under the idle timeout is fine");
}

#[tokio::test]
#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
async fn parallel_streams_do_not_cross_talk() {
    let e = std::sync::Arc::new(env().await);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            let dialect = if i % 2 == 0 {
                Dialect::AmazonQ
            } else {
                Dialect::Kiro
            };
            let (evs, end) = run(
                &e,
                dialect,
                &format!("#split char\n#say stream-{i}-end"),
                None,
            )
            .await
            .unwrap();
            assert!(end.is_none());
            assert_eq!(text(&evs), format!("stream-{i}-end"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
