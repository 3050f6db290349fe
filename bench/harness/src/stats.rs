//! Percentile summaries of microsecond samples. Pure code.

use serde::Serialize;

/// Nearest-rank percentiles of a sample set, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

/// Nearest-rank percentile `q` (0..=1) of an ascending slice; 0 for an empty one.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank: the smallest value with at least q·n samples at or below it.
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Sorts `samples` in place and summarises them.
pub fn summarize(samples: &mut [u64]) -> Summary {
    if samples.is_empty() {
        return Summary::default();
    }
    samples.sort_unstable();
    let sum: u128 = samples.iter().map(|&v| u128::from(v)).sum();
    Summary {
        n: samples.len(),
        min: samples[0],
        p50: percentile(samples, 0.50),
        p90: percentile(samples, 0.90),
        p99: percentile(samples, 0.99),
        p999: percentile(samples, 0.999),
        max: samples[samples.len() - 1],
        mean: sum as f64 / samples.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let s = summarize(&mut v);
        assert_eq!((s.n, s.min, s.max), (100, 1, 100));
        assert_eq!((s.p50, s.p90, s.p99, s.p999), (50, 90, 99, 100));
        assert!((s.mean - 50.5).abs() < 1e-9);
        assert_eq!(percentile(&[7], 0.5), 7);
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(summarize(&mut []), Summary::default());
    }
}
