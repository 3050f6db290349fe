//! The request path: [`super::Pool::send`] and [`PoolStream`] (issue 4 "Selection", "Refresh";
//! spec §5.1 stream-open policy: errors before the first event can still fail over).
//!
//! Per attempt: lease an account (skipping those already tried) → fresh token → chat call →
//! read up to the first content event. Failover happens only before anything was handed to the
//! caller. Before that, the account itself gets the recovery steps of `recover.rs` (a forced
//! refresh after 403 "bearer token invalid", the legacy-host fallback, the profile re-resolution).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use amazonq::client::{ChatResponse, ClientError, EventStream};
use amazonq::error::ErrorClass;
use amazonq::events::StreamEvent;
use amazonq::types::GenerateAssistantResponseRequest;
use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::lease::{Lease, Want};
use super::recover::Recovery;
use super::refresh::Need;
use super::{Inner, Outcome, Pool, PoolError, PoolStreamError, class_name};

/// One chat call to send through the pool.
#[derive(Debug, Clone)]
pub struct PoolRequest {
    /// Translated upstream body (model id already set in `currentMessage`).
    pub body: GenerateAssistantResponseRequest,
    /// Upstream model id, for entitlement (empty = any account).
    pub model: String,
    /// Keeps one client session on one account (Claude Code session id, `metadata.user_id`, or an
    /// explicit header), while that account is healthy.
    pub sticky_key: Option<String>,
    /// Fires when the client goes away; aborts waiting, refreshing and connecting.
    pub cancel: Option<CancellationToken>,
}

/// An open upstream stream on a leased account.
pub struct PoolStream {
    /// Account serving the request.
    pub account_id: String,
    /// Its label (may be empty).
    pub account_label: String,
    /// Upstream calls made for this request (1 = first try succeeded).
    pub attempts: u32,
    /// `x-amzn-requestid` of the upstream call.
    pub request_id: Option<String>,
    buffered: VecDeque<StreamEvent>,
    events: EventStream,
    /// The upstream stream already returned its end (it must not be polled again).
    ended: bool,
    lease: Option<Lease>,
    /// The pool's drift recorder: every event handed out is checked (`super::drift`).
    drift: amazonq::drift::Drift,
}

