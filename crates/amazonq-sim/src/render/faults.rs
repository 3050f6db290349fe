//! Frame-level faults of amazon-q-protocol.md §8.5 applied to a rendered event list:
//! duplicates, corruption, bogus preludes, stalls, and the terminal faults (in-stream exception,
//! error frame, connection drop, truncated final frame). Pure code.

use crate::faults::{ExceptionKind, Fault};
use crate::frames::{self, Damage};
use crate::script::Step;

use super::{Ev, Kind};

/// Tool-shape faults rewrite (or add) a tool step before rendering.
pub(super) fn tool_faults(steps: &mut Vec<Step>, faults: &[Fault]) {
    if faults.contains(&Fault::DuplicateTool)
        && !steps.iter().any(|s| matches!(s, Step::ToolUse { .. }))
    {
        steps.push(Step::ToolUse {
            id: None,
            name: "sim_tool".to_owned(),
            input: r#"{"k": "v"}"#.to_owned(),
            fragments: 2,
            first_event_has_input: false,
            stop_carries_last_fragment: false,
        });
    }
    for f in faults {
        let bad_input = match f {
            Fault::TruncatedToolJson => r#"{"path": "a.txt", "content": "unfinished"#.to_owned(),
            Fault::NonObjectToolInput(v) => v.clone(),
            _ => continue,
        };
        let found = steps.iter_mut().find_map(|s| match s {
            Step::ToolUse { input, .. } => Some(input),
            _ => None,
        });
        match found {
            Some(input) => *input = bad_input,
            None => steps.push(Step::ToolUse {
                id: None,
                name: "sim_tool".to_owned(),
                input: bad_input,
                fragments: 2,
                first_event_has_input: false,
                stop_carries_last_fragment: false,
            }),
        }
    }
}

fn frame_positions(evs: &[Ev]) -> Vec<usize> {
    evs.iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Ev::Frame(..)))
        .map(|(i, _)| i)
        .collect()
}

/// Index in `evs` right after the `k`-th frame (k = 0 → before the first frame).
fn after_frames(evs: &[Ev], k: usize) -> usize {
    if k == 0 {
        return 0;
    }
    let pos = frame_positions(evs);
    pos.get(k - 1).map_or(evs.len(), |p| p + 1)
}

pub(super) fn apply_frame_faults(evs: &mut Vec<Ev>, faults: &[Fault]) {
    for f in faults {
        damage(evs, f);
    }
    // Terminal faults last: they cut the stream.
    for f in faults {
        if cut(evs, f) {
            return;
        }
    }
}

/// Duplicates, corruption, bogus preludes and stalls: the stream goes on after them.
fn damage(evs: &mut Vec<Ev>, f: &Fault) {
    match f {
        Fault::DuplicateText => {
            if let Some(i) = evs
                .iter()
                .position(|e| matches!(e, Ev::Frame(_, Kind::Text)))
            {
                let dup = evs[i].clone();
                evs.insert(i + 1, dup);
            }
        }
        Fault::DuplicateTool => {
            let start = evs
                .iter()
                .position(|e| matches!(e, Ev::Frame(_, Kind::ToolStart)));
            let stop = evs
                .iter()
                .position(|e| matches!(e, Ev::Frame(_, Kind::ToolStop)));
            if let (Some(a), Some(b)) = (start, stop) {
                let (s, t) = (evs[a].clone(), evs[b].clone());
                evs.insert(b + 1, s);
                evs.insert(b + 2, t);
            }
        }
        Fault::CorruptPreludeCrc { frame }
        | Fault::CorruptMessageCrc { frame }
        | Fault::CorruptPayload { frame } => {
            let what = match f {
                Fault::CorruptPreludeCrc { .. } => Damage::PreludeCrc,
                Fault::CorruptMessageCrc { .. } => Damage::MessageCrc,
                _ => Damage::Payload,
            };
            let pos = frame_positions(evs);
            if let Some(&i) = pos.get(frame.saturating_sub(1)).or(pos.last())
                && let Ev::Frame(b, k) = &evs[i]
            {
                evs[i] = Ev::Frame(frames::damage(b, what), *k);
            }
        }
        Fault::BogusLength(kind) => {
            let at = after_frames(evs, 1);
            evs.insert(at, Ev::Frame(frames::bogus(*kind), Kind::Other));
        }
        Fault::Stall { after, ms } => {
            let at = after_frames(evs, *after);
            evs.insert(at, Ev::Sleep(*ms));
        }
        _ => {}
    }
}

/// A fault that ends the stream (exception, error frame, drop, truncated frame): applied, it
/// returns true and no later fault applies.
fn cut(evs: &mut Vec<Ev>, f: &Fault) -> bool {
    match f {
        Fault::Exception { after, kind } => {
            let at = after_frames(evs, *after);
            evs.truncate(at);
            let frame = match kind {
                    ExceptionKind::Error => frames::exception(
                        "error",
                        br#"{"message":"Encountered an unexpected error when processing the request, please try again."}"#,
                    ),
                    ExceptionKind::ContentLengthExceeded => frames::exception(
                        "ContentLengthExceededException",
                        br#"{"message":"The generated response exceeded the maximum content length."}"#,
                    ),
                    ExceptionKind::ModelUnavailable => crate::frames::model_unavailable(),
                };
            evs.push(Ev::Frame(frame, Kind::Other));
            true
        }
        Fault::ErrorFrame { after } => {
            let at = after_frames(evs, *after);
            evs.truncate(at);
            evs.push(Ev::Frame(
                frames::error_frame("InternalFailure", "An internal error occurred"),
                Kind::Other,
            ));
            true
        }
        Fault::DropAfterFrames { frames: k, rst } => {
            let at = after_frames(evs, *k);
            evs.truncate(at);
            evs.push(Ev::Abort { rst: *rst });
            true
        }
        Fault::TruncatedFinalFrame => {
            let half = frames::event(
                "assistantResponseEvent",
                br#"{"content":"this frame never ends"}"#,
                false,
            );
            evs.push(Ev::Frame(half.slice(..half.len() / 2), Kind::Other));
            true
        }
        _ => false,
    }
}
