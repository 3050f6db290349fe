//! The chat handlers' one seam to the account pool: open an upstream stream (`Pool::send`, which
//! retries and fails over before the first event) and pump its events into a channel.
//!
//! Why a pump task: the handler side must notice a client disconnect *at once*, also while the
//! upstream is silent (issue 10 "the client disconnecting cancels the upstream request at once").
//! The pump owns the [`PoolStream`]; the response side owns the receiving [`Feed`]. When the client
//! goes away hyper drops the response body, the body drops the `Feed`, the pump sees its channel
//! closed and drops the upstream stream, which closes the upstream HTTP request. Receiving from a
//! channel is also cancel-safe, so keep-alive timers can race it freely.
//!
//! The pump reports how the turn ended to the pool ([`PoolStream::finish`]) with the verdict the
//! response side left in the feed (success, in-band upstream error, broken stream), or
//! [`Outcome::ClientAbort`] when there is none.

use amazonq::error::ErrorClass;
use amazonq::events::StreamEvent;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use translate::ir::{StreamError, StreamErrorKind};

use crate::pool::{Outcome, PoolError, PoolRequest, PoolStream};
use crate::state::AppState;

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

/// The receiving end of an open upstream stream.
#[derive(Debug)]
pub struct Feed {
    rx: mpsc::Receiver<Item>,
    outcome: Option<Outcome>,
    verdict: Option<oneshot::Sender<Outcome>>,
    /// The account serving this request (id and display label).
    pub account_id: String,
    pub account_label: String,
}

impl Feed {
    /// The next event; `None` when the upstream stream ended cleanly.
    pub async fn recv(&mut self) -> Option<Item> {
        self.rx.recv().await
    }

    /// Records how the turn ended (reported to the pool when the feed is dropped).
    pub fn verdict(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(tx) = self.verdict.take() {
            // The pump may already be gone (runtime shutdown); nothing to report then.
            let _ = tx.send(self.outcome.take().unwrap_or(Outcome::ClientAbort));
        }
    }
}

/// Opens the stream and starts the pump.
pub async fn open(state: &AppState, req: Open) -> Result<Feed, PoolError> {
    let stream = state
        .pool
        .send(PoolRequest {
            body: req.body,
            model: req.model,
            sticky_key: req.sticky_key,
            cancel: Some(req.cancel),
        })
        .await?;
    let account_id = stream.account_id.clone();
    // The label may be empty; the id still tells the console's chat tester who answered.
    let account_label = if stream.account_label.is_empty() {
        account_id.clone()
    } else {
        stream.account_label.clone()
    };
    let (tx, rx) = mpsc::channel(64);
    let (verdict_tx, verdict_rx) = oneshot::channel();
    tokio::spawn(pump(stream, tx, verdict_rx));
    Ok(Feed {
        rx,
        outcome: None,
        verdict: Some(verdict_tx),
        account_id,
        account_label,
    })
}

async fn pump(mut stream: PoolStream, tx: mpsc::Sender<Item>, verdict: oneshot::Receiver<Outcome>) {
    loop {
        let next = tokio::select! {
            biased;
            () = tx.closed() => break,
            next = stream.next_event() => next,
        };
        let item = match next {
            None => break,
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(StreamError {
                kind: StreamErrorKind::Interrupted,
                message: e.to_string(),
            }),
        };
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            break;
        }
    }
    // Closing the channel tells the response side the upstream ended; its verdict follows when it
    // is done with the events it already has.
    drop(tx);
    let outcome = verdict.await.unwrap_or(Outcome::ClientAbort);
    stream.finish(outcome).await;
}

/// The pool outcome implied by an in-stream error.
pub fn outcome_of(e: &StreamError) -> Outcome {
    match e.kind {
        StreamErrorKind::Interrupted => Outcome::StreamFailed,
        StreamErrorKind::Overloaded => {
            Outcome::Upstream(ErrorClass::Throttled { retry_after: None })
        }
        StreamErrorKind::ContextOverflow => Outcome::Upstream(ErrorClass::ContextTooLong),
        StreamErrorKind::Upstream => Outcome::Upstream(ErrorClass::Transient),
    }
}
