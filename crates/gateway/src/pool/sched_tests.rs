//! Unit tests of the selection core.

use super::*;

#[test]
fn fenwick_finds_by_weight() {
    let mut f = Fenwick::default();
    f.grow(5);
    f.add(0, 1);
    f.add(2, 3);
    f.add(4, 2);
    assert_eq!(f.total(), 6);
    assert_eq!(f.find(0), 0);
    assert_eq!(f.find(1), 2);
    assert_eq!(f.find(3), 2);
    assert_eq!(f.find(4), 4);
    f.grow(9);
    assert_eq!(f.total(), 6);
    assert_eq!(f.find(5), 4);
}

fn slot(id: &str) -> Arc<Slot> {
    Arc::new(Slot::test(id))
}

/// The account and position a pick leased; panics when it leased none.
fn picked(pick: Pick) -> (Arc<Slot>, usize) {
    let Pick::Picked(x, pos) = pick else {
        panic!("no account ready")
    };
    (x, pos)
}

#[test]
fn least_inflight_prefers_idle_accounts() {
    let mut s = Sched::new(Strategy::LeastInflight);
    for id in ["a", "b", "c"] {
        s.insert(slot(id), 3, 1, true);
    }
    let now = Instant::now();
    let all = |_: &Slot| true;
    let mut held = Vec::new();
    for _ in 0..6 {
        let (x, pos) = picked(s.pick(now, Duration::ZERO, 0.0, &all));
        held.push((x, pos));
    }
    // Two each: never a third on one account while another has one.
    for id in ["a", "b", "c"] {
        assert_eq!(held.iter().filter(|(x, _)| x.id == id).count(), 2);
    }
    let (x, pos) = held.remove(0);
    s.release(pos, &x, now);
    let (next, _) = picked(s.pick(now, Duration::ZERO, 0.0, &all));
    assert_eq!(
        next.id, x.id,
        "the account with the fewest in flight goes next"
    );
}

#[test]
fn weighted_random_follows_weights() {
    let mut s = Sched::new(Strategy::WeightedRandom);
    s.insert(slot("heavy"), 1000, 9, true);
    s.insert(slot("light"), 1000, 1, true);
    let now = Instant::now();
    let mut counts = [0u32; 2];
    for i in 0..1000 {
        let r = f64::from(i) / 1000.0;
        let (x, pos) = picked(s.pick(now, Duration::ZERO, r, &|_| true));
        counts[usize::from(x.id == "light")] += 1;
        s.release(pos, &x, now);
    }
    assert_eq!(counts, [900, 100]);
    // A filter that excludes the heavy account still finds the light one.
    let (x, _) = picked(s.pick(now, Duration::ZERO, 0.1, &|x: &Slot| x.id == "light"));
    assert_eq!(x.id, "light");
}

#[test]
fn minimum_interval_holds_an_account_after_each_pick() {
    let mut s = Sched::new(Strategy::RoundRobin);
    s.insert(slot("a"), 5, 1, true);
    let now = Instant::now();
    let gap = Duration::from_millis(200);
    let (x, pos) = picked(s.pick(now, gap, 0.0, &|_| true));
    s.release(pos, &x, now);
    match s.pick(now + Duration::from_millis(100), gap, 0.0, &|_| true) {
        Pick::Wait { next, releasing } => {
            assert_eq!(next, Some(now + gap));
            assert!(!releasing);
        }
        _ => panic!("picked inside the minimum interval"),
    }
    assert!(matches!(
        s.pick(now + gap, gap, 0.0, &|_| true),
        Pick::Picked(..)
    ));
}

#[test]
fn round_robin_respects_caps_and_holds() {
    let mut s = Sched::new(Strategy::RoundRobin);
    let a = s.insert(slot("a"), 1, 1, true);
    s.insert(slot("b"), 1, 1, true);
    let now = Instant::now();
    let all = |_: &Slot| true;
    let (first, _) = picked(s.pick(now, Duration::ZERO, 0.0, &all));
    let (second, _) = picked(s.pick(now, Duration::ZERO, 0.0, &all));
    assert_ne!(first.id, second.id);
    assert!(matches!(
        s.pick(now, Duration::ZERO, 0.0, &all),
        Pick::Wait {
            next: None,
            releasing: true
        }
    ));
    s.release(a, &first, now);
    s.hold_until(a, now + Duration::from_secs(5), now);
    assert!(matches!(
        s.pick(now, Duration::ZERO, 0.0, &all),
        Pick::Wait { next: Some(_), .. }
    ));
    let later = now + Duration::from_secs(6);
    let (again, _) = picked(s.pick(later, Duration::ZERO, 0.0, &all));
    assert_eq!(again.id, first.id);
    s.set_usable(a, false, later);
    assert!(matches!(
        s.pick(later, Duration::ZERO, 0.0, &|x: &Slot| x.id == "a"),
        Pick::Never
    ));
}

#[test]
fn picks_stay_cheap_with_ten_thousand_accounts() {
    for strategy in [
        Strategy::RoundRobin,
        Strategy::LeastInflight,
        Strategy::WeightedRandom,
    ] {
        let mut s = Sched::new(strategy);
        for i in 0..10_000 {
            s.insert(slot(&format!("acct-{i}")), 2, 1 + i % 5, true);
        }
        let now = Instant::now();
        let started = std::time::Instant::now();
        let mut held = std::collections::VecDeque::new();
        for i in 0..200_000u32 {
            let r = f64::from(i % 997) / 997.0;
            let (x, pos) = picked(s.pick(now, Duration::ZERO, r, &|_| true));
            held.push_back((x, pos));
            // Keep 5 000 requests in flight.
            if held.len() > 5_000
                && let Some((x, pos)) = held.pop_front()
            {
                s.release(pos, &x, now);
            }
        }
        let per_pick = started.elapsed() / 200_000;
        eprintln!("{strategy:?}: {per_pick:?} per pick+release over 10 000 accounts");
        // Generous bound for unoptimized builds on a busy machine; O(n) scans would take ~100x.
        assert!(
            per_pick < Duration::from_micros(50),
            "{strategy:?}: {per_pick:?}"
        );
    }
}
