//! Image limits (protocol doc §4.4 R18): at most `max_count` per request, only in the most recent
//! `recent_turns` user turns (older ones become a text note, as q2api/AIC2A do to keep bodies small),
//! and each decoded image at most `max_bytes` (over → 400, the client must shrink it).

use amazonq::types::ImageSource;

use super::turns::Turn;
use super::{Fired, Rule};
use crate::error::{Result, TranslateError};

const OMITTED: &str = "[an image was omitted here to keep the request small]";

/// The image caps of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLimits {
    /// Images kept per request (R18: the CLI caps at 10).
    pub max_count: usize,
    /// Images are kept only in this many most recent user turns (R18; peers keep 2–5).
    pub recent_turns: usize,
    /// Largest decoded image, in bytes (R18: 10 MiB).
    pub max_bytes: usize,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_count: 10,
            recent_turns: 5,
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

pub fn limit(turns: &mut [Turn], limits: &ImageLimits, fired: &mut Fired) -> Result<()> {
    for t in turns.iter() {
        for img in &t.images {
            let ImageSource::Bytes(b64) = &img.source;
            if b64.len() / 4 * 3 > limits.max_bytes {
                return Err(TranslateError::invalid(
                    "messages",
                    format!("an image is larger than {} bytes", limits.max_bytes),
                ));
            }
        }
    }
    let mut kept = 0usize;
    let mut user_turns_seen = 0usize;
    for t in turns.iter_mut().rev() {
        if !t.user {
            continue;
        }
        user_turns_seen += 1;
        if t.images.is_empty() {
            continue;
        }
        let recent = user_turns_seen <= limits.recent_turns;
        let room = limits.max_count.saturating_sub(kept);
        let keep = if recent { room.min(t.images.len()) } else { 0 };
        let dropped = t.images.len() - keep;
        if dropped > 0 {
            fired.fire(Rule::R18ImageLimit);
            t.images.truncate(keep);
            for _ in 0..dropped {
                t.texts.push(OMITTED.to_owned());
            }
        }
        kept += keep;
    }
    Ok(())
}
