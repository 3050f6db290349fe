"""Scenarios S1-S5 and M of issue 11 (performance-anchors.md §4.2), each returning a JSON-able dict.

Legs: `direct` (driver → simulator), `b0` (driver → B0 → simulator), `gw-openai` and
`gw-anthropic` (driver → claude-server → simulator). The direct and B0 legs replay the exact upstream
request the gateway makes (captured from the simulator's request log), so the simulator does the same
work on every leg. CPU is utime+stime of the proxy process (B0 or gateway) over the measured window.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import peers
from procs import Sampler, cpu_seconds, loadavg, rss_kib
from rig import RIG_CPU, Gateway, Rig, capture_upstream, client_leg, http

SAY = "Say hello in one short sentence."
TOOL = {"name": "write_file", "description": "Write a file",
        "schema": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                   "required": ["path", "content"]}}


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def spread(xs: list[float]) -> dict:
    if not xs:
        return {"median": 0, "min": 0, "max": 0, "n": 0}
    return {"median": med(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


class Legs:
    """Request definitions for each leg of one scenario."""

    def __init__(self, rig: Rig, gw: Gateway, b0_url: str, text: str, stream: bool, tools: list | None = None):
        self.rig, self.gw, self.b0_url = rig, gw, b0_url
        up_path, up_body, up_headers = capture_upstream(gw, "openai", text, tools)
        proto = "eventstream" if stream else "plain"
        self.defs: dict[str, tuple[str, str, bytes, dict, str]] = {
            "direct": (gw.sim_url, up_path, up_body, up_headers, proto),
            "b0": (b0_url, up_path, up_body, up_headers, proto),
        }
        for d in ("openai", "anthropic"):
            path, body, headers, p = client_leg(gw, d, text, stream, tools)
            self.defs[f"gw-{d}"] = (gw.url, path, body, headers, p)
        for peer in rig.peers:  # `run.py --peers`: the same client request to each peer
            self.defs.update(peer.legs(text, stream, tools))

    def run(self, leg: str, mode: str, *args: str) -> dict:
        url, path, body, headers, proto = self.defs[leg]
        return self.rig.driver(mode, url, path, body, headers, proto, *args)


def sut_pid(leg: str, gw: Gateway, b0_pid: int) -> int | None:
    if leg.startswith("gw"):
        return gw.proc.pid
    return b0_pid if leg == "b0" else peers.pid_of(gw.rig, leg)


def compared(names: list[str]) -> list[str]:
    """Legs judged against B0: the gateway's two, then any peer legs."""
    return [n for n in names if n not in ("direct", "b0")]


def measured(pid: int | None, fn) -> tuple[Any, float, Sampler | None]:
    """Runs fn() while sampling `pid`; returns (result, cpu seconds of pid, sampler)."""
    if pid is None:
        return fn(), 0.0, None
    c0 = cpu_seconds(pid)
    with Sampler(pid) as s:
        r = fn()
    return r, cpu_seconds(pid) - c0, s


# ---- S1 ----------------------------------------------------------------------------------------

def wrk(rig: Rig, url: str, path: str, body: bytes, headers: dict, conns: int, secs: float) -> dict:
    bf = rig.work / f"wrk-body-{abs(hash(body))}.json"
    bf.write_bytes(body)
    lua = rig.work / f"wrk-{abs(hash(body))}-{abs(hash(tuple(headers.items())))}.lua"
    lines = ['wrk.method = "POST"', f'local f = io.open("{bf}", "rb")', "wrk.body = f:read('*a')", "f:close()"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lua.write_text("\n".join(lines) + "\n")
    argv = ["taskset", "-c", str(RIG_CPU), "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", "-s", str(lua),
            url + path]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 60, check=False).stdout
    m = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    lat = {}
    for q, v, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[f"p{q}_us"] = float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {"requests": int(m.group(1)) if m else 0, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errs.group(1) if errs else None, "rps": float(rps.group(1)) if rps else 0.0,
            **lat}


