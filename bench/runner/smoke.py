"""`make bench-smoke`: instruction counts (valgrind callgrind) of a fixed small workload through the
debug gateway, compared with bench/baseline.json. Fails on a large regression; wall-clock time is
never judged (performance-anchors.md §3: instruction counts repeat, timings on this VM do not).

    python bench/runner/smoke.py            # check against the baseline
    python bench/runner/smoke.py --record   # write the baseline from this run

The gateway runs under callgrind with instrumentation on from the start; after start-up and a
warm-up, `callgrind_control --zero` resets the counters, one workload group runs, and
`callgrind_control --dump` writes that group's totals. Groups: 20 OpenAI and 20 Anthropic
non-stream requests, and 2 zero-delay streams of 200 frames (one per dialect).

Each group's window is measured REPEATS times and the smallest count is judged. The gateway's
timer-driven work (the 30 s snapshot reload, the pool's reload and refresh ticks, the metrics
sampler) runs whenever its timer fires, and under callgrind a window lasts seconds: a window that a
tick lands in counts that work too. It only ever adds instructions, so the minimum of a few windows
is the workload's own cost (a CI run once measured one stream window +36 % over the baseline while
the other three groups agreed within 2 %).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procs import ProcError  # noqa: E402
from rig import REPO, Gateway, Rig, client_leg  # noqa: E402

BASELINE = REPO / "bench" / "baseline.json"
TOLERANCE_PCT = 25.0
N_REQ = 20
FRAMES = 200
REPEATS = 3


def callgrind(outdir: Path, cache_sim: bool = False) -> list[str]:
    """The valgrind command line that runs a process under callgrind, dumping into `outdir`."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outdir}/cg.%p", "--dump-instr=no",
            "--compress-strings=no", *(["--cache-sim=yes"] if cache_sim else [])]


def start_under_callgrind(rig: Rig, sim_url: str, outdir: Path) -> Gateway:
    return Gateway(rig, sim_url, "gateway", {}, wrapper=callgrind(outdir), start_timeout=120)


def ctl(*args: str) -> str:
    out = subprocess.run(["callgrind_control", *args], capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise ProcError(f"callgrind_control {' '.join(args)}: {out.stdout}{out.stderr}")
    return out.stdout


def dump_events(pid: int, outdir: Path, label: str) -> dict[str, int]:
    """Dumps callgrind's counters for `pid` (`callgrind_control --dump`) and returns the dump's totals
    by event name (`Ir`, and with `--cache-sim=yes` the cache events)."""
    before = set(outdir.glob(f"cg.{pid}*"))
    ctl("--dump=" + label, str(pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for f in set(outdir.glob(f"cg.{pid}*")) - before:
            text = f.read_text(errors="replace")
            names = re.search(r"^events:\s*(.+)$", text, re.M)
            totals = re.search(r"^(?:summary|totals):\s*(.+)$", text, re.M)
            if names and totals:
                return dict(zip(names.group(1).split(), map(int, totals.group(1).split())))
        time.sleep(0.2)
    raise ProcError(f"no callgrind dump for {label}")


def dump_total(pid: int, outdir: Path, label: str) -> int:
    return dump_events(pid, outdir, label)["Ir"]


def measure_window(rig: Rig, gw: Gateway, outdir: Path, name: str, label: str, leg: tuple, stream: bool) -> int:
    """Zeroes the counters, runs one window of the group (`leg` as `client_leg` builds it) and returns
    its instruction total."""
    path, body, headers, proto = leg
    pid = gw.proc.pid
    ctl("--zero", str(pid))
    if stream:
        r = rig.driver("stream", gw.url, path, body, headers, proto, "--streams", "1",
                       "--expect-frames", str(FRAMES), "--timeout-s", "120")
        ok = r["ok"] == 1 and r["lost_frames"] == 0
    else:
        r = rig.driver("load", gw.url, path, body, headers, proto, "--total", str(N_REQ), "--duration-s", "120")
        ok = r["ok"] == N_REQ
    if not ok:
        raise ProcError(f"{name}: workload failed: {json.dumps(r)[:800]}")
    return dump_total(pid, outdir, label)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--bin-profile", default="debug")
    a = ap.parse_args()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rig = Rig(REPO / "bench" / "work" / f"smoke-{stamp}", a.bin_profile)
    outdir = rig.work / "callgrind"
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    counts: dict[str, float] = {}
    try:
        sim = rig.start_sim()
        gw = start_under_callgrind(rig, sim, outdir)
        gw.add_sim_accounts([{"id": "smoke-1"}])
        groups = [
            ("openai_nonstream_per_req", "openai", "Say hello.", False, N_REQ),
            ("anthropic_nonstream_per_req", "anthropic", "Say hello.", False, N_REQ),
            ("openai_stream_per_frame", "openai", f"#bench frames={FRAMES} interval=0 bytes=16", True, FRAMES),
            ("anthropic_stream_per_frame", "anthropic", f"#bench frames={FRAMES} interval=0 bytes=16", True, FRAMES),
        ]
        for name, dialect, text, stream, per in groups:
            leg = client_leg(gw, dialect, text, stream)
            path, body, headers, proto = leg
            # warm-up: first-use allocations and lazy initialisation stay out of the count
            rig.driver("load", gw.url, path, body, headers, proto, "--total", "2", "--duration-s", "120")
            windows = [measure_window(rig, gw, outdir, name, f"{name}-{i}", leg, stream)
                       for i in range(REPEATS)]
            counts[name] = min(windows) / per
            seen = ", ".join(f"{w / per:,.0f}" for w in windows)
            print(f"smoke: {name}: {counts[name]:,.0f} instructions (min of {seen})", flush=True)
    finally:
        rig.stop_all()
    secs = time.monotonic() - t0
    print(f"smoke: {secs:.0f} s")
    if a.record or not BASELINE.exists():
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                check=False).stdout.strip()
        BASELINE.write_text(json.dumps({
            "what": "callgrind instructions of the debug gateway (bench/runner/smoke.py)",
            "recorded": stamp, "commit": commit, "tolerance_pct": TOLERANCE_PCT,
            "instructions": {k: round(v) for k, v in counts.items()}}, indent=1) + "\n")
        print(f"smoke: baseline written to {BASELINE}")
        return 0
    base = json.loads(BASELINE.read_text())
    tol = float(base.get("tolerance_pct", TOLERANCE_PCT))
    failed = []
    for k, v in counts.items():
        b = base["instructions"].get(k)
        if not b:
            continue
        pct = 100.0 * (v - b) / b
        print(f"smoke: {k}: {v:,.0f} vs baseline {b:,} ({pct:+.1f} %, limit +{tol:.0f} %)")
        if pct > tol:
            failed.append(k)
    if failed:
        print(f"smoke: REGRESSION in {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"smoke: {len(counts)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
