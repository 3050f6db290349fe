//! The fault catalogue of amazon-q-protocol.md §8.5 (plus the OIDC/Kiro faults of §8.2) as named,
//! parseable values.
//!
//! A fault is written `name[:arg[:arg]]`, e.g. `drop-rst:3`, `fragment:1`, `http:throttled`.
//! Faults reach a request through the control queue (`POST /__sim/faults`) or, opt-in, through the
//! `x-sim-fault` request header (comma-separated). The HTTP-level presets carry the exact
//! status / type / message / reason rows of §5.1.

use serde::{Deserialize, Serialize};

/// An enum of named faults: each variant with its wire name, [`Self::ALL`] in order, `name` and
/// `parse` — one list, so a fault cannot be missing from `ALL` or unparseable.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }
    ) => {
        $(#[$meta])*
        pub enum $ty {
            $($(#[$vmeta])* $variant,)*
        }

        impl $ty {
            pub const ALL: &[$ty] = &[$(Self::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|f| f.name() == name)
            }
        }
    };
}

named_enum! {
    /// An HTTP-level error row of §5.1 (status, `x-amzn-ErrorType`, message, reason).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum HttpFault {
        ImproperlyFormed = "improperly-formed",
        InputTooLong = "input-too-long",
        InvalidModel = "invalid-model",
        BadJson = "bad-json",
        MonthlyQuota = "monthly-quota",
        BearerInvalid = "bearer-invalid",
        Suspended = "suspended",
        FeatureNotAuthorized = "feature-not-authorized",
        Throttled = "throttled",
        /// 429 with reason USER_REQUEST_RATE_EXCEEDED (the runtime host, 2026).
        RateExceeded = "rate-exceeded",
        Capacity = "capacity",
        DailyQuota = "daily-quota",
        Internal = "internal",
        HighLoad = "high-load",
        Unavailable = "unavailable",
        Unauthorized401 = "unauthorized",
        Locked423 = "locked",
        /// 400 ValidationException with a `reason` no client knows (`SOMETHING_NEW`): drift tests.
        UnknownReason = "unknown-reason",
    }
}

named_enum! {
    /// A tool-level failure of `POST /mcp` `tools/call` (crate::mcp; the texts and codes are
    /// inferred, see docs/upstream-mcp-web-search.md).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum McpFault {
        /// `mcp-error`: JSON-RPC error -32603 "Internal error".
        Error = "mcp-error",
        /// `mcp-throttled`: JSON-RPC error -32000 "Rate exceeded …".
        Throttled = "mcp-throttled",
        /// `mcp-not-entitled`: a result with `isError: true`, "Web search is not available for this
        /// account."
        NotEntitled = "mcp-not-entitled",
        /// `mcp-malformed`: a result whose text content is not JSON.
        Malformed = "mcp-malformed",
        /// `mcp-no-results`: a valid answer with zero results.
        NoResults = "mcp-no-results",
    }
}

/// Which in-stream exception to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionKind {
    /// `:exception-type error` carrying InternalServerException `{message}`.
    Error,
    /// `:exception-type ContentLengthExceededException`.
    ContentLengthExceeded,
    /// `:exception-type ThrottlingException`, reason MODEL_TEMPORARILY_UNAVAILABLE (2026 runtime).
    ModelUnavailable,
}

/// A malformed prelude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BogusLength {
    /// `total_len` < 16.
    Small,
    /// `total_len` > 16 MiB.
    Huge,
    /// `headers_len` = 1.
    HeadersLen,
}

