//! Seedable id and token generator (amazon-q-protocol.md §8.1 "seedable RNG for ids").
//!
//! splitmix64 over a counter: the same seed and the same request order give the same ids, which
//! keeps golden tests stable, while the counter guarantees uniqueness.

use std::sync::atomic::{AtomicU64, Ordering};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Debug)]
pub struct Ids {
    seed: u64,
    counter: AtomicU64,
}

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    pub fn next_u64(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        splitmix64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// A version-4-shaped UUID string.
    pub fn uuid(&self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    /// An opaque token: `prefix` followed by `len` URL-safe characters.
    pub fn token(&self, prefix: &str, len: usize) -> String {
        let mut out = String::with_capacity(prefix.len() + len);
        out.push_str(prefix);
        let mut bits = 0u64;
        let mut left = 0u32;
        for _ in 0..len {
            if left < 6 {
                bits = self.next_u64();
                left = 64;
            }
            out.push(char::from(ALPHABET[(bits & 63) as usize]));
            bits >>= 6;
            left -= 6;
        }
        out
    }

    /// `XXXX-XXXX` user code for the device flow (letters only, like the real service).
    pub fn user_code(&self) -> String {
        let mut v = self.next_u64();
        let mut s = String::with_capacity(9);
        for i in 0..8 {
            if i == 4 {
                s.push('-');
            }
            s.push(char::from(b'A' + (v % 26) as u8));
            v /= 26;
        }
        s
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids_and_unique() {
        let a = Ids::new(7);
        let b = Ids::new(7);
        assert_eq!(a.uuid(), b.uuid());
        let t1 = a.token("x", 40);
        let t2 = a.token("x", 40);
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 41);
        let code = a.user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(code.as_bytes()[4], b'-');
        assert_eq!(a.uuid().len(), 36);
    }
}
