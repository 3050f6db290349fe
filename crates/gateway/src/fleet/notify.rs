//! Change fan-out over Redis pub/sub (issue 8 "changes made through the admin API on one instance
//! take effect on all instances within one second"). `publish` delivers to local subscribers at
//! once and `PUBLISH`es `{"origin": <instance>, "change": …}` on `<prefix>:changes`; a subscriber
//! task forwards other instances' messages into the same local channel. The subscriber reconnects
//! with a short back-off, and after (re)subscribing announces every kind of change locally, so
//! whatever was missed while disconnected is reloaded. The 30 s snapshot reload in `lib.rs`
//! remains the safety net.

use std::time::Duration;

use futures_util::StreamExt as _;
use redis::AsyncCommands as _;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::Redis;
use crate::change::{Change, ChangeNotifier};
use crate::tasks::Supervisor;

#[derive(Serialize, Deserialize)]
struct Message {
    origin: String,
    change: Change,
}

/// Pub/sub-backed [`ChangeNotifier`].
pub struct RedisNotifier {
    redis: Redis,
    tx: broadcast::Sender<Change>,
}

impl RedisNotifier {
    /// Starts the subscriber task under `supervisor`.
    pub fn start(redis: Redis, supervisor: &Supervisor) -> Self {
        let tx = broadcast::channel(256).0;
        let (r, t) = (redis.clone(), tx.clone());
        supervisor.spawn("fleet-changes", Duration::from_secs(1), move |cancel| {
            let (r, t) = (r.clone(), t.clone());
            async move {
                subscriber(r, t, cancel).await;
                Ok(())
            }
        });
        Self { redis, tx }
    }

    fn channel(&self) -> String {
        self.redis.key("changes")
    }
}

impl ChangeNotifier for RedisNotifier {
    fn publish(&self, change: Change) {
        let _ = self.tx.send(change);
        let Ok(payload) = serde_json::to_string(&Message {
            origin: self.redis.instance.to_string(),
            change,
        }) else {
            return;
        };
        let redis = self.redis.clone();
        let channel = self.channel();
        self.redis
            .spawn_detached("fleet-change-publish", async move {
                let mut conn = redis.conn();
                let _: Option<i64> = redis.call("notify", conn.publish(&channel, payload)).await;
            });
    }

    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

async fn subscriber(redis: Redis, tx: broadcast::Sender<Change>, cancel: CancellationToken) {
    let channel = redis.key("changes");
    let mut first = true;
    loop {
        let connected = async {
            let mut ps = redis.client.get_async_pubsub().await?;
            ps.subscribe(&channel).await?;
            redis::RedisResult::Ok(ps)
        };
        let ps = tokio::select! {
            () = cancel.cancelled() => return,
            r = tokio::time::timeout(redis.call_timeout * 2, connected) => r,
        };
        match ps {
            Ok(Ok(ps)) => {
                redis.mark_ok();
                if !first {
                    tracing::info!("change subscription restored; reloading everything");
                    for c in [
                        Change::Settings,
                        Change::Keys,
                        Change::Blocklist,
                        Change::Accounts,
                    ] {
                        let _ = tx.send(c);
                    }
                }
                let mut stream = ps.into_on_message();
                loop {
                    let msg = tokio::select! {
                        () = cancel.cancelled() => return,
                        m = stream.next() => m,
                    };
                    let Some(msg) = msg else { break };
                    let Ok(payload) = msg.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Message>(&payload) {
                        Ok(m) if *m.origin != *redis.instance => {
                            let _ = tx.send(m.change);
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "ignoring a malformed change message"),
                    }
                }
                tracing::warn!("change subscription lost; reconnecting");
                first = false;
            }
            Ok(Err(e)) => {
                first = false;
                redis.mark_down("notify", &e);
            }
            Err(_) => {
                first = false;
                redis.mark_down("notify", &"timed out");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}
