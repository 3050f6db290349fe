//! Wire checks shared by this crate's tests and the gateway's (feature `test-support`, which only
//! dev-dependencies turn on): the grammar a client relies on, checked the same way on a rendered
//! transcript here and on a live stream there.

use serde_json::Value;

/// The OpenAI chunk grammar (client doc checklist 41–45) over a stream's `data:` chunks, `[DONE]`
/// left out: every chunk is a `chat.completion.chunk` with the first one's `id`, `created` and
/// `model`; `role` only in the first delta; exactly one chunk with a `finish_reason`, and after it
/// only chunks with `choices: []` (the usage chunk). Returns the index of the finish chunk.
pub fn check_openai_chunks(chunks: &[Value]) -> usize {
    let finishes: Vec<usize> = chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c["choices"]
                .get(0)
                .is_some_and(|ch| !ch["finish_reason"].is_null())
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(finishes.len(), 1, "exactly one finish chunk: {chunks:?}");
    let first = &chunks[0];
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], first["id"]);
        assert_eq!(c["created"], first["created"]);
        assert_eq!(c["model"], first["model"]);
        let has_role = c["choices"]
            .get(0)
            .is_some_and(|ch| ch["delta"].get("role").is_some());
        assert_eq!(has_role, i == 0, "role only in the first chunk: {c}");
        if i > finishes[0] {
            assert_eq!(
                c["choices"],
                Value::Array(Vec::new()),
                "only the usage chunk follows the finish: {c}"
            );
        }
    }
    finishes[0]
}
