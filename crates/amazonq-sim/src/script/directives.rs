//! Parser for the directive grammar in the last user message (documented in the crate docs).
//!
//! A directive is a line that starts with `#` immediately followed by a known name
//! (`#text 40`, `#tool fs_read {"path":"a"}`); anything else — including Markdown headings such as
//! `# Title` — is ordinary text and ignored here. Pure code.

use serde_json::Value;

use super::{Bench, Script, Split, Step, ThinkingVariant, filler};

/// A directive line that could not be understood (reported to the client as a 400 with rule `directive`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad directive `{0}`")]
pub struct BadDirective(pub String);

/// Caps on directive arguments: a typo must not make the simulator allocate gigabytes.
const MAX_TOKENS: usize = 2_000_000;
const MAX_BENCH_FRAMES: usize = 10_000_000;
const MAX_BENCH_BYTES: usize = 1024 * 1024;

fn kv(args: &str) -> impl Iterator<Item = (&str, &str)> {
    args.split_whitespace().filter_map(|w| w.split_once('='))
}

fn parse_num<T: std::str::FromStr>(s: &str, line: &str) -> Result<T, BadDirective> {
    s.parse().map_err(|_| BadDirective(line.to_owned()))
}

/// Parses every directive line of `text`. Returns `None` when there is none.
pub fn parse(text: &str) -> Result<Option<Script>, BadDirective> {
    let mut script = Script::default();
    let mut found = false;
    let mut split: Option<Split> = None;
    for raw in text.lines() {
        let line = raw.trim();
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let args = args.trim();
        let bad = || BadDirective(line.to_owned());
        let step = match name {
            "say" => Some(Step::Text {
                content: args.replace("\\n", "\n"),
                split,
            }),
            "text" => Some(Step::Text {
                content: filler(parse_num::<usize>(args, line)?.min(MAX_TOKENS)),
                split,
            }),
            "split" => {
                let mut w = args.split_whitespace();
                split = Some(match w.next() {
                    Some("fixed") => Split::Fixed {
                        chars: parse_num(w.next().unwrap_or("16"), line)?,
                    },
                    Some("word") => Split::Word,
                    Some("char") => Split::Char,
                    Some("random") => Split::Random {
                        seed: parse_num(w.next().unwrap_or("1"), line)?,
                        max: parse_num::<usize>(w.next().unwrap_or("7"), line)?.max(1),
                    },
                    _ => return Err(bad()),
                });
                None
            }
            "thinking" | "thinking-tight" | "thinking-split" | "thinking-quoted" => {
                Some(Step::Thinking {
                    text: args.to_owned(),
                    variant: match name {
                        "thinking-tight" => ThinkingVariant::Tight,
                        "thinking-split" => ThinkingVariant::SplitTags,
                        "thinking-quoted" => ThinkingVariant::QuotedTag,
                        _ => ThinkingVariant::Normal,
                    },
                })
            }
            "reasoning" => Some(Step::Reasoning {
                text: args.to_owned(),
                signature: Some("sim-signature".to_owned()),
            }),
            "tool" => Some(parse_tool(args, line)?),
            "context" => Some(Step::ContextUsage {
                pct: parse_num(args, line)?,
            }),
            "metering" => {
                let mut w = args.split_whitespace();
                let usage = parse_num(w.next().unwrap_or("0.01"), line)?;
                Some(Step::Metering {
                    usage,
                    unit: w.next().unwrap_or("credit").to_owned(),
                })
            }
            "metadata" => {
                let mut w = args.split_whitespace();
                Some(Step::Metadata {
                    input_tokens: parse_num(w.next().unwrap_or("0"), line)?,
                    output_tokens: parse_num(w.next().unwrap_or("0"), line)?,
                })
            }
            "followup" => Some(Step::FollowupPrompt {
                content: args.to_owned(),
            }),
            "code-ref" => Some(Step::CodeReference {
                url: args.to_owned(),
            }),
            "links" => {
                let (url, title) = args
                    .split_once(char::is_whitespace)
                    .unwrap_or((args, "link"));
                Some(Step::WebLinks {
                    url: url.to_owned(),
                    title: title.trim().to_owned(),
                })
            }
            "invalid-state" => Some(Step::InvalidState {
                message: args.to_owned(),
            }),
            "unknown" => {
                let (ty, json) = args.split_once(char::is_whitespace).unwrap_or((args, "{}"));
                let payload: Value = serde_json::from_str(json.trim()).map_err(|_| bad())?;
                Some(Step::Unknown {
                    event_type: ty.to_owned(),
                    payload,
                })
            }
            "sleep" => Some(Step::Sleep {
                ms: parse_num(args, line)?,
            }),
            "metadata-event" | "message-metadata" => Some(Step::MessageMetadata),
            "stop-reason" => {
                let ok = !args.is_empty()
                    && args
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    return Err(bad());
                }
                Some(Step::StopReason {
                    value: args.to_owned(),
                })
            }
            "model-unavailable" => Some(Step::ModelUnavailable),
            "exception" => {
                let mut w = args.split_whitespace();
                let exception_type = w.next().unwrap_or("ValidationException");
                let reason = w.next().unwrap_or(crate::errors::UNKNOWN_REASON);
                let name_ok = |v: &str| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !name_ok(exception_type) || !name_ok(reason) || w.next().is_some() {
                    return Err(bad());
                }
                Some(Step::Exception {
                    exception_type: exception_type.to_owned(),
                    reason: reason.to_owned(),
                })
            }
            "malformed-field" => Some(Step::MalformedField),
            "search" if args.is_empty() => return Err(bad()),
            "search" => Some(Step::WebSearch {
                query: args.to_owned(),
            }),
            "pace" => {
                for (k, v) in kv(args) {
                    match k {
                        "first" => script.pace.first_frame_ms = Some(parse_num(v, line)?),
                        "interval" => script.pace.interval_ms = Some(parse_num(v, line)?),
                        "chunk" => {
                            script.pace.chunk_chars = Some(parse_num::<usize>(v, line)?.max(1));
                        }
                        _ => return Err(bad()),
                    }
                }
                None
            }
            "bench" => {
                let mut b = Bench {
                    frames: 500,
                    interval_ms: 20,
                    bytes: 16,
                };
                for (k, v) in kv(args) {
                    match k {
                        "frames" => b.frames = parse_num::<usize>(v, line)?.min(MAX_BENCH_FRAMES),
                        "interval" => b.interval_ms = parse_num(v, line)?,
                        "bytes" => b.bytes = parse_num::<usize>(v, line)?.clamp(1, MAX_BENCH_BYTES),
                        _ => return Err(bad()),
                    }
                }
                script.bench = Some(b);
                None
            }
            "fault" => {
                crate::faults::Fault::parse_list(args).map_err(|_| bad())?;
                script.faults.extend(
                    args.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty()),
                );
                None
            }
            "initial" => {
                script.initial_response = Some(match args {
                    "on" => true,
                    "off" => false,
                    _ => return Err(bad()),
                });
                None
            }
            "echo" => {
                script.echo = true;
                None
            }
            _ => continue,
        };
        found = true;
        if let Some(s) = step {
            script.steps.push(s);
        }
    }
    Ok(found.then_some(script))
}

