//! The bytes every dialect encoder writes the same way: a JSON value, an `event:`/`data:` frame, a
//! bare `data:` frame, and the `String` forms of the encoders' `_into` methods
//! ([`encoder_surface!`](crate::sse::encoder_surface)). One copy, so the three dialects cannot
//! drift apart in how they frame or fall back.

use serde::Serialize;

/// Serializing the encoders' plain structs cannot fail; `{}` keeps the stream parseable if it ever did.
pub(crate) fn json_into<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    let at = out.len();
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.truncate(at);
        out.extend_from_slice(b"{}");
    }
}

/// `event: <name>\ndata: <json>\n\n` (the Anthropic and Responses grammars).
pub(crate) fn event_into<T: Serialize + ?Sized>(name: &str, v: &T, out: &mut Vec<u8>) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    json_into(v, out);
    out.extend_from_slice(b"\n\n");
}

/// `data: <json>\n\n` (the OpenAI grammar).
pub(crate) fn data_into<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    json_into(v, out);
    out.extend_from_slice(b"\n\n");
}

/// What `fill` appends, as a string: serde_json writes UTF-8 and the fixed parts are ASCII.
pub(crate) fn text(fill: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    fill(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The surface the dialect encoders share: `is_done`, the builder setters named in the call, and
/// `start` / `encode` as strings (for tests and examples; the gateway appends every event to one
/// buffer per stream). With `web_search`, also `encode_step_into` (a model event or a search
/// step, for encoders that have `encode_search_into`) and the string forms of both.
///
/// ```ignore
/// encoder_surface!(OpenAiSse {
///     /// The local prompt size.
///     with_input_tokens sets input_tokens;
/// });
/// ```
macro_rules! encoder_surface {
    ($ty:ident { $($(#[$set_doc:meta])* $setter:ident sets $field:ident;)* }) => {
        impl $ty {
            /// Whether the stream's last event (its end or an error) was written; later events
            /// write nothing.
            pub fn is_done(&self) -> bool {
                self.done
            }

            $(
                $(#[$set_doc])*
                #[must_use]
                pub fn $setter(mut self, $field: u32) -> Self {
                    self.$field = $field;
                    self
                }
            )*

            /// [`Self::start_into`] as a string.
            pub fn start(&mut self) -> String {
                $crate::sse::frame::text(|out| self.start_into(out))
            }

            /// [`Self::encode_into`] as a string.
            pub fn encode(&mut self, ev: &$crate::ir::OutEvent) -> String {
                $crate::sse::frame::text(|out| self.encode_into(ev, out))
            }
        }
    };
    ($ty:ident { $($setters:tt)* }, web_search) => {
        $crate::sse::encoder_surface!($ty { $($setters)* });

        impl $ty {
            /// One step of a web-search answer: a model event or a search step.
            pub fn encode_step_into(&mut self, step: &$crate::web_search::Step, out: &mut Vec<u8>) {
                match step {
                    $crate::web_search::Step::Out(ev) => self.encode_into(ev, out),
                    $crate::web_search::Step::Search(ev) => self.encode_search_into(ev, out),
                }
            }

            /// [`Self::encode_step_into`] as a string.
            pub fn encode_step(&mut self, step: &$crate::web_search::Step) -> String {
                $crate::sse::frame::text(|out| self.encode_step_into(step, out))
            }

            /// [`Self::encode_search_into`] as a string.
            pub fn encode_search(&mut self, ev: &$crate::web_search::SearchEvent) -> String {
                $crate::sse::frame::text(|out| self.encode_search_into(ev, out))
            }
        }
    };
}
pub(crate) use encoder_surface;
