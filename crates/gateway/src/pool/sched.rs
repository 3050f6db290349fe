//! The selection core (issue 4 "Selection"): which accounts are *ready* (usable, under their
//! concurrency cap, not cooling down, past their minimum interval) and which one goes next.
//!
//! Pure data structure, no I/O and no clocks of its own (callers pass `now`), guarded by one
//! `std::sync::Mutex` in the pool that is never held across an `.await`.
//!
//! Cost per pick: round-robin and least-inflight keep the ready accounts in a `BTreeSet` ordered
//! by (inflight, last pick) → O(log n); weighted random samples a Fenwick tree of the ready
//! accounts' weights → O(log n). Accounts leave the ready set when they fill up or cool down and
//! return through a timer heap (O(log n)). The only linear walk is the slow path taken when no
//! ready account passes the request's filter (model entitlement, accounts already tried), to tell
//! "wait" from "nothing can ever serve this".

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::config::Strategy;
use super::slot::Slot;

/// Scheduling state of one account.
pub(crate) struct Entry {
    pub slot: Arc<Slot>,
    pub inflight: u32,
    pub cap: u32,
    pub weight: u32,
    /// Sequence number of the last pick (round-robin order).
    pub seq: u64,
    /// Not selectable before this moment (cooldown, exhaustion, minimum interval).
    pub not_before: Option<Instant>,
    /// Health allows use (not banned / needs_login / disabled).
    pub usable: bool,
    in_ready: bool,
}

/// Result of a pick.
pub(crate) enum Pick {
    /// Leased locally (`inflight` already counts it), with its position.
    Picked(Arc<Slot>, usize),
    /// Nothing ready now. Among the accounts that could serve the request, the first hold ends
    /// at `next`, and `releasing` says whether one of them has a request in flight here (whose
    /// end frees a slot). Neither → waiting cannot help before `next`.
    Wait {
        next: Option<Instant>,
        releasing: bool,
    },
    /// No account can serve this request, however long we wait.
    Never,
}

pub(crate) struct Sched {
    strategy: Strategy,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    ordered: BTreeSet<(u32, u64, usize)>,
    weights: Fenwick,
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    seq: u64,
}

impl Sched {
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            entries: Vec::new(),
            free: Vec::new(),
            ordered: BTreeSet::new(),
            weights: Fenwick::default(),
            timers: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Adds an account; returns its position.
    pub fn insert(&mut self, slot: Arc<Slot>, cap: u32, weight: u32, usable: bool) -> usize {
        let pos = self.free.pop().unwrap_or(self.entries.len());
        if pos == self.entries.len() {
            self.entries.push(None);
            self.weights.grow(self.entries.len());
        }
        self.entries[pos] = Some(Entry {
            slot,
            inflight: 0,
            cap: cap.max(1),
            weight: weight.max(1),
            seq: 0,
            not_before: None,
            usable,
            in_ready: false,
        });
        self.refresh(pos, Instant::now());
        pos
    }

    /// Removes an account (leases still out are ignored when they come back).
    pub fn remove(&mut self, pos: usize) {
        self.unready(pos);
        if let Some(slot) = self.entries.get_mut(pos) {
            *slot = None;
            self.free.push(pos);
        }
    }

