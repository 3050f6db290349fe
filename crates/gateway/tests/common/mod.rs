//! Harness shared by the gateway's integration-test binaries (`tests/api`, `tests/pool`,
//! `tests/fleet`; each declares `#[path = "../common/mod.rs"] mod common;`):
//! - [`server`]: a real `gateway::serve_with` on 127.0.0.1:0 over a fresh SQLite data folder,
//!   with the admin-API calls every test makes (login, keys, JSON calls);
//! - [`admin`]: that server with every upstream host on a closed loopback port and `/v1` echo
//!   routes in place of the chat handlers (admin and guard tests);
//! - [`v1`]: the gateway with `amazonq-sim` as upstream and accounts seeded in the store (client
//!   API tests);
//! - [`faults`]: faults queued on the simulator for the next calls of one operation;
//! - [`sse`]: whole SSE answers parsed into events;
//! - [`task`]: tasks a test runs beside itself (the one place tests call `tokio::spawn`);
//! - [`anthropic`], [`openai`]: request bodies and error-body checks of each client dialect;
//! - [`pool`]: a simulator, a SQLite store seeded with its accounts and a pool with short timings;
//! - [`fleet`]: Redis key prefixes, an own `redis-server`, throw-away PostgreSQL/MariaDB databases
//!   and `claude-server` processes in fleet mode;
//! - [`burst`]: the "feed then burst" scenario shared by `pool::admin` and `fleet::cluster`.

#![allow(dead_code, reason = "each test binary uses a subset")]

pub mod admin;
pub mod anthropic;
pub mod burst;
pub mod faults;
pub mod fleet;
pub mod openai;
pub mod pool;
pub mod server;
pub mod sse;
pub mod task;
pub mod v1;