/// `#tool [id=X] [fragments=K] [first-input] [stop-last] <name> <json…>`
fn parse_tool(args: &str, line: &str) -> Result<Step, BadDirective> {
    let mut id = None;
    let mut fragments = 1usize;
    let mut first_event_has_input = false;
    let mut stop_carries_last_fragment = false;
    let mut rest = args;
    loop {
        let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if let Some(v) = word.strip_prefix("id=") {
            id = Some(v.to_owned());
        } else if let Some(v) = word.strip_prefix("fragments=") {
            fragments = parse_num::<usize>(v, line)?.max(1);
        } else if word == "first-input" {
            first_event_has_input = true;
        } else if word == "stop-last" {
            stop_carries_last_fragment = true;
        } else {
            break;
        }
        rest = tail.trim_start();
    }
    let (name, input) = rest.split_once(char::is_whitespace).unwrap_or((rest, "{}"));
    if name.is_empty() {
        return Err(BadDirective(line.to_owned()));
    }
    let input = input.trim();
    Ok(Step::ToolUse {
        id,
        name: name.to_owned(),
        input: if input.is_empty() {
            "{}".to_owned()
        } else {
            input.to_owned()
        },
        fragments,
        first_event_has_input,
        stop_carries_last_fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_directives_means_none() {
        assert_eq!(
            parse("hello\n# A heading\n#1 not a directive").unwrap(),
            None
        );
    }

    #[test]
    fn parses_a_full_script() {
        let s = parse(
            "please\n#split word\n#text 3\n#tool id=T1 fragments=3 stop-last fs_read {\"path\": \"a b\"}\n#pace first=5 interval=2 chunk=4\n#fault drop-rst:2, fragment:1\n#context 87.5\n#initial off\n#bench frames=10 interval=1 bytes=8",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            s.steps[0],
            Step::Text {
                content: "alpha beta gamma".into(),
                split: Some(Split::Word)
            }
        );
        assert_eq!(
            s.steps[1],
            Step::ToolUse {
                id: Some("T1".into()),
                name: "fs_read".into(),
                input: "{\"path\": \"a b\"}".into(),
                fragments: 3,
                first_event_has_input: false,
                stop_carries_last_fragment: true
            }
        );
        assert_eq!(s.steps[2], Step::ContextUsage { pct: 87.5 });
        assert_eq!(s.pace.first_frame_ms, Some(5));
        assert_eq!(s.pace.chunk_chars, Some(4));
        assert_eq!(
            s.faults,
            vec!["drop-rst:2".to_owned(), "fragment:1".to_owned()]
        );
        assert_eq!(s.initial_response, Some(false));
        assert_eq!(
            s.bench,
            Some(Bench {
                frames: 10,
                interval_ms: 1,
                bytes: 8
            })
        );
    }

    #[test]
    fn drift_directives() {
        let steps = |text: &str| parse(text).unwrap().unwrap().steps;
        assert_eq!(
            steps("#exception"),
            vec![Step::Exception {
                exception_type: "ValidationException".into(),
                reason: "SOMETHING_NEW".into()
            }]
        );
        assert_eq!(
            steps("#exception ThrottlingException BRAND_NEW"),
            vec![Step::Exception {
                exception_type: "ThrottlingException".into(),
                reason: "BRAND_NEW".into()
            }]
        );
        assert_eq!(steps("#malformed-field"), vec![Step::MalformedField]);
        assert!(parse("#exception A B C").is_err());
        assert!(parse("#exception A\"b").is_err());
    }

    #[test]
    fn bad_arguments_are_reported() {
        assert!(parse("#text many").is_err());
        assert!(parse("#fault nonsense").is_err());
        assert!(parse("#split sideways").is_err());
        assert!(parse("#tool").is_err());
        assert!(parse("#stop-reason end turn").is_err());
        assert_eq!(
            parse("#stop-reason MALFORMED_TOOL_USE")
                .unwrap()
                .unwrap()
                .steps,
            vec![Step::StopReason {
                value: "MALFORMED_TOOL_USE".into()
            }]
        );
    }
}