    /// Accounts that are usable and pass `filter` (slow paths only: a linear walk).
    pub fn candidates<'a>(
        &'a self,
        filter: &'a dyn Fn(&Slot) -> bool,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .flatten()
            .filter(move |e| e.usable && filter(&e.slot))
    }

    pub fn entry(&self, pos: usize) -> Option<&Entry> {
        self.entries.get(pos).and_then(Option::as_ref)
    }

    /// Updates cap/weight after an edit.
    pub fn configure(&mut self, pos: usize, cap: u32, weight: u32) {
        self.unready(pos);
        if let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut) {
            e.cap = cap.max(1);
            e.weight = weight.max(1);
        }
        self.refresh(pos, Instant::now());
    }

    pub fn set_usable(&mut self, pos: usize, usable: bool, now: Instant) {
        if let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut) {
            e.usable = usable;
        }
        self.refresh(pos, now);
    }

    /// Keeps the account out of selection until `until` (extends, never shortens).
    pub fn hold_until(&mut self, pos: usize, until: Instant, now: Instant) {
        if let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut)
            && e.not_before.is_none_or(|t| t < until)
        {
            e.not_before = Some(until);
            self.timers.push(Reverse((until, pos)));
        }
        self.refresh(pos, now);
    }

    /// Lifts a hold at once (e.g. an exhausted account whose quota reset).
    pub fn clear_hold(&mut self, pos: usize, now: Instant) {
        if let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut) {
            e.not_before = None;
        }
        self.refresh(pos, now);
    }

    /// A lease of `pos` ended.
    pub fn release(&mut self, pos: usize, slot: &Arc<Slot>, now: Instant) {
        match self.entries.get_mut(pos).and_then(Option::as_mut) {
            Some(e) if Arc::ptr_eq(&e.slot, slot) => e.inflight = e.inflight.saturating_sub(1),
            _ => return,
        }
        self.refresh(pos, now);
    }

    /// Takes the lease of a specific account if it is ready and passes `filter`.
    pub fn pick_pos(
        &mut self,
        pos: usize,
        now: Instant,
        gap: Duration,
        filter: &dyn Fn(&Slot) -> bool,
    ) -> Option<Arc<Slot>> {
        self.wake(now);
        let ok = self
            .entry(pos)
            .is_some_and(|e| e.in_ready && filter(&e.slot));
        if ok { self.take(pos, now, gap) } else { None }
    }

    /// Chooses and leases the next account passing `filter`. `rand01` is a uniform number in
    /// [0, 1) (weighted strategy only); `gap` is the minimum interval to the next pick of it.
    pub fn pick(
        &mut self,
        now: Instant,
        gap: Duration,
        rand01: f64,
        filter: &dyn Fn(&Slot) -> bool,
    ) -> Pick {
        self.wake(now);
        let found = match self.strategy {
            Strategy::RoundRobin | Strategy::LeastInflight => self
                .ordered
                .iter()
                .map(|&(_, _, pos)| pos)
                .find(|&pos| self.entry(pos).is_some_and(|e| filter(&e.slot))),
            Strategy::WeightedRandom => self.pick_weighted(rand01, filter),
        };
        if let Some((pos, slot)) = found.and_then(|pos| Some((pos, self.take(pos, now, gap)?))) {
            return Pick::Picked(slot, pos);
        }
        // Slow path: is anything able to serve this request later, and when?
        let mut waitable = false;
        let mut releasing = false;
        let mut next: Option<Instant> = None;
        for e in self.entries.iter().flatten() {
            if !(e.usable && filter(&e.slot)) {
                continue;
            }
            waitable = true;
            releasing |= e.inflight > 0;
            if let Some(t) = e.not_before.filter(|t| *t > now) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if waitable {
            Pick::Wait { next, releasing }
        } else {
            Pick::Never
        }
    }

    fn pick_weighted(&self, rand01: f64, filter: &dyn Fn(&Slot) -> bool) -> Option<usize> {
        let total = self.weights.total();
        if total == 0 {
            return None;
        }
        // A few samples by weight; then a weighted choice among the filtered ready accounts.
        let mut r = rand01;
        for _ in 0..4 {
            let target = ((r * total as f64) as u64).min(total - 1);
            let pos = self.weights.find(target);
            if self
                .entry(pos)
                .is_some_and(|e| e.in_ready && filter(&e.slot))
            {
                return Some(pos);
            }
            r = (r * 7.31 + 0.618).fract();
        }
        let candidates: Vec<(usize, u64)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(pos, e)| e.as_ref().map(|e| (pos, e)))
            .filter(|(_, e)| e.in_ready && filter(&e.slot))
            .map(|(pos, e)| (pos, u64::from(e.weight)))
            .collect();
        let sum: u64 = candidates.iter().map(|c| c.1).sum();
        let mut target = ((rand01 * sum as f64) as u64).min(sum.saturating_sub(1));
        candidates.into_iter().find_map(|(pos, w)| {
            if target < w {
                Some(pos)
            } else {
                target -= w;
                None
            }
        })
    }

    fn take(&mut self, pos: usize, now: Instant, gap: Duration) -> Option<Arc<Slot>> {
        self.unready(pos);
        self.seq += 1;
        let seq = self.seq;
        let mut hold = None;
        let e = self.entries.get_mut(pos).and_then(Option::as_mut)?;
        e.inflight += 1;
        e.seq = seq;
        if !gap.is_zero() {
            let until = now + gap;
            e.not_before = Some(until);
            hold = Some(until);
        }
        let slot = Arc::clone(&e.slot);
        if let Some(until) = hold {
            self.timers.push(Reverse((until, pos)));
        }
        self.refresh(pos, now);
        Some(slot)
    }

    /// Moves accounts whose hold expired back into the ready set.
    fn wake(&mut self, now: Instant) {
        while let Some(Reverse((t, pos))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            if let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut)
                && e.not_before.is_some_and(|nb| nb <= now)
            {
                e.not_before = None;
            }
            self.refresh(pos, now);
        }
    }

    /// Puts `pos` in or out of the ready set according to its state.
    fn refresh(&mut self, pos: usize, now: Instant) {
        self.unready(pos);
        let strategy = self.strategy;
        let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut) else {
            return;
        };
        let held = e.not_before.is_some_and(|t| t > now);
        if e.usable && !held && e.inflight < e.cap {
            e.in_ready = true;
            let key = ready_key(strategy, e, pos);
            let weight = u64::from(e.weight);
            self.ordered.insert(key);
            self.weights.add(pos, weight as i64);
        }
    }

    fn unready(&mut self, pos: usize) {
        let strategy = self.strategy;
        let Some(e) = self.entries.get_mut(pos).and_then(Option::as_mut) else {
            return;
        };
        if !e.in_ready {
            return;
        }
        e.in_ready = false;
        let key = ready_key(strategy, e, pos);
        let weight = i64::from(e.weight);
        self.ordered.remove(&key);
        self.weights.add(pos, -weight);
    }
}