def upstream_conns(gw_pid: int, sim_port: int) -> set[int]:
    """Local ports of the gateway's TCP connections to the simulator (from `ss`)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( dport = :{sim_port} )"],
                         capture_output=True, text=True, check=False).stdout
    ports = set()
    for line in out.splitlines():
        if f"pid={gw_pid}," in line:
            local = line.split()[2] if len(line.split()) > 3 else line.split()[0]
            ports.add(int(local.rsplit(":", 1)[1]))
    return ports


def s1(rig: Rig, gw: Gateway, b0_pid: int, b0_url: str, p: dict) -> dict:
    legs = Legs(rig, gw, b0_url, SAY, stream=False)
    names = list(legs.defs)
    # warm-up
    for leg in names:
        legs.run(leg, "load", "--concurrency", "4", "--total", str(p["s1_warmup"]))
    c1: dict[str, list[dict]] = {n: [] for n in names}
    cpu: dict[str, list[dict]] = {n: [] for n in names}
    sim_port = int(gw.sim_url.rsplit(":", 1)[1])
    seen_ports: set[int] = set()
    for rnd in range(p["rounds"]):
        order = names if rnd % 2 == 0 else list(reversed(names))
        for leg in order:
            pid = sut_pid(leg, gw, b0_pid)
            r, c, _ = measured(pid, lambda: legs.run(leg, "load", "--concurrency", "1", "--total", str(p["s1_c1_requests"])))
            r["cpu_us_per_req"] = c * 1e6 / max(r["ok"], 1) if pid else None
            c1[leg].append(r)
        for leg in order:
            url, path, body, headers, _ = legs.defs[leg]
            pid = sut_pid(leg, gw, b0_pid)
            r, c, _ = measured(pid, lambda: wrk(rig, url, path, body, headers, p["s1_conns"], p["s1_secs"]))
            r["cpu_us_per_req"] = c * 1e6 / max(r["requests"], 1) if pid else None
            cpu[leg].append(r)
            if leg.startswith("gw"):
                seen_ports |= upstream_conns(gw.proc.pid, sim_port)
    summary = {}
    for leg in names:
        summary[leg] = {
            "c1_p50_us": spread([r["latency_us"]["p50"] for r in c1[leg]]),
            "c1_p99_us": spread([r["latency_us"]["p99"] for r in c1[leg]]),
            "c1_cpu_us_per_req": spread([r["cpu_us_per_req"] for r in c1[leg] if r["cpu_us_per_req"]]),
            "c1_failed": sum(r["failed"] for r in c1[leg]),
            f"c{p['s1_conns']}_rps": spread([r["rps"] for r in cpu[leg]]),
            f"c{p['s1_conns']}_cpu_us_per_req": spread([r["cpu_us_per_req"] for r in cpu[leg] if r["cpu_us_per_req"]]),
            f"c{p['s1_conns']}_non2xx": sum(r["non2xx"] for r in cpu[leg]),
        }
    b0cpu = summary["b0"][f"c{p['s1_conns']}_cpu_us_per_req"]["median"]
    b0p50 = summary["b0"]["c1_p50_us"]["median"]
    for leg in compared(names):
        s = summary[leg]
        s["cpu_ratio_to_b0"] = s[f"c{p['s1_conns']}_cpu_us_per_req"]["median"] / b0cpu if b0cpu else None
        s["added_p50_over_b0_us"] = s["c1_p50_us"]["median"] - b0p50
    total_gw_requests = sum(r["requests"] for leg in ("gw-openai", "gw-anthropic") for r in cpu[leg])
    return {"legs": summary, "raw": {"c1": c1, "wrk": cpu},
            "upstream_connections_seen": len(seen_ports), "gateway_requests_in_wrk_runs": total_gw_requests}


# ---- S2 + M ------------------------------------------------------------------------------------

def s2(rig: Rig, gw: Gateway, b0_pid: int, b0_url: str, p: dict) -> dict:
    frames, interval, nbytes = p["s2_frames"], 20, 16
    legs = Legs(rig, gw, b0_url, f"#bench frames={frames} interval={interval} bytes={nbytes}", stream=True)
    names = list(legs.defs)
    idle_rss = rss_kib(gw.proc.pid)
    # RSS per stream = (peak during the level − RSS before S2) / streams, from round 1 (levels
    # ascend, so memory the allocator kept from a smaller level is inside the larger level's peak).
    s2_idle = {gw.proc.pid: idle_rss, b0_pid: rss_kib(b0_pid), **{pr.pid: rss_kib(pr.pid) for pr in rig.peers}}
    runs: list[dict] = []
    rss_trace: dict[str, list] = {}
    for rnd in range(p["s2_rounds"]):
        for level in p["s2_levels"]:
            order = names if rnd % 2 == 0 else list(reversed(names))
            for leg in order:
                pid = sut_pid(leg, gw, b0_pid)
                before = rss_kib(pid) if pid else 0
                r, c, smp = measured(pid, lambda: legs.run(
                    leg, "stream", "--streams", str(level), "--ramp-ms", str(p["s2_ramp_ms"]),
                    "--expect-frames", str(frames), "--expect-text-bytes", str(frames * nbytes), "--timeout-s", "90"))
                row = {"round": rnd, "level": level, "leg": leg, "load": loadavg(),
                       **{k: r[k] for k in ("ok", "failed", "frames", "lost_frames", "text_mismatch", "stalls",
                                            "ttft_us", "gap_us", "error_samples", "wall_ms")}}
                if pid and smp:
                    row["cpu_us_per_frame"] = c * 1e6 / max(r["frames"], 1)
                    row["rss_before_kib"] = before
                    row["rss_peak_kib"] = smp.peak_rss()
                    row["rss_per_stream_kib"] = (smp.peak_rss() - s2_idle[pid]) / level
                    row["fds_peak"] = smp.peak_fds()
                    if rnd == 0:
                        rss_trace[f"{leg}@{level}"] = [(t, rss) for t, rss, _, _ in smp.samples]
                runs.append(row)
    # M: back to idle after the largest level.
    time.sleep(p["m_idle_wait_s"])
    after_rss = rss_kib(gw.proc.pid)
    peak_1000 = max((r.get("rss_peak_kib", 0) for r in runs if r["leg"].startswith("gw")), default=0)
    summary: dict[str, Any] = {}
    for level in p["s2_levels"]:
        lv = {}
        for leg in names:
            rows = [r for r in runs if r["level"] == level and r["leg"] == leg]
            lv[leg] = {
                "lost_frames": sum(r["lost_frames"] for r in rows), "failed": sum(r["failed"] for r in rows),
                "stalls": sum(r["stalls"] for r in rows),
                "gap_p50_us": spread([r["gap_us"]["p50"] for r in rows]),
                "gap_p99_us": spread([r["gap_us"]["p99"] for r in rows]),
                "ttft_p50_us": spread([r["ttft_us"]["p50"] for r in rows]),
                "ttft_p99_us": spread([r["ttft_us"]["p99"] for r in rows]),
            }
            if rows and "cpu_us_per_frame" in rows[0]:
                lv[leg]["cpu_us_per_frame"] = spread([r["cpu_us_per_frame"] for r in rows])
                lv[leg]["rss_per_stream_kib"] = spread([r["rss_per_stream_kib"] for r in rows if r["round"] == 0])
                lv[leg]["rss_peak_kib"] = spread([r["rss_peak_kib"] for r in rows])
                lv[leg]["fds_peak"] = max(r["fds_peak"] for r in rows)
        b0f = lv["b0"]["cpu_us_per_frame"]["median"]
        for leg in compared(names):
            lv[leg]["cpu_frame_ratio_to_b0"] = lv[leg]["cpu_us_per_frame"]["median"] / b0f if b0f else None
            lv[leg]["gap_p99_over_b0_us"] = lv[leg]["gap_p99_us"]["median"] - lv["b0"]["gap_p99_us"]["median"]
        lv["rig_bound"] = lv["direct"]["gap_p99_us"]["median"] > 2 * interval * 1000
        summary[str(level)] = lv
    m = {"idle_rss_kib": idle_rss, "peak_rss_kib": peak_1000, "after_idle_rss_kib": after_rss,
         "idle_wait_s": p["m_idle_wait_s"],
         "recovered_within_pct": 100.0 * (after_rss - idle_rss) / idle_rss if idle_rss else None}
    return {"levels": summary, "runs": runs, "rss_trace": rss_trace, "m": m,
            "frames_per_stream": frames, "interval_ms": interval, "bytes_per_frame": nbytes}


def m_arc(rig: Rig, sim_url: str, p: dict) -> dict:
    """M: a fresh gateway: cold → warmed (first requests load the tokenizer) → idle → N streams →
    idle again. RSS per stream here is (peak − warm idle) / N on a process with no earlier load."""
    gw = rig.start_gateway(sim_url, name="gw-m")
    gw.add_sim_accounts([{"id": "m-1"}])
    cold = rss_kib(gw.proc.pid)
    path, body, headers, proto = client_leg(gw, "openai", SAY, False)
    rig.driver("load", gw.url, path, body, headers, proto, "--total", "20", "--duration-s", "60")
    time.sleep(1)
    warm = rss_kib(gw.proc.pid)
    n, frames = p["m_streams"], p["s2_frames"]
    path, body, headers, proto = client_leg(gw, "openai", f"#bench frames={frames} interval=20 bytes=16", True)
    with Sampler(gw.proc.pid) as smp:
        r = rig.driver("stream", gw.url, path, body, headers, proto, "--streams", str(n), "--ramp-ms",
                       str(p["s2_ramp_ms"]), "--expect-frames", str(frames), "--timeout-s", "90")
        time.sleep(p["m_idle_wait_s"])
    after = rss_kib(gw.proc.pid)
    gw.proc.stop()
    rig.procs.remove(gw.proc)
    peak = smp.peak_rss()
    return {"cold_rss_kib": cold, "warm_idle_rss_kib": warm, "peak_rss_kib": peak, "after_idle_rss_kib": after,
            "streams": n, "ok": r["ok"], "lost_frames": r["lost_frames"], "idle_wait_s": p["m_idle_wait_s"],
            "rss_per_stream_kib": (peak - warm) / n,
            "recovered_within_pct": 100.0 * (after - warm) / warm if warm else None,
            "trace": [(t, v) for t, v, _, _ in smp.samples]}


# ---- S3 ----------------------------------------------------------------------------------------

def tool_args() -> str:
    """~2 KiB of compact JSON with escapes and multi-byte text (what reassembly must keep exact)."""
    words = "alpha beta \\\"quoted\\\" tab\\t ünïcødé 日本語 emoji-free slash\\/ ".split(" ")
    body = ""
    i = 0
    while len(body.encode()) < 1900:
        body += words[i % len(words)] + " "
        i += 1
    return '{"path":"/tmp/bench/out.txt","content":"' + body.strip() + '","mode":"overwrite","lines":[1,2,3]}'


def s3(rig: Rig, gw: Gateway, b0_url: str, p: dict) -> dict:
    args = tool_args()
    json.loads(args)
    text = f"Write the file.\n#pace interval=20\n#tool id=T1 fragments=50 write_file {args}"
    legs = Legs(rig, gw, b0_url, text, stream=True, tools=[TOOL])
    exp = rig.work / "s3-expected.json"
    exp.write_text(args)
    out: dict[str, Any] = {"args_bytes": len(args.encode()), "fragments": 50}
    for level in p["s3_levels"]:
        for leg in names_all(legs):
            r = legs.run(leg, "stream", "--streams", str(level), "--ramp-ms", "500", "--expect-tool", str(exp),
                         "--timeout-s", "90")
            out[f"{leg}@{level}"] = {k: r[k] for k in ("ok", "failed", "tool_checked", "tool_exact", "frames",
                                                        "ttft_us", "gap_us", "error_samples")}
    return out


def names_all(legs: Legs) -> list[str]:
    return list(legs.defs)


# ---- S5 ----------------------------------------------------------------------------------------

def s5(rig: Rig, gw: Gateway, b0_pid: int, b0_url: str, p: dict) -> dict:
    legs = Legs(rig, gw, b0_url, SAY, stream=False)
    rows = []
    for rnd in range(p["s5_rounds"]):
        for on in ((True, False) if rnd % 2 == 0 else (False, True)):
            gw.settings(enableRequestLog=on)
            time.sleep(0.5)
            before = gw.log_total()
            r, c, _ = measured(gw.proc.pid, lambda: legs.run("gw-openai", "load", "--concurrency", str(p["s5_conns"]),
                                                            "--total", str(p["s5_requests"])))
            time.sleep(2.0)  # let the batched writer drain
            rows_written = gw.log_total() - before
            rows.append({"log": on, "rps": r["rps"], "ok": r["ok"], "failed": r["failed"],
                         "cpu_us_per_req": c * 1e6 / max(r["ok"], 1), "rows_written": rows_written,
                         "p50_us": r["latency_us"]["p50"], "p99_us": r["latency_us"]["p99"]})
    gw.settings(enableRequestLog=True)
    on_rps = med([r["rps"] for r in rows if r["log"]])
    off_rps = med([r["rps"] for r in rows if not r["log"]])
    lost = sum(r["ok"] - r["rows_written"] for r in rows if r["log"])
    return {"rows": rows, "rps_on": on_rps, "rps_off": off_rps,
            "throughput_loss_pct": 100.0 * (1 - on_rps / off_rps) if off_rps else None,
            "rows_lost": lost,
            # Wall-clock req/s swings with the machine's load; CPU per request does not wait.
            "cpu_capacity_loss_pct": 100.0 * (1 - med([r["cpu_us_per_req"] for r in rows if not r["log"]])
                                              / med([r["cpu_us_per_req"] for r in rows if r["log"]])),
            "cpu_on_us": med([r["cpu_us_per_req"] for r in rows if r["log"]]),
            "cpu_off_us": med([r["cpu_us_per_req"] for r in rows if not r["log"]])}


# ---- S4 ----------------------------------------------------------------------------------------

def s4(rig: Rig, p: dict) -> dict:
    """100 accounts: 5 always throttled (429), 2 with short-lived tokens; compared with 1 account.
    Uses its own simulator whose request log (bodies off) holds every call of the scenario."""
    # Time-bound legs at several thousand requests/s: the log must hold every call of the scenario
    # (≈ 400 k); its completeness is checked below, and refresh counts come from the sim's counters.
    sim_url = rig.start_sim(name="sim-s4", log_bodies=False, log_limit=1_500_000)
    n = p["s4_accounts"]
    ttl = p["s4_ttl_s"]
    gw1 = rig.start_gateway(sim_url, name="gw-s4-one")
    gw1.add_sim_accounts([{"id": "s4-one"}])
    gwn = rig.start_gateway(sim_url, name="gw-s4-pool", pool={
        "refresh_skew_ms": 2000, "refresh_jitter_ms": 0, "refresh_check_ms": 500, "request_skew_ms": 1000,
        "cooldown_base_ms": 2000, "cooldown_max_ms": 10000})
    specs = []
    throttled = {f"s4-{i:03d}" for i in range(5)}
    expiring = {f"s4-{i:03d}" for i in range(5, 7)}
    for i in range(n):
        aid = f"s4-{i:03d}"
        spec: dict[str, Any] = {"id": aid}
        if aid in expiring:
            spec["access_ttl_s"] = ttl
        specs.append(spec)
    gwn.add_sim_accounts(specs)
    # Throttling starts after the pool is up (the feed validates accounts with a refresh, not a chat).
    for aid in throttled:
        http("PATCH", sim_url + f"/__sim/accounts/{aid}", {"throttle_next": 1_000_000})
    seq0 = max((e["seq"] for e in http("GET", sim_url + "/__sim/requests")), default=-1) + 1
    counters0 = {a: http("GET", sim_url + f"/__sim/accounts/{a}")["refresh_calls"] for a in expiring}
    t_start = time.monotonic()
    out: dict[str, Any] = {"accounts": n, "throttled": sorted(throttled), "expiring": sorted(expiring),
                           "ttl_s": ttl}
    res = {}
    for rnd in range(p["s4_rounds"]):
        for name, g in (("one", gw1), ("pool", gwn)) if rnd % 2 == 0 else (("pool", gwn), ("one", gw1)):
            path, body, headers, proto = client_leg(g, "openai", SAY, False)
            r, c, _ = measured(g.proc.pid, lambda: rig.driver("load", g.url, path, body, headers, proto,
                                                            "--concurrency", str(p["s4_conns"]),
                                                            "--total", str(p["s4_requests"]),
                                                            "--duration-s", str(p["s4_secs"])))
            # Time-bound, not count-bound: the window must span several token lifetimes whatever
            # the gateway's speed (a count bound once ended the scenario before any token expired).
            res.setdefault(name, []).append({"ok": r["ok"], "failed": r["failed"], "rps": r["rps"],
                                             "cpu_us_per_req": c * 1e6 / max(r["ok"], 1),
                                             "latency_us": r["latency_us"], "statuses": r["statuses"]})
    # Counters and elapsed time are read together, before the (slow) log download: refreshes go on
    # in the background meanwhile and must not count against this window.
    counters = {a: http("GET", sim_url + f"/__sim/accounts/{a}")["refresh_calls"] - counters0[a] for a in expiring}
    elapsed = time.monotonic() - t_start
    log = [e for e in http("GET", sim_url + f"/__sim/requests?since={seq0}")]
    # Every call since seq0 must still be in the log, or the gap check would miss refreshes.
    out["log_complete"] = bool(log) and log[0]["seq"] == seq0
    refresh = [e for e in log if e["operation"] != "chat" and e.get("account") in expiring]
    per_acct = {a: sorted(e["at_ms"] for e in refresh if e.get("account") == a) for a in expiring}
    chats_429 = sum(1 for e in log if e["operation"] == "chat" and e["status"] == 429)
    chats_pool = [e for e in log if e["operation"] == "chat" and e.get("account", "").startswith("s4-")
                  and e["account"] != "s4-one"]
    out["runs"] = res
    out["elapsed_s"] = elapsed
    out["refresh_calls"] = counters
    out["refresh_calls_in_log"] = {a: len(v) for a, v in per_acct.items()}
    # The pool renews `refresh_skew_ms` (2 s) before expiry, so a token lives ttl − 2 s between refreshes.
    out["refresh_period_s"] = ttl - 2
    out["expiries_in_window"] = elapsed / (ttl - 2)
    out["refresh_min_gap_ms"] = {a: (min(b - a_ for a_, b in zip(v, v[1:])) if len(v) > 1 else None)
                                 for a, v in per_acct.items()}
    out["upstream_429"] = chats_429
    out["pool_chat_calls"] = len(chats_pool)
    share: dict[str, int] = {}
    for e in chats_pool:
        if e["status"] == 200:
            share[e["account"]] = share.get(e["account"], 0) + 1
    vals = list(share.values())
    out["share"] = {"accounts_used": len(vals), "max": max(vals, default=0), "min": min(vals, default=0),
                    "mean": (sum(vals) / len(vals)) if vals else 0}
    one_cpu = med([r["cpu_us_per_req"] for r in res.get("one", [])])
    pool_cpu = med([r["cpu_us_per_req"] for r in res.get("pool", [])])
    out["cpu_us_per_req"] = {"one": one_cpu, "pool": pool_cpu, "delta": pool_cpu - one_cpu}
    out["latency_p50_us"] = {k: med([r["latency_us"]["p50"] for r in v]) for k, v in res.items()}
    out["latency_p99_us"] = {k: med([r["latency_us"]["p99"] for r in v]) for k, v in res.items()}
    return out