/// One fault from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Http(HttpFault),
    /// Only `POST /mcp` `tools/call` applies these; other operations ignore them.
    Mcp(McpFault),
    /// After `after` frames send an exception frame, then close cleanly.
    Exception {
        after: usize,
        kind: ExceptionKind,
    },
    /// After `after` frames send a `:message-type error` frame, then close cleanly.
    ErrorFrame {
        after: usize,
    },
    /// Abort the connection after `frames` frames (FIN, or RST when `rst`).
    DropAfterFrames {
        frames: usize,
        rst: bool,
    },
    /// Abort the connection after `bytes` body bytes, usually mid-frame.
    DropAfterBytes {
        bytes: usize,
        rst: bool,
    },
    /// Write all frames, then half of one more, then end the body cleanly.
    TruncatedFinalFrame,
    /// Flip one bit of frame `frame`'s prelude CRC.
    CorruptPreludeCrc {
        frame: usize,
    },
    /// Flip one bit of frame `frame`'s message CRC.
    CorruptMessageCrc {
        frame: usize,
    },
    /// Flip one bit of frame `frame`'s payload (message CRC no longer matches).
    CorruptPayload {
        frame: usize,
    },
    /// Replace frame 1 with a frame whose prelude is impossible.
    BogusLength(BogusLength),
    /// Add bool/byte/int/long/bytes/timestamp/uuid headers to every frame.
    ExoticHeaders,
    /// Write the body in pieces of `size` bytes (1 = every boundary).
    Fragment {
        size: usize,
    },
    /// Write the body in pseudo-random piece sizes 1..=max.
    FragmentRandom {
        seed: u64,
        max: usize,
    },
    /// Write the whole body in one piece.
    Coalesce,
    /// Delay before the first byte.
    DelayFirst {
        ms: u64,
    },
    /// Delay between frames.
    Drip {
        ms: u64,
    },
    /// After `after` frames stall for `ms`.
    Stall {
        after: usize,
        ms: u64,
    },
    /// 200 with no frames at all.
    Empty200,
    /// Repeat the first text event verbatim.
    DuplicateText,
    /// Repeat a finished tool call's start and stop events.
    DuplicateTool,
    /// Tool call whose concatenated input is unbalanced JSON.
    TruncatedToolJson,
    /// Tool call whose input is valid JSON but not an object.
    NonObjectToolInput(String),
    /// Unknown `:event-type` frames and unknown payload keys.
    UnknownEvents,
    /// One text event with a payload of about `bytes` bytes.
    HugeFrame {
        bytes: usize,
    },
    /// OIDC / Kiro auth: 500 InternalServerException.
    AuthServerError,
    /// OIDC / Kiro auth: 400 SlowDownException.
    AuthSlowDown,
    /// OIDC / Kiro auth: answer after `ms`.
    AuthDelay {
        ms: u64,
    },
    /// OIDC / Kiro auth: reset the connection without an answer.
    AuthReset,
    /// OIDC / Kiro auth: 200 with a body that is not JSON.
    AuthMalformed,
}

/// Unparseable fault name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown fault `{0}`")]
pub struct UnknownFault(pub String);

fn num<T: std::str::FromStr>(arg: Option<&str>, default: T) -> Result<T, ()> {
    match arg {
        None | Some("") => Ok(default),
        Some(s) => s.parse().map_err(|_| ()),
    }
}

