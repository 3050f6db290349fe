//! Claude's BPE model in counting-only form: the merge table and the single-character alphabet,
//! without the two vocabulary maps (`token → id`, `id → token`) the `tokenizers` crate keeps.
//!
//! Why: loaded through `tokenizers`, the 65 000-token vocabulary costs ≈ 30 MiB of RSS (two
//! `String`-keyed hash maps, the merge map and what its JSON parse leaves behind), which alone breaks
//! the gateway's idle-memory budget (issue 11 "M"). Counting needs none of the token strings: a word
//! starts as one symbol per (byte-level) character and merges pairs by rank until none applies; the
//! count is the number of symbols left. The merge table (≈ 65 000 × 16 B) is all that must stay.
//!
//! Exactness: [`Bpe::count`] is the algorithm of `tokenizers` 0.20's `Word::merge_all` (a min-heap
//! of candidate merges by rank, then position; a popped candidate is applied only if its pair still
//! yields the same new id), so counts equal `Tokenizer::encode(..).len()`; the tests compare both
//! on varied text. [`Bpe::from_model`] refuses a model using any option this port does not
//! implement (dropout, unknown token, prefixes/suffixes, byte fallback, ignore-merges).

use std::borrow::Cow;
use std::collections::BinaryHeap;
use std::sync::RwLock;

use foldhash::{HashMap, HashMapExt};

use serde::Deserialize;

/// Words (pre-tokenizer pieces) shorter than this are cached, like `tokenizers`' own BPE cache.
const CACHE_MAX_WORD: usize = 256;
/// Entries the count cache keeps (the same bound as `tokenizers`' cache; it stops inserting then).
const CACHE_CAPACITY: usize = 10_000;

/// Counting-only BPE model.
#[derive(Debug)]
pub(super) struct Bpe {
    /// Id of every single-character token: the symbols a word starts from. A character missing here
    /// contributes no symbol (what `tokenizers` does without an unknown token).
    chars: HashMap<char, u32>,
    /// The merges: `(left id, right id) → (rank, merged id)`.
    merges: Merges,
    /// Word → count, for short words (stream deltas repeat words constantly).
    cache: RwLock<HashMap<Box<str>, u32>>,
}

