//! The pool's view of its settings: the `pool.*` and `upstream.*` sections are defined in
//! `crate::config` (so the configuration imports nothing of the pool) and re-exported here.

use std::time::Duration;

pub use crate::config::{PoolConfig, Strategy, UpstreamConfig};

/// `ms` as a [`Duration`].
pub(crate) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}
