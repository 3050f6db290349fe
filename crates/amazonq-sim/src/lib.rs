//! amazonq-sim: a simulator of Amazon Q, AWS SSO OIDC and Kiro auth (amazon-q-protocol.md §8).