/// The serialized BPE model, borrowing its strings where JSON escaping allows.
#[derive(Deserialize)]
struct Raw<'a> {
    dropout: Option<f32>,
    unk_token: Option<String>,
    continuing_subword_prefix: Option<String>,
    end_of_word_suffix: Option<String>,
    #[serde(default)]
    byte_fallback: bool,
    #[serde(default)]
    ignore_merges: bool,
    #[serde(borrow)]
    vocab: HashMap<Cow<'a, str>, u32>,
    #[serde(borrow)]
    merges: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl Bpe {
    /// Builds the compact model from a loaded `tokenizers` BPE model; `None` when the model uses an
    /// option this port does not implement (the caller then keeps the full model).
    pub(super) fn from_model(model: &tokenizers::models::bpe::BPE) -> Option<Self> {
        // The merges are private in `tokenizers`; its serialization is the public way to them
        // (ordered by rank). This runs once, at warm-up; everything here is freed afterwards.
        let json = serde_json::to_vec(model).ok()?;
        let raw: Raw<'_> = serde_json::from_slice(&json).ok()?;
        let plain = raw.dropout.is_none_or(|d| d == 0.0)
            && raw.unk_token.is_none()
            && raw.continuing_subword_prefix.is_none()
            && raw.end_of_word_suffix.is_none()
            && !raw.byte_fallback
            && !raw.ignore_merges;
        if !plain {
            return None;
        }
        let mut chars = HashMap::new();
        for (token, &id) in &raw.vocab {
            let mut it = token.chars();
            if let (Some(c), None) = (it.next(), it.next()) {
                chars.insert(c, id);
            }
        }
        chars.shrink_to_fit();
        let mut merges = Vec::with_capacity(raw.merges.len());
        let mut joined = String::new();
        for (rank, (a, b)) in raw.merges.iter().enumerate() {
            joined.clear();
            joined.push_str(a);
            joined.push_str(b);
            let ids = (*raw.vocab.get(a.as_ref())?, *raw.vocab.get(b.as_ref())?);
            let new_id = *raw.vocab.get(joined.as_str())?;
            merges.push((ids, (u32::try_from(rank).ok()?, new_id)));
        }
        Some(Self {
            chars,
            merges: Merges::new(merges),
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// Tokens of one pre-tokenized word.
    pub(super) fn count(&self, word: &str) -> usize {
        if word.is_empty() {
            return 0;
        }
        let cacheable = word.len() < CACHE_MAX_WORD;
        if cacheable
            && let Ok(cache) = self.cache.try_read()
            && let Some(&n) = cache.get(word)
        {
            return n as usize;
        }
        let n = self.merge_all(word);
        if cacheable
            && let Ok(mut cache) = self.cache.try_write()
            && cache.len() < CACHE_CAPACITY
        {
            cache.insert(word.into(), u32::try_from(n).unwrap_or(u32::MAX));
        }
        n
    }

    /// `tokenizers` 0.20 `Word::merge_all` without dropout; returns the symbols left.
    fn merge_all(&self, word: &str) -> usize {
        let mut symbols: Vec<Symbol> = Vec::with_capacity(word.len());
        for c in word.chars() {
            if let Some(&id) = self.chars.get(&c) {
                let len = symbols.len();
                symbols.push(Symbol {
                    c: id,
                    prev: len.checked_sub(1),
                    next: None,
                    live: true,
                });
                if let Some(prev) = len.checked_sub(1) {
                    symbols[prev].next = Some(len);
                }
            }
        }
        let mut queue: BinaryHeap<Merge> = symbols
            .windows(2)
            .enumerate()
            .filter_map(|(pos, w)| {
                self.merges
                    .get((w[0].c, w[1].c))
                    .map(|&(rank, new_id)| Merge { pos, rank, new_id })
            })
            .collect();
        let mut live = symbols.len();
        while let Some(top) = queue.pop() {
            let here = symbols[top.pos];
            if !here.live {
                continue;
            }
            let Some(next_pos) = here.next else { continue };
            let right = symbols[next_pos];
            // A stale candidate: the pair at this position changed since it was queued.
            if self.merges.get((here.c, right.c)).map(|m| m.1) != Some(top.new_id) {
                continue;
            }
            symbols[top.pos].c = top.new_id;
            symbols[top.pos].next = right.next;
            symbols[next_pos].live = false;
            live -= 1;
            if let Some(after) = right.next {
                symbols[after].prev = Some(top.pos);
            }
            let current = symbols[top.pos];
            if let Some(prev) = current.prev
                && let Some(&(rank, new_id)) = self.merges.get((symbols[prev].c, current.c))
            {
                queue.push(Merge {
                    pos: prev,
                    rank,
                    new_id,
                });
            }
            if let Some(next) = current.next
                && let Some(&(rank, new_id)) = self.merges.get((current.c, symbols[next].c))
            {
                queue.push(Merge {
                    pos: top.pos,
                    rank,
                    new_id,
                });
            }
        }
        live
    }
}

/// The merge table as one sorted array, searched by binary search: 16 B per merge (≈ 1 MiB for
/// Claude's 65 000), where a hash map sized for the same entries holds twice that in buckets (issue
/// 19 "M": idle RSS). Lookups happen only for words the count caches have not seen.
#[derive(Debug)]
struct Merges(Vec<(u64, (u32, u32))>);

impl Merges {
    /// From `(pair, (rank, merged id))` in rank order; a pair listed twice keeps its last entry,
    /// as `tokenizers`' own merge map (collected in rank order) does.
    fn new(list: Vec<((u32, u32), (u32, u32))>) -> Self {
        let mut v: Vec<(u64, (u32, u32))> =
            list.into_iter().map(|((a, b), m)| (key(a, b), m)).collect();
        // Stable sort: equal keys stay in rank order, so the last of a run is the last listed.
        v.sort_by_key(|e| e.0);
        let mut out: Vec<(u64, (u32, u32))> = Vec::with_capacity(v.len());
        for e in v {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        out.shrink_to_fit();
        Self(out)
    }

    fn get(&self, pair: (u32, u32)) -> Option<&(u32, u32)> {
        let k = key(pair.0, pair.1);
        self.0
            .binary_search_by_key(&k, |e| e.0)
            .ok()
            .map(|i| &self.0[i].1)
    }
}

fn key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

#[derive(Debug, Clone, Copy)]
struct Symbol {
    c: u32,
    prev: Option<usize>,
    next: Option<usize>,
    live: bool,
}

/// A candidate merge; the heap pops the lowest rank first, then the leftmost position.
#[derive(Debug, PartialEq, Eq)]
struct Merge {
    pos: usize,
    rank: u32,
    new_id: u32,
}

impl Ord for Merge {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .rank
            .cmp(&self.rank)
            .then_with(|| other.pos.cmp(&self.pos))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