fn ready_key(strategy: Strategy, e: &Entry, pos: usize) -> (u32, u64, usize) {
    match strategy {
        Strategy::LeastInflight => (e.inflight, e.seq, pos),
        Strategy::RoundRobin | Strategy::WeightedRandom => (0, e.seq, pos),
    }
}

/// Fenwick (binary indexed) tree of non-negative weights: point update and "which position holds
/// the k-th unit of weight", both O(log n).
#[derive(Default)]
struct Fenwick {
    tree: Vec<i64>,
}

impl Fenwick {
    fn grow(&mut self, len: usize) {
        if len <= self.tree.len() {
            return;
        }
        // Rebuild from point values (rare: only when the account table grows).
        let old: Vec<i64> = (0..self.tree.len()).map(|i| self.point(i)).collect();
        self.tree = vec![0; len.next_power_of_two()];
        for (i, v) in old.into_iter().enumerate() {
            if v != 0 {
                self.add(i, v);
            }
        }
    }

    fn add(&mut self, pos: usize, delta: i64) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] += delta;
            i += i & i.wrapping_neg();
        }
    }

    fn prefix(&self, pos: usize) -> i64 {
        let mut i = pos;
        let mut s = 0;
        while i > 0 {
            s += self.tree[i - 1];
            i -= i & i.wrapping_neg();
        }
        s
    }

    fn point(&self, pos: usize) -> i64 {
        self.prefix(pos + 1) - self.prefix(pos)
    }

    fn total(&self) -> u64 {
        self.prefix(self.tree.len()).max(0) as u64
    }

    /// Position whose cumulative range contains `target` (0-based unit index).
    fn find(&self, target: u64) -> usize {
        let mut pos = 0;
        let mut rem = target as i64;
        let mut step = self.tree.len().next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= self.tree.len() && self.tree[next - 1] <= rem {
                pos = next;
                rem -= self.tree[next - 1];
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
#[path = "sched_tests.rs"]
mod tests;
