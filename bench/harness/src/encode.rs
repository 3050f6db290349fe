//! Amazon Q event-stream frame encoding (amazon-q-protocol.md §5.2), the inverse of the reader in
//! [`crate::frames`]. The frame-parser unit tests and the loopback upstream of `tests/loopback.rs`
//! build their streams with it, so both speak the same bytes. CRCs are left zero: the benchmark's
//! parser does not check them.

/// Appends one string-valued header (value type 7): name length, name, type, value length, value.
pub fn string_header(headers: &mut Vec<u8>, name: &str, value: &str) {
    headers.push(name.len() as u8);
    headers.extend_from_slice(name.as_bytes());
    headers.push(7);
    headers.extend_from_slice(&(value.len() as u16).to_be_bytes());
    headers.extend_from_slice(value.as_bytes());
}

/// An event frame: `:event-type` = `event` and `:message-type` = `event`, then the already
/// encoded `extra` headers, then the JSON `payload`.
pub fn event_frame(event: &str, extra: &[u8], payload: &str) -> Vec<u8> {
    let mut headers = Vec::new();
    string_header(&mut headers, ":event-type", event);
    string_header(&mut headers, ":message-type", "event");
    headers.extend_from_slice(extra);
    let total = 12 + headers.len() + payload.len() + 4;
    let mut f = Vec::with_capacity(total);
    f.extend_from_slice(&(total as u32).to_be_bytes());
    f.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    f.extend_from_slice(&[0; 4]);
    f.extend_from_slice(&headers);
    f.extend_from_slice(payload.as_bytes());
    f.extend_from_slice(&[0; 4]);
    f
}
