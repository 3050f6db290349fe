//! Fleet mode: the Redis-backed seams, the pool's fleet status, and two `claude-server`
//! processes sharing PostgreSQL/MariaDB and Redis. Needs Redis on 127.0.0.1:6379 and the
//! PostgreSQL/MariaDB servers on 127.0.0.1 (`common::fleet` says how they are found).
//!
//! A new fleet test goes in the module of its area, or a new `fleet/<area>.rs` declared below;
//! shared set-up goes in `tests/common/` (see `tests/README.md`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]
#![allow(
    clippy::many_single_char_names,
    reason = "short names for status/body pairs"
)]

#[path = "../common/mod.rs"]
mod common;

mod cluster;
mod pool_status;
mod seams;
