//! The chat handlers' one seam to the account pool: open an upstream stream (`Pool::send`, which
//! retries and fails over before the first event) and read its events.
//!
//! The response side owns the [`Feed`], and the feed owns the [`PoolStream`]: the SSE body polls
//! the upstream directly, with no task or channel in between (issue 11 S2: a pump task and a
//! channel cost two extra task wake-ups per streamed frame). The contract stays the same:
//! - **Client disconnect cancels the upstream at once** (issue 10), also while the upstream is
//!   silent: hyper drops the response body, the body drops the feed, the feed drops the upstream
//!   stream, which closes the upstream HTTP request.
//! - **Keep-alive timers can race [`Feed::recv`]**: it is cancel-safe (an event is taken out of
//!   the upstream stream only when `recv` returns it).
//! - **The pool hears how the turn ended**: when the feed is dropped it reports the verdict the
//!   response side left in it (success, in-band upstream error, broken stream), or
//!   [`Outcome::ClientAbort`] when there is none, through [`PoolStream::finish_in_background`] (a
//!   task the supervisor tracks: the bookkeeping may write to the store and must not hold up the
//!   drop, and shutdown waits for it before the store closes).

use amazonq::events::StreamEvent;
use tokio_util::sync::CancellationToken;
use translate::ir::{StreamError, StreamErrorKind};

use crate::pool::{Outcome, Pool, PoolError, PoolRequest, PoolStream};

/// One item of the feed: an upstream event, or the transport failure that ended the stream.
pub type Item = Result<StreamEvent, StreamError>;

/// What to open upstream.
#[derive(Debug)]
pub struct Open {
    pub body: amazonq::types::GenerateAssistantResponseRequest,
    pub model: String,
    pub sticky_key: Option<String>,
    pub cancel: CancellationToken,
}

/// An open upstream stream, owned by the response side.
#[derive(Debug)]
pub struct Feed {
    /// `None` only after `Drop` took it.
    stream: Option<PoolStream>,
    outcome: Option<Outcome>,
    /// The account serving this request (id and display label).
    pub account_id: String,
    pub account_label: String,
}

impl Feed {
    /// The next event; `None` when the upstream stream ended cleanly. After an `Err` (transport
    /// failure) the stream is over and `None` follows. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Item> {
        let stream = self.stream.as_mut()?;
        Some(match stream.next_event().await? {
            Ok(ev) => Ok(ev),
            Err(e) => Err(StreamError {
                kind: StreamErrorKind::Interrupted,
                message: e.to_string(),
            }),
        })
    }

    /// The pool stream under this feed: web search runs its searches and follow-up calls on it
    /// (`web_search`); `None` only while dropping.
    pub fn pool_stream(&mut self) -> Option<&mut PoolStream> {
        self.stream.as_mut()
    }

    /// Records how the turn ended (reported to the pool when the feed is dropped).
    pub fn verdict(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let outcome = self.outcome.take().unwrap_or(Outcome::ClientAbort);
        // Outside a runtime (shutdown) there is nobody left to report to; dropping the stream
        // still closes the upstream request and frees the account's slot.
        stream.finish_in_background(outcome);
    }
}

/// Opens the stream on `pool`.
pub async fn open(pool: &Pool, req: Open) -> Result<Feed, PoolError> {
    // Boxed: the pool's send (retries, failover, the upstream HTTP call) is a large future;
    // inline, it made the chat flow's future large, and every move of that copied it (issue 19
    // S1: memcpy was 17 % of a non-stream request's instructions).
    let stream = Box::pin(pool.send(PoolRequest {
        body: req.body,
        model: req.model,
        sticky_key: req.sticky_key,
        cancel: Some(req.cancel),
    }))
    .await?;
    let account_id = stream.account_id.clone();
    // The label may be empty; the id still tells the console's chat tester who answered.
    let account_label = if stream.account_label.is_empty() {
        account_id.clone()
    } else {
        stream.account_label.clone()
    };
    Ok(Feed {
        stream: Some(stream),
        outcome: None,
        account_id,
        account_label,
    })
}

/// The pool outcome implied by an in-stream error: an upstream exception counts against the
/// account exactly as the same class would as the first frame (`Pool::send`), a broken stream as
/// a stream failure.
pub fn outcome_of(e: &StreamError) -> Outcome {
    match &e.kind {
        StreamErrorKind::Interrupted => Outcome::StreamFailed,
        StreamErrorKind::Upstream(class) => Outcome::Upstream(class.clone()),
    }
}
