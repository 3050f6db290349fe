//! Pure translation (no I/O, no async) between client dialects, the IR and the Amazon Q upstream.
