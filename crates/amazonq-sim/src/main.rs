//! `amazonq-sim` binary.
fn main() {}
