"""`make bench` entry point: runs every scenario on release binaries and writes
bench/results/<stamp>.json plus bench/results/latest.md (and PNG plots) via report.py.

    python bench/runner/run.py [--profile full|quick] [--only s1,s2,...] [--bin-profile release]
                               [--out DIR] [--peers FILE]

`--peers FILE` (opt-in) adds peer gateways as extra legs (peers.py, bench/README.md "Peers").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
from procs import loadavg  # noqa: E402
from rig import REPO, RIG_CPU, SUT_CPU, Rig  # noqa: E402

PROFILES = {
    "full": {
        "rounds": 7, "s1_warmup": 500, "s1_c1_requests": 1000, "s1_conns": 16, "s1_secs": 5,
        "s2_frames": 500, "s2_levels": [100, 500, 1000], "s2_rounds": 2, "s2_ramp_ms": 2000, "m_idle_wait_s": 20,
        "s3_levels": [1, 100],
        "s5_rounds": 4, "s5_conns": 16, "s5_requests": 10000,
        "s4_accounts": 100, "s4_ttl_s": 10, "s4_rounds": 2, "s4_conns": 16, "s4_secs": 15, "s4_requests": 100_000_000,
        "m_streams": 1000,
    },
    "quick": {
        "rounds": 2, "s1_warmup": 100, "s1_c1_requests": 200, "s1_conns": 16, "s1_secs": 2,
        "s2_frames": 100, "s2_levels": [50], "s2_rounds": 1, "s2_ramp_ms": 500, "m_idle_wait_s": 3,
        "s3_levels": [1, 10],
        "s5_rounds": 2, "s5_conns": 8, "s5_requests": 1000,
        "s4_accounts": 20, "s4_ttl_s": 5, "s4_rounds": 1, "s4_conns": 8, "s4_secs": 4, "s4_requests": 100_000_000,
        "m_streams": 50,
    },
}


def machine() -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"cpu": model, "nproc": os.cpu_count(), "kernel": platform.release(), "mem_kib": int(mem),
            "rustc": rustc}


def commit() -> dict:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "crates", "bench"))}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="full", choices=PROFILES)
    ap.add_argument("--only", default="s1,s2,s3,s5,m,s4")
    ap.add_argument("--bin-profile", default="release")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    ap.add_argument("--merge-into", default=None, metavar="RUN_JSON",
                    help="rerun the --only scenarios and replace them in this earlier run's JSON (each replaced "
                         "scenario records the rerun's stamp, commit and load), then rewrite it and latest.md")
    ap.add_argument("--peers", help="JSON file describing peer gateways to run as extra legs (peers.py)")
    ap.add_argument("--s2-levels", help="comma-separated S2 stream counts overriding the profile's (e.g. 500)")
    a = ap.parse_args()
    p = dict(PROFILES[a.profile])
    if a.s2_levels:
        p["s2_levels"] = [int(x) for x in a.s2_levels.split(",")]
    only = set(a.only.split(","))
    if not shutil.which("wrk"):
        print("bench: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = REPO / "bench" / "work" / stamp
    rig = Rig(work, a.bin_profile)
    result: dict = {"started": stamp, "profile": a.profile, "params": p, "machine": machine(), **commit(),
                    "pinning": {"sut_cpu": SUT_CPU, "rig_cpu": RIG_CPU,
                                "note": "B0 or gateway alone on sut_cpu; simulator, driver and wrk on rig_cpu"},
                    "binaries": a.bin_profile, "load_before": loadavg(), "scenarios": {}, "errors": {}}
    t0 = time.monotonic()
    try:
        sim_url = rig.start_sim()
        b0, b0_url = rig.start_b0(sim_url)
        gw = rig.start_gateway(sim_url)
        gw.add_sim_accounts([{"id": "bench-1"}])
        result["gateway_idle_rss_kib_cold"] = scenarios.rss_kib(gw.proc.pid)
        if a.peers:
            result["errors"].update(peers.start_all(rig, peers.load(a.peers), sim_url))
        steps = [("s1", lambda: scenarios.s1(rig, gw, b0.pid, b0_url, p)),
                 ("s3", lambda: scenarios.s3(rig, gw, b0_url, p)),
                 ("s2", lambda: scenarios.s2(rig, gw, b0.pid, b0_url, p)),
                 ("s5", lambda: scenarios.s5(rig, gw, b0.pid, b0_url, p)),
                 ("m", lambda: {**scenarios.m_arc(rig, sim_url, p), **peers.m_arcs(rig, sim_url, p)}),
                 ("s4", lambda: scenarios.s4(rig, p))]
        for name, fn in steps:
            if name not in only:
                continue
            print(f"bench: {name} ...", flush=True)
            ts = time.monotonic()
            try:
                result["scenarios"][name] = {**fn(), "load": loadavg(), "secs": time.monotonic() - ts}
            except Exception as e:  # one failing scenario must not lose the others' numbers
                result["errors"][name] = f"{e}\n{traceback.format_exc()}"
                print(f"bench: {name} failed: {e}", file=sys.stderr, flush=True)
    finally:
        if rig.peers:
            result["peers"] = peers.summary(rig)
        rig.stop_all()
    result["secs"] = time.monotonic() - t0
    result["load_after"] = loadavg()
    if a.merge_into:
        # A scenario rerun after a harness fix: the other scenarios keep their original numbers; the
        # replaced ones say when, on which commit and under which load they were measured.
        jpath = Path(a.merge_into)
        base = json.loads(jpath.read_text())
        for name, sc in result["scenarios"].items():
            base["scenarios"][name] = {**sc, "rerun": {"started": stamp, "commit": result["commit"],
                                                       "dirty": result["dirty"], "load_before": result["load_before"],
                                                       "params": p}}
            base.get("errors", {}).pop(name, None)
        base.setdefault("errors", {}).update(result["errors"])
        jpath.write_text(json.dumps(base, indent=1))
        md = report.write(base, jpath.parent, jpath.name)
        print(f"bench: merged {sorted(result['scenarios'])} into {jpath}; wrote {md}")
        return 1 if result["errors"] else 0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    jpath = out / f"run-{stamp}.json"
    jpath.write_text(json.dumps(result, indent=1))
    md = report.write(result, out, jpath.name)
    print(f"bench: wrote {jpath} and {md}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
