//! Image limits (protocol doc §4.4 R18): at most `max_images` per request, only in the most recent
//! `image_turns` user turns (older ones become a text note, as q2api/AIC2A do to keep bodies small),
//! and each decoded image at most `max_image_bytes` (over → 400, the client must shrink it).

use amazonq::types::ImageSource;

use super::turns::Turn;
use super::{Fired, Rule, UpstreamOptions};
use crate::error::{Result, TranslateError};

const OMITTED: &str = "[an image was omitted here to keep the request small]";

pub fn limit(turns: &mut [Turn], opts: &UpstreamOptions, fired: &mut Fired) -> Result<()> {
    for t in turns.iter() {
        for img in &t.images {
            let ImageSource::Bytes(b64) = &img.source;
            if b64.len() / 4 * 3 > opts.max_image_bytes {
                return Err(TranslateError::invalid(
                    "messages",
                    format!("an image is larger than {} bytes", opts.max_image_bytes),
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
        let recent = user_turns_seen <= opts.image_turns;
        let room = opts.max_images.saturating_sub(kept);
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
