//! Client side of the Amazon Q / Kiro upstream (shared/research/amazon-q-protocol.md).