impl std::str::FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let spec = spec.trim();
        let mut parts = spec.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let a1 = parts.next();
        let a2 = parts.next();
        let bad = || UnknownFault(spec.to_owned());
        let f = match name {
            "http" => Fault::Http(HttpFault::parse(a1.unwrap_or_default()).ok_or_else(bad)?),
            "exception" => Fault::Exception {
                after: num(a1, 1).map_err(|()| bad())?,
                kind: ExceptionKind::Error,
            },
            "content-length-exceeded" => Fault::Exception {
                after: num(a1, 1).map_err(|()| bad())?,
                kind: ExceptionKind::ContentLengthExceeded,
            },
            "model-unavailable" => Fault::Exception {
                after: num(a1, 1).map_err(|()| bad())?,
                kind: ExceptionKind::ModelUnavailable,
            },
            "error-frame" => Fault::ErrorFrame {
                after: num(a1, 1).map_err(|()| bad())?,
            },
            "drop" | "drop-fin" => Fault::DropAfterFrames {
                frames: num(a1, 1).map_err(|()| bad())?,
                rst: false,
            },
            "drop-rst" => Fault::DropAfterFrames {
                frames: num(a1, 1).map_err(|()| bad())?,
                rst: true,
            },
            "drop-bytes" => Fault::DropAfterBytes {
                bytes: num(a1, 50).map_err(|()| bad())?,
                rst: false,
            },
            "drop-bytes-rst" => Fault::DropAfterBytes {
                bytes: num(a1, 50).map_err(|()| bad())?,
                rst: true,
            },
            "truncated-frame" => Fault::TruncatedFinalFrame,
            "corrupt-prelude-crc" => Fault::CorruptPreludeCrc {
                frame: num(a1, 1).map_err(|()| bad())?,
            },
            "corrupt-message-crc" => Fault::CorruptMessageCrc {
                frame: num(a1, 1).map_err(|()| bad())?,
            },
            "corrupt-payload" => Fault::CorruptPayload {
                frame: num(a1, 1).map_err(|()| bad())?,
            },
            "bogus-length" => Fault::BogusLength(match a1.unwrap_or("small") {
                "small" => BogusLength::Small,
                "huge" => BogusLength::Huge,
                "headers" => BogusLength::HeadersLen,
                _ => return Err(bad()),
            }),
            "exotic-headers" => Fault::ExoticHeaders,
            "fragment" => Fault::Fragment {
                size: num(a1, 1).map_err(|()| bad())?.max(1),
            },
            "fragment-random" => Fault::FragmentRandom {
                seed: num(a1, 1).map_err(|()| bad())?,
                max: num(a2, 7).map_err(|()| bad())?.max(1),
            },
            "coalesce" => Fault::Coalesce,
            "delay-first" => Fault::DelayFirst {
                ms: num(a1, 1000).map_err(|()| bad())?,
            },
            "drip" => Fault::Drip {
                ms: num(a1, 50).map_err(|()| bad())?,
            },
            "stall" => Fault::Stall {
                after: num(a1, 1).map_err(|()| bad())?,
                ms: num(a2, 5000).map_err(|()| bad())?,
            },
            "empty-200" => Fault::Empty200,
            "duplicate-text" => Fault::DuplicateText,
            "duplicate-tool" => Fault::DuplicateTool,
            "truncated-tool-json" => Fault::TruncatedToolJson,
            "non-object-tool-input" => Fault::NonObjectToolInput(a1.unwrap_or("[]").to_owned()),
            "unknown-events" => Fault::UnknownEvents,
            "huge-frame" => Fault::HugeFrame {
                // Capped at 15 MiB: the payload must still fit a decoder's 16 MiB frame limit.
                bytes: num(a1, 2 * 1024 * 1024)
                    .map_err(|()| bad())?
                    .min(15 * 1024 * 1024),
            },
            "auth-500" => Fault::AuthServerError,
            "auth-slow-down" => Fault::AuthSlowDown,
            "auth-delay" => Fault::AuthDelay {
                ms: num(a1, 1000).map_err(|()| bad())?,
            },
            "auth-reset" => Fault::AuthReset,
            "auth-malformed" => Fault::AuthMalformed,
            other => match McpFault::parse(other) {
                Some(m) => Fault::Mcp(m),
                None => Fault::Http(HttpFault::parse(other).ok_or_else(bad)?),
            },
        };
        Ok(f)
    }
}

impl Fault {
    /// Parses a comma-separated list (the `x-sim-fault` header form).
    pub fn parse_list(s: &str) -> Result<Vec<Fault>, UnknownFault> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect()
    }

    /// Faults that only make sense on the OIDC / Kiro auth endpoints.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Fault::AuthServerError
                | Fault::AuthSlowDown
                | Fault::AuthDelay { .. }
                | Fault::AuthReset
                | Fault::AuthMalformed
        )
    }
}

/// A fault waiting in the control queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueuedFault {
    /// Fault specs (`name[:arg]`), applied together to one request.
    pub faults: Vec<String>,
    /// Only requests authenticated as this account (chat / account APIs) match; None = any.
    #[serde(default)]
    pub account: Option<String>,
    /// Only this operation matches: `chat`, `mcp`, `oidc`, `kiro-auth`, `models`, `usage`,
    /// `profiles`; None = any.
    #[serde(default)]
    pub operation: Option<String>,
    /// How many requests this entry applies to.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_rejects_junk() {
        assert_eq!(
            "drop-rst:3".parse(),
            Ok(Fault::DropAfterFrames {
                frames: 3,
                rst: true
            })
        );
        assert_eq!(
            "http:throttled".parse(),
            Ok(Fault::Http(HttpFault::Throttled))
        );
        assert_eq!("throttled".parse(), Ok(Fault::Http(HttpFault::Throttled)));
        assert_eq!(
            "stall:2:300".parse(),
            Ok(Fault::Stall { after: 2, ms: 300 })
        );
        assert_eq!("fragment".parse(), Ok(Fault::Fragment { size: 1 }));
        assert_eq!(
            Fault::parse_list("coalesce, exotic-headers").unwrap().len(),
            2
        );
        assert!("nope".parse::<Fault>().is_err());
        assert!("drop:x".parse::<Fault>().is_err());
        for &h in HttpFault::ALL {
            assert_eq!(h.name().parse(), Ok(Fault::Http(h)));
        }
        for &m in McpFault::ALL {
            assert_eq!(m.name().parse(), Ok(Fault::Mcp(m)));
        }
    }
}