impl std::fmt::Debug for PoolStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolStream")
            .field("account_id", &self.account_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl PoolStream {
    /// The next upstream event; `None` at a clean end. After an `Err` the stream is over.
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent, PoolStreamError>> {
        if let Some(e) = self.buffered.pop_front() {
            super::drift::note_event(&self.drift, &e, &self.account_id);
            return Some(Ok(e));
        }
        if self.ended {
            return None;
        }
        let item = self.events.next().await;
        if !matches!(item, Some(Ok(_))) {
            self.ended = true;
        }
        match &item {
            Some(Ok(ev)) => super::drift::note_event(&self.drift, ev, &self.account_id),
            Some(Err(e)) => super::drift::note_stream_error(&self.drift, e, &self.account_id),
            None => {}
        }
        item.map(|r| r.map_err(PoolStreamError::from))
    }

    /// [`Self::finish`] on a tracked task of the pool's supervisor, for callers that cannot await
    /// (a `Drop`): the bookkeeping may write to the store, and shutdown waits for it before the
    /// store closes.
    pub fn finish_in_background(self, outcome: Outcome) {
        let Some(tasks) = self.lease.as_ref().map(|l| l.inner().tasks.clone()) else {
            return;
        };
        tasks.spawn_tracked("pool-stream-finish", self.finish(outcome));
    }

    /// The account's lease (`None` once released).
    pub(super) fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    /// Reads a newly opened call from here on (`search::follow_up`).
    pub(super) fn replace(&mut self, (response, buffered, ended): Opened) {
        self.request_id = response.request_id;
        self.events = response.events;
        self.buffered = buffered;
        self.ended = ended;
    }

    /// Ends the stream: no more events (a follow-up that failed to open).
    pub(super) fn end(&mut self) {
        self.buffered.clear();
        self.ended = true;
    }

    /// Reports how the turn ended (counters, account health) and releases the account.
    pub async fn finish(self, outcome: Outcome) {
        let Self { lease, events, .. } = self;
        // Close the upstream request before any bookkeeping: after an early end (stop sequence,
        // client gone) nothing more should be read or held open while the store is written.
        drop(events);
        let Some(lease) = lease else {
            return;
        };
        let inner = lease.inner();
        let slot = Arc::clone(&lease.slot);
        // Free the slot before the bookkeeping (which may write to the store).
        drop(lease);
        match outcome {
            Outcome::Success => inner.on_success(&slot).await,
            Outcome::ClientAbort => {}
            Outcome::StreamFailed => {
                slot.err_pending
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Outcome::Upstream(class) => {
                inner
                    .on_failure(&slot, &class, "in-band upstream exception")
                    .await;
            }
        }
    }
}

/// Why one attempt failed.
pub(super) struct AttemptError {
    pub(super) class: ErrorClass,
    pub(super) message: String,
    pub(super) status: Option<u16>,
    /// The call's error (none for a refresh failure or an in-stream exception).
    client: Option<ClientError>,
}

impl From<ClientError> for AttemptError {
    fn from(e: ClientError) -> Self {
        let status = match &e {
            ClientError::Http(h) => Some(h.status),
            _ => None,
        };
        Self {
            class: e.class(),
            message: e.to_string(),
            status,
            client: Some(e),
        }
    }
}

impl Pool {
    /// Picks an account, leases it, and opens the upstream stream, failing over before the first
    /// event as described in the module docs.
    pub async fn send(&self, mut req: PoolRequest) -> Result<PoolStream, PoolError> {
        let inner = &self.inner;
        let max_attempts = inner.cfg.max_attempts.max(1);
        let mut excluded: HashSet<String> = HashSet::new();
        let mut attempts = 0u32;
        let mut last: Option<AttemptError> = None;
        while attempts < max_attempts {
            if req
                .cancel
                .as_ref()
                .is_some_and(CancellationToken::is_cancelled)
            {
                return Err(PoolError::Cancelled);
            }
            let want = Want {
                model: &req.model,
                sticky_key: req.sticky_key.as_deref(),
                excluded: &excluded,
                cancel: req.cancel.as_ref(),
            };
            let lease = match inner.acquire(&want).await {
                Ok(l) => l,
                // Accounts were tried and failed: report the upstream reason, not "no accounts"
                // (nor that the rest are out of quota or held back).
                Err(
                    PoolError::NoAccounts(_)
                    | PoolError::QuotaExhausted { .. }
                    | PoolError::AllBusy {
                        cooling_down: true, ..
                    },
                ) if last.is_some() => break,
                Err(e) => return Err(e),
            };
            attempts += 1;
            match cancellable(
                req.cancel.as_ref(),
                inner.attempt(&lease, &mut req.body, &mut attempts, max_attempts),
            )
            .await
            {
                None => return Err(PoolError::Cancelled),
                Some(Ok((response, buffered, ended))) => {
                    inner.on_opened(&lease.slot).await;
                    let info = lease.slot.info.load();
                    if attempts > 1 {
                        metrics::counter!("gateway_pool_failovers_total").increment(1);
                    }
                    return Ok(PoolStream {
                        account_id: lease.slot.id.clone(),
                        account_label: info.label.clone(),
                        attempts,
                        request_id: response.request_id,
                        buffered,
                        events: response.events,
                        ended,
                        lease: Some(lease),
                        drift: inner.drift.clone(),
                    });
                }
                Some(Err(e)) => {
                    tracing::debug!(account = %lease.slot.id, class = class_name(&e.class), error = %e.message, "upstream attempt failed");
                    inner.on_failure(&lease.slot, &e.class, &e.message).await;
                    let retry_elsewhere = e.class.is_retryable();
                    excluded.insert(lease.slot.id.clone());
                    drop(lease);
                    if !retry_elsewhere {
                        return Err(upstream_error(e, attempts));
                    }
                    last = Some(e);
                }
            }
        }
        Err(match last {
            Some(e) => upstream_error(e, attempts),
            None => PoolError::NoAccounts(None),
        })
    }
}

fn upstream_error(e: AttemptError, attempts: u32) -> PoolError {
    PoolError::Upstream {
        class: e.class,
        message: e.message,
        status: e.status,
        attempts,
    }
}

async fn cancellable<T>(
    cancel: Option<&CancellationToken>,
    fut: impl Future<Output = T>,
) -> Option<T> {
    match cancel {
        Some(c) => tokio::select! {
            () = c.cancelled() => None,
            v = fut => Some(v),
        },
        None => Some(fut.await),
    }
}

/// The response, the events read ahead, and whether the stream already ended.
pub(super) type Opened = (ChatResponse, VecDeque<StreamEvent>, bool);

impl Inner {
    /// One account: fresh token, the persona's stamp on the body, the call, and the recovery
    /// steps of [`super::recover`] (refresh, legacy fallback, profile), each retried on the same
    /// account while `attempts < max_attempts`.
    pub(super) async fn attempt(
        &self,
        lease: &Lease,
        body: &mut GenerateAssistantResponseRequest,
        attempts: &mut u32,
        max_attempts: u32,
    ) -> Result<Opened, AttemptError> {
        let slot = &lease.slot;
        let refresh_err = |r: super::refresh::RefreshFailure| AttemptError {
            class: r.class,
            message: r.message,
            status: None,
            client: None,
        };
        let mut token = self
            .fresh_token(slot, Need::Within(self.request_margin()))
            .await
            .map_err(refresh_err)?;
        let mut done = Recovery::default();
        loop {
            let creds = self
                .upstream
                .credentials(&slot.info.load(), &token, slot.host());
            // Per attempt: another account may be another persona (origin).
            self.upstream.q.prepare(&creds, body);
            let e = match self.open(&creds, body, &slot.id).await {
                Ok(opened) => return Ok(opened),
                Err(e) => e,
            };
            let Some(client) = e.client.as_ref().filter(|_| *attempts < max_attempts) else {
                return Err(e);
            };
            match self.recover(slot, &token, client, &mut done).await {
                Ok(Some(next)) => {
                    *attempts += 1;
                    token = next;
                }
                Ok(None) => return Err(e),
                Err(r) => return Err(refresh_err(r)),
            }
        }
    }

    /// The call plus the first events, so errors that arrive as the first frame still fail over.
    async fn open(
        &self,
        creds: &amazonq::client::Credentials,
        body: &GenerateAssistantResponseRequest,
        account: &str,
    ) -> Result<Opened, AttemptError> {
        let mut response = match self
            .upstream
            .q
            .generate_assistant_response(creds, body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                if let ClientError::Http(h) = &e
                    && let Some(obs) = amazonq::drift::observe::from_http(h, || {
                        amazonq::client::body_shape(body, creds.effective_profile_arn().is_some())
                    })
                {
                    self.drift_note(&obs, account);
                }
                return Err(e.into());
            }
        };
        let mut buffered = VecDeque::new();
        let mut ended = false;
        loop {
            match response.events.next().await {
                None => {
                    ended = true;
                    break;
                }
                Some(Err(e)) => {
                    super::drift::note_stream_error(&self.drift, &e, account);
                    return Err(AttemptError {
                        class: ErrorClass::Transient,
                        message: e.to_string(),
                        status: None,
                        client: None,
                    });
                }
                Some(Ok(
                    ev
                    @ (StreamEvent::InitialResponse { .. } | StreamEvent::MessageMetadata { .. }),
                )) => {
                    buffered.push_back(ev);
                }
                Some(Ok(ev @ (StreamEvent::Exception { .. } | StreamEvent::Error { .. }))) => {
                    if let Some(e) = self.first_frame_failure(&ev, account) {
                        return Err(e);
                    }
                    buffered.push_back(ev);
                    break;
                }
                Some(Ok(ev)) => {
                    buffered.push_back(ev);
                    break;
                }
            }
        }
        Ok((response, buffered, ended))
    }
}

impl Inner {
    /// An exception (or error frame) as the first frame: a retryable class fails the attempt so
    /// the next account is tried; any other is handed to the caller, whose stream machine
    /// classifies it the same way ([`amazonq::error::classify_exception`]) and reports that
    /// class back through [`PoolStream::finish`].
    fn first_frame_failure(&self, ev: &StreamEvent, account: &str) -> Option<AttemptError> {
        let (kind, reason, text) = match ev {
            StreamEvent::Exception {
                exception_type,
                message,
                reason,
            } => (
                exception_type,
                reason.as_deref(),
                message.as_deref().unwrap_or_default(),
            ),
            StreamEvent::Error { code, message } => (code, None, message.as_str()),
            _ => return None,
        };
        let class = amazonq::error::classify_exception(kind, reason, text);
        if !class.is_retryable() {
            return None;
        }
        // Not handed out (the next account is tried): counted here, without the message.
        let seen = match ev {
            StreamEvent::Error { code, .. } => StreamEvent::Error {
                code: code.clone(),
                message: String::new(),
            },
            _ => StreamEvent::Exception {
                exception_type: kind.clone(),
                message: None,
                reason: reason.map(str::to_owned),
            },
        };
        super::drift::note_event(&self.drift, &seen, account);
        Some(AttemptError {
            class,
            message: format!("{kind}: {text}"),
            status: None,
            client: None,
        })
    }
}

/// The handlers run these futures inside axum, which needs them `Send`: checked at compile time.
#[expect(dead_code, reason = "a compile-time check, never called")]
fn assert_send_futures(pool: &Pool, req: PoolRequest, mut stream: PoolStream) {
    fn is_send<T: Send>(_: &T) {}
    is_send(&pool.send(req));
    is_send(&stream.next_event());
    is_send(&stream.finish(Outcome::Success));
}
