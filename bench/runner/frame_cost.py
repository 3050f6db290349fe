"""Per-frame cost of a *paced* stream in B0 and the gateway, from valgrind's callgrind with its cache
simulation: instructions, L1 instruction-cache misses and L1 data-cache misses per frame.

    python bench/runner/frame_cost.py                     # release binaries, 100 streams × 100 frames
    python bench/runner/frame_cost.py --streams 10 --no-cache-sim

Why it exists: S2's CPU µs/frame at 100 streams (every frame its own wake-up) moves by ±30 %
between rounds on this VM, more than the gap it judges, and `perf stat` has no hardware counters
here. Instruction and cache-miss counts repeat within a few per cent, so a change to the stream path
can be judged here first. The smoke check's zero-delay stream does not show this cost: its frames
arrive in batches, one wake-up for many frames.

Frames are paced at `--interval-ms` (200 by default: under callgrind the processes run ~50× slower,
and a shorter interval would let frames queue up and batch). Each leg is warmed up, then measured
`--windows` times (counters zeroed, one run of streams, dumped); the smallest window is reported, as
in `smoke.py` (timer-driven background work only ever adds). Writes
`<out>/frame-cost-<stamp>.json`; callgrind dumps stay in `bench/work/`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procs import ProcError  # noqa: E402
from rig import REPO, Gateway, Rig  # noqa: E402
from scenarios import Legs  # noqa: E402
from smoke import callgrind, ctl, dump_events  # noqa: E402

LEGS = ("b0", "gw-openai", "gw-anthropic")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-profile", default="release")
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--interval-ms", type=int, default=200)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--no-cache-sim", action="store_true")
    ap.add_argument("--out", default=str(REPO / "bench" / "work"))
    a = ap.parse_args()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rig = Rig(REPO / "bench" / "work" / f"frame-cost-{stamp}", a.bin_profile)
    outdir = rig.work / "callgrind"
    outdir.mkdir(parents=True, exist_ok=True)
    vg = callgrind(outdir, not a.no_cache_sim)
    per_frame: dict[str, dict[str, float]] = {}
    try:
        sim = rig.start_sim()
        b0, b0_url = rig.start_b0(sim, wrapper=vg, start_timeout=120)
        gw = Gateway(rig, sim, "gateway", {}, wrapper=vg, start_timeout=120)
        gw.add_sim_accounts([{"id": "frame-cost-1"}])
        legs = Legs(rig, gw, b0_url, f"#bench frames={a.frames} interval={a.interval_ms} bytes=16", stream=True)
        for leg in LEGS:
            pid = b0.pid if leg == "b0" else gw.proc.pid
            run = ("stream", "--expect-frames", str(a.frames), "--timeout-s", "600")
            legs.run(leg, *run, "--streams", "2")  # warm-up
            windows = []
            for i in range(a.windows):
                ctl("--zero", str(pid))
                r = legs.run(leg, *run, "--streams", str(a.streams), "--ramp-ms", str(a.interval_ms))
                if r["ok"] != a.streams or r["lost_frames"]:
                    raise ProcError(f"{leg}: workload failed: {json.dumps(r)[:800]}")
                ev = dump_events(pid, outdir, f"{leg}-{i}")
                windows.append({k: v / max(r["frames"], 1) for k, v in ev.items()})
            per_frame[leg] = min(windows, key=lambda w: w["Ir"])
            shown = ", ".join(f"{k} {v:,.0f}" for k, v in per_frame[leg].items())
            print(f"frame-cost: {leg}: {shown} per frame (min of {a.windows} windows by Ir)", flush=True)
    finally:
        rig.stop_all()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"frame-cost-{stamp}.json"
    path.write_text(json.dumps({"what": "callgrind counts per paced stream frame (bench/runner/frame_cost.py)",
                                "stamp": stamp, "args": vars(a), "per_frame": per_frame}, indent=1) + "\n")
    print(f"frame-cost: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
