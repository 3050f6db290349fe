//! Change notification: "something the admin API edits has changed". The editing instance
//! reloads its snapshots at once and publishes the [`Change`]; every subscriber (the snapshot
//! reloader in `lib.rs`, the pool's account reloader, other instances through the Redis notifier
//! in `fleet::notify`) hears it. Its own floor: the pool, the fleet seams and the application state
//! all use it, and it imports none of them.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What changed (published on [`ChangeNotifier`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Runtime settings.
    Settings,
    /// API keys.
    Keys,
    /// IP blocklist.
    Blocklist,
    /// Accounts (created, edited, deleted).
    Accounts,
}

/// Fan-out of [`Change`] events (in-process broadcast now; Redis pub/sub in fleet mode).
pub trait ChangeNotifier: Send + Sync {
    /// Announces a change to every subscriber (including other instances).
    fn publish(&self, change: Change);
    /// A new subscription.
    fn subscribe(&self) -> broadcast::Receiver<Change>;
}

/// In-process notifier.
pub struct MemoryNotifier {
    tx: broadcast::Sender<Change>,
}

impl Default for MemoryNotifier {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(64).0,
        }
    }
}

impl ChangeNotifier for MemoryNotifier {
    fn publish(&self, change: Change) {
        // No subscriber is fine: nobody needs to hear it.
        let _ = self.tx.send(change);
    }
    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}
