//! The Responses API answer: the stream (`translate::sse::ResponsesSse`) or one JSON body, and the
//! stored copy for `previous_response_id`.
//!
//! A response is stored when the request did not say `store: false`, `responses.store_max_count`
//! is not 0, the turn did not fail, and its items fit [`MAX_STORED_BYTES`]. A store error is logged
//! and the answer still goes out (a later follow-up naming it then gets
//! `previous_response_not_found`).

use std::sync::Arc;

use axum::response::Response;
use serde_json::Value;
use translate::responses::object::Response as ResponseObject;
use translate::responses::{Head, Seal, response_body};
use translate::sse::ResponsesSse;

use crate::api::chat::Ctx;
use crate::api::chat::error::ApiError;
use crate::api::chat::respond::{self, Answer, Encoder, OnEnd};
use crate::api::chat::upstream::Feed;
use crate::api::chat::web_search::{self, Driver};
use crate::state::ChatState;
use translate::web_search::body::responses_body;

/// The largest item list stored for one response (JSON bytes, before encryption).
pub const MAX_STORED_BYTES: usize = 8 * 1024 * 1024;

/// Everything the answer needs besides the shared flow's [`Answer`].
pub struct Reply {
    id: String,
    created_at: i64,
    head: Head,
    seal: Arc<dyn Seal>,
    keeper: Option<Keeper>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("id", &self.id)
            .field("store", &self.keeper.is_some())
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// A fresh `resp_…` id; `history` is what the stored copy keeps before the output.
    pub fn new(
        state: &ChatState,
        ctx: &Ctx,
        head: Head,
        history: Vec<Value>,
        seal: Arc<dyn Seal>,
    ) -> Self {
        let id = format!("resp_{}", uuid::Uuid::new_v4().simple());
        let keeper = (head.store && state.keep_responses).then(|| Keeper {
            store: state.store.clone(),
            id: id.clone(),
            key_id: ctx.caller.key_id.clone(),
            model: head.model.clone(),
            history,
        });
        Self {
            id,
            created_at: chrono::Utc::now().timestamp(),
            head,
            seal,
            keeper,
        }
    }

    /// Streams or collects the answer, storing it when asked.
    pub async fn answer(
        self,
        feed: Feed,
        mut answer: Answer,
        stream: bool,
        input_tokens: u32,
        search: Option<Driver>,
    ) -> Result<Response, (ApiError, Answer)> {
        let Self {
            id,
            created_at,
            head,
            seal,
            keeper,
        } = self;
        if stream {
            let enc =
                ResponsesSse::new(&id, created_at, &head, seal).with_input_tokens(input_tokens);
            answer.on_end = keeper.map(|k| {
                OnEnd::new(move |enc: &Encoder| {
                    let done = match enc {
                        Encoder::Responses(e) => Some(e.response().clone()),
                        Encoder::Anthropic(_) | Encoder::OpenAi(_) => None,
                    };
                    Box::pin(async move {
                        if let Some(r) = done {
                            k.keep(&r).await;
                        }
                    })
                })
            });
            let enc = Encoder::Responses(Box::new(enc));
            return match search {
                Some(driver) => web_search::stream(feed, answer, enc, driver).await,
                None => respond::stream(feed, answer, enc).await,
            };
        }
        let mut built = None;
        let result = match search {
            Some(driver) => {
                web_search::collect(feed, answer, driver, |steps| {
                    let body = responses_body(steps, &id, created_at, &head, seal);
                    built = Some(body.clone());
                    body
                })
                .await
            }
            None => {
                respond::collect(feed, answer, |c| {
                    let body = response_body(c, &id, created_at, &head, seal);
                    built = Some(body.clone());
                    body
                })
                .await
            }
        };
        if result.is_ok()
            && let (Some(k), Some(body)) = (keeper, built)
        {
            k.keep(&body).await;
        }
        result
    }
}

/// Writes one finished response to the store.
struct Keeper {
    store: store::Store,
    id: String,
    key_id: Option<String>,
    model: String,
    history: Vec<Value>,
}

impl Keeper {
    async fn keep(self, r: &ResponseObject) {
        if r.status == "failed" {
            return;
        }
        let mut items = self.history;
        items.extend(r.output_values());
        let size = serde_json::to_string(&items).map_or(usize::MAX, |s| s.len());
        if size > MAX_STORED_BYTES {
            tracing::warn!(id = %self.id, size, "responses: too large to store");
            return;
        }
        let row = store::NewStoredResponse {
            id: self.id,
            key_id: self.key_id,
            model: self.model,
            created_at: chrono::Utc::now(),
            items,
        };
        if let Err(e) = self.store.save_response(&row).await {
            tracing::warn!(id = %row.id, error = %e, "responses: storing the answer failed");
        }
    }
}
