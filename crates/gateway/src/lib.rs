//! claude-api gateway library: `serve(listener, config, shutdown)` is the one seam.
