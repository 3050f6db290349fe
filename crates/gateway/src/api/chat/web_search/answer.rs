//! A web-search answer as SSE or as one JSON body: `respond`'s contract (commit point,
//! keep-alive, disconnect cancels the upstream, one log row) around a [`Driver`] instead of a
//! single upstream turn. Keep-alives also cover the searches themselves (a search may take
//! seconds and sends nothing upstream-side).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::response::Response;
use tokio::time::Instant;
use translate::ir::OutEvent;
use translate::web_search::Step;

use super::super::error::ApiError;
use super::super::respond::{self, Answer, Encoder, observe};
use super::super::upstream::Feed;
use super::Driver;

/// What the body loop waits for next.
enum Wait {
    Steps(Option<Vec<Step>>),
    Tick,
}

/// Encodes steps (the model's events and the search blocks).
fn encode(encoder: &mut Encoder, steps: &[Step], out: &mut Vec<u8>) {
    for s in steps {
        match s {
            Step::Out(ev) => encoder.encode(std::slice::from_ref(ev), out),
            Step::Search(ev) => match encoder {
                Encoder::Anthropic(e) => e.encode_search_into(ev, out),
                Encoder::Responses(e) => e.encode_search_into(ev, out),
                // Chat Completions has no web-search tool (its `web_search_options` is a 400).
                Encoder::OpenAi(_) => {}
            },
        }
    }
}

/// [`respond::observe`] over the model's events among `steps`.
fn observe_steps(
    steps: &[Step],
    record: &mut super::super::record::Record,
    feed: &mut Feed,
) -> Option<&'static str> {
    let outs: Vec<OutEvent> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Out(ev) => Some(ev.clone()),
            Step::Search(_) => None,
        })
        .collect();
    observe(&outs, record, feed)
}

/// Reads until there is something to send or `wait` passed (only upstream reads happen before
/// the first output, which are cancel-safe: a search is always announced first).
async fn first_steps(
    feed: &mut Feed,
    driver: &mut Driver,
    wait: std::time::Duration,
) -> Result<Vec<Step>, translate::ir::StreamError> {
    let deadline = Instant::now() + wait;
    loop {
        let Ok(steps) = tokio::time::timeout_at(deadline, driver.step(feed)).await else {
            return Ok(Vec::new());
        };
        let Some(steps) = steps else {
            return Ok(Vec::new());
        };
        if let Some(Step::Out(OutEvent::Error(e))) = steps.first() {
            return Err(e.clone());
        }
        if !steps.is_empty() || driver.is_done() {
            return Ok(steps);
        }
    }
}

/// Streams the answer as SSE.
pub async fn stream(
    mut feed: Feed,
    mut answer: Answer,
    mut encoder: Encoder,
    mut driver: Driver,
) -> Result<Response, (ApiError, Answer)> {
    let first = first_steps(&mut feed, &mut driver, answer.keepalive).await;
    let steps = match first {
        Err(e) => {
            feed.verdict(super::super::upstream::outcome_of(&e));
            let err = ApiError::from_stream(&e, answer.dialect, answer.prompt());
            return Err((err, answer));
        }
        Ok(steps) => steps,
    };
    let label = feed.account_label.clone();
    let mut head = Vec::new();
    encoder.start(&mut head);
    encode(&mut encoder, &steps, &mut head);
    let mut in_band = observe_steps(&steps, &mut answer.record, &mut feed);
    answer.record.sent(&head);
    answer.record.first_byte();
    let body = async_stream::stream! {
        let Answer { mut record, keepalive, cancel, mut on_end, .. } = answer;
        if driver.is_done() && let Some(f) = on_end.take() {
            f.run(&encoder).await;
        }
        yield Ok::<Bytes, Infallible>(Bytes::from(head));
        let mut buf = Vec::new();
        while !driver.is_done() {
            let steps = {
                let work = driver.step(&mut feed);
                tokio::pin!(work);
                loop {
                    let wait = tokio::select! {
                        biased;
                        s = &mut work => Wait::Steps(s),
                        () = tokio::time::sleep(keepalive) => Wait::Tick,
                    };
                    match wait {
                        Wait::Steps(s) => break s,
                        Wait::Tick => {
                            encoder.keep_alive(&mut buf);
                            yield Ok(Bytes::copy_from_slice(&buf));
                            buf.clear();
                        }
                    }
                }
            };
            let Some(steps) = steps else { break };
            if let Some(class) = observe_steps(&steps, &mut record, &mut feed) {
                in_band = Some(class);
            }
            encode(&mut encoder, &steps, &mut buf);
            if driver.is_done() && let Some(f) = on_end.take() {
                f.run(&encoder).await;
            }
            if !buf.is_empty() {
                record.sent(&buf);
                yield Ok(Bytes::copy_from_slice(&buf));
                buf.clear();
            }
        }
        driver.note(&mut record);
        drop(feed);
        drop(cancel);
        record.finish(200, in_band);
    };
    Ok(respond::event_stream(body, &label))
}

/// Runs the whole answer and renders it as one JSON body (`render` gets every step in order).
pub async fn collect<B: serde::Serialize>(
    mut feed: Feed,
    mut answer: Answer,
    mut driver: Driver,
    render: impl FnOnce(&[Step]) -> B,
) -> Result<Response, (ApiError, Answer)> {
    let mut all = Vec::new();
    while let Some(steps) = driver.step(&mut feed).await {
        observe_steps(&steps, &mut answer.record, &mut feed);
        all.extend(steps);
    }
    driver.note(&mut answer.record);
    let label = feed.account_label.clone();
    drop(feed);
    let failed = all.iter().find_map(|s| match s {
        Step::Out(OutEvent::Error(e)) => Some(e.clone()),
        _ => None,
    });
    if let Some(e) = failed {
        let err = ApiError::from_stream(&e, answer.dialect, answer.prompt());
        return Err((err, answer));
    }
    respond::json_reply(answer, &render(&all), &label)
}
