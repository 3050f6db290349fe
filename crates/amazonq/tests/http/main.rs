//! HTTP-level tests of the `amazonq` clients against loopback axum servers
//! (127.0.0.1:0 only). One test binary, several modules, to keep link time down.

mod account;
mod chat;
mod oidc;
mod server;
