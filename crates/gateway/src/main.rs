//! `claude-server` binary.
fn main() {}
