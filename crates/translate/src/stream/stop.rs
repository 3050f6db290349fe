//! Stop-sequence emulation (client doc §1.2 `stop`, §2.2 `stop_sequences`): the upstream has no such
//! knob, so the streamed text is scanned, cut before the first match, and the turn ends there. A
//! suffix that could still grow into a match is held back, so the result does not depend on how the
//! text was chunked.

#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

impl StopMatcher {
    pub fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            held: String::new(),
        }
    }

    /// Feeds text; returns the text that is safe to emit and the stop sequence hit, if any (after a
    /// hit, nothing more should be fed).
    pub fn push(&mut self, text: String) -> (String, Option<String>) {
        if self.stops.is_empty() {
            return (text, None);
        }
        self.held.push_str(&text);
        let hit = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()).map(|p| (p, s)))
            .min_by_key(|(p, s)| (*p, std::cmp::Reverse(s.len())));
        if let Some((p, s)) = hit {
            let out = self.held[..p].to_owned();
            let s = s.clone();
            self.held.clear();
            return (out, Some(s));
        }
        let keep = self.longest_partial();
        let cut = self.held.len() - keep;
        let out = self.held[..cut].to_owned();
        self.held.drain(..cut);
        (out, None)
    }

    /// Text still held at the end of the stream.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    /// Length in bytes of the longest suffix of `held` that is a proper prefix of some stop sequence.
    fn longest_partial(&self) -> usize {
        let mut best = 0;
        for (i, _) in self.held.char_indices() {
            let suffix = &self.held[i..];
            if self
                .stops
                .iter()
                .any(|s| s.len() > suffix.len() && s.starts_with(suffix))
            {
                best = best.max(suffix.len());
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], chunks: &[&str]) -> (String, Option<String>) {
        let stops: Vec<String> = stops.iter().map(|s| (*s).to_owned()).collect();
        let mut m = StopMatcher::new(&stops);
        let mut out = String::new();
        for c in chunks {
            let (t, hit) = m.push((*c).to_owned());
            out.push_str(&t);
            if hit.is_some() {
                return (out, hit);
            }
        }
        out.push_str(&m.finish());
        (out, None)
    }

    #[test]
    fn cuts_before_match_split_across_chunks() {
        assert_eq!(
            run(&["STOP"], &["Hello ST", "OP world"]),
            ("Hello ".into(), Some("STOP".into()))
        );
    }

    #[test]
    fn no_match_keeps_everything() {
        assert_eq!(
            run(&["STOP"], &["Hello ST", "ILL"]),
            ("Hello STILL".into(), None)
        );
        assert_eq!(run(&[], &["a", "b"]), ("ab".into(), None));
    }

    #[test]
    fn earliest_match_wins() {
        assert_eq!(
            run(&["b c", "c"], &["a b c"]),
            ("a ".into(), Some("b c".into()))
        );
    }
}
