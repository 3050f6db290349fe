"""Markdown summary and PNG plots of one run (bench/results/latest.md, bench/results/*.png).

The budget table compares each issue-11 budget with the measured value; ratios are to B0 in the
same run. Plots need matplotlib (installed by `make bench` into bench/.venv); without it the
summary is written without them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import peers


def _f(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**pass**" if ok else "**MISS**")


def selection_us() -> tuple[float, str] | None:
    """Slowest selection path of the criterion microbenchmark `cargo bench -p gateway --bench select`
    (run by `make bench` before this runner): this machine's fresh estimates if present, else the
    figures recorded in bench/results/pool-select.md."""
    root = Path(__file__).resolve().parents[2]
    est = sorted((root / "target" / "criterion" / "select").glob("*/new/estimates.json"))
    if est:
        worst = max(json.loads(e.read_text())["mean"]["point_estimate"] for e in est) / 1000
        return worst, "criterion, this machine, target/criterion/select"
    md = root / "bench" / "results" / "pool-select.md"
    if md.exists():
        vals = [float(v) for v in re.findall(r"\*\*([\d.]+)\*\* – [\d.]+ µs", md.read_text())]
        if vals:
            return max(vals), "criterion, recorded in bench/results/pool-select.md"
    return None


def budgets(r: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    sc = r["scenarios"]
    if "s1" in sc:
        legs = sc["s1"]["legs"]
        c = f"c{r['params']['s1_conns']}_cpu_us_per_req"
        for leg in ("gw-openai", "gw-anthropic"):
            ratio = legs[leg].get("cpu_ratio_to_b0")
            rows.append((f"S1 {leg}: CPU/request ≤ 3× B0", f"{_f(legs[leg][c]['median'])} µs vs B0 "
                         f"{_f(legs['b0'][c]['median'])} µs = {_f(ratio, 2)}×", _verdict(ratio is not None and ratio <= 3), ""))
            add = legs[leg].get("added_p50_over_b0_us")
            rows.append((f"S1 {leg}: p50 ≤ B0 + 150 µs (c=1)", f"+{_f(add, 0)} µs", _verdict(add is not None and add <= 150), ""))
        n = sc["s1"]["upstream_connections_seen"]
        rows.append(("S1 upstream connections kept alive", f"{n} distinct gateway→sim connections seen over "
                     f"{sc['s1']['gateway_requests_in_wrk_runs']} requests", _verdict(n <= max(4 * r["params"]["s1_conns"], sc["s1"]["gateway_requests_in_wrk_runs"] // 100)), ""))
    if "s2" in sc:
        for lvl, lv in sc["s2"]["levels"].items():
            for leg in ("gw-openai", "gw-anthropic"):
                g = lv[leg]
                rows.append((f"S2 {lvl} streams {leg}: 0 lost frames", f"{g['lost_frames']} lost, {g['failed']} failed",
                             _verdict(g["lost_frames"] == 0 and g["failed"] == 0), "rig-bound" if lv["rig_bound"] else ""))
                ratio = g.get("cpu_frame_ratio_to_b0")
                rows.append((f"S2 {lvl} {leg}: CPU/frame ≤ 1.3× B0", f"{_f(g['cpu_us_per_frame']['median'], 2)} µs vs "
                             f"{_f(lv['b0']['cpu_us_per_frame']['median'], 2)} µs = {_f(ratio, 2)}×",
                             _verdict(ratio is not None and ratio <= 1.3), ""))
                kib = g["rss_per_stream_kib"]["median"]
                rows.append((f"S2 {lvl} {leg}: ≤ 48 KiB RSS/stream", f"{_f(kib)} KiB (B0 {_f(lv['b0']['rss_per_stream_kib']['median'])})",
                             _verdict(kib <= 48), ""))
                if lvl == "500":
                    d = g["gap_p99_over_b0_us"]
                    rows.append((f"S2 500 {leg}: gap p99 ≤ B0 + 2 ms", f"{_f(g['gap_p99_us']['median'] / 1000, 2)} ms vs B0 "
                                 f"{_f(lv['b0']['gap_p99_us']['median'] / 1000, 2)} ms (+{_f(d / 1000, 2)} ms)",
                                 _verdict(d <= 2000), ""))
    if "m" in sc:
        m = sc["m"]
        idle = m["warm_idle_rss_kib"] / 1024
        rows.append(("M idle RSS ≤ 30 MiB (fresh gateway, after 20 warm-up requests)",
                     f"{_f(idle)} MiB (cold, before any request: {_f(m['cold_rss_kib'] / 1024)} MiB)", _verdict(idle <= 30), ""))
        rec = m["recovered_within_pct"]
        rows.append((f"M back within 20 % of idle after {m['streams']} streams",
                     f"peak {_f(m['peak_rss_kib'] / 1024)} MiB → {_f(m['after_idle_rss_kib'] / 1024)} MiB "
                     f"after {m['idle_wait_s']} s ({_f(rec)} % over idle)", _verdict(rec is not None and rec <= 20), ""))
        kib = m["rss_per_stream_kib"]
        rows.append((f"M ≤ 48 KiB RSS per open stream ({m['streams']} streams, fresh process)", f"{_f(kib)} KiB "
                     f"({m['ok']} ok, {m['lost_frames']} lost frames)", _verdict(kib <= 48), ""))
    if "s3" in sc:
        for k, v in sc["s3"].items():
            if isinstance(v, dict) and k.startswith("gw"):
                rows.append((f"S3 {k}: byte-exact tool arguments", f"{v['tool_exact']}/{v['tool_checked']} exact",
                             _verdict(v["tool_checked"] > 0 and v["tool_exact"] == v["tool_checked"]), ""))
    if "s5" in sc:
        s = sc["s5"]
        loss = s["throughput_loss_pct"]
        closs = s.get("cpu_capacity_loss_pct")
        rows.append(("S5 log on vs off ≤ 10 % throughput loss", f"CPU/request on {_f(s['cpu_on_us'])} µs vs off {_f(s['cpu_off_us'])} µs "
                     f"= {_f(closs)} % capacity loss; wall-clock {_f(s['rps_on'], 0)} vs {_f(s['rps_off'], 0)} req/s ({_f(loss)} %, noisy)",
                     _verdict(closs is not None and closs <= 10), ""))
        rows.append(("S5 zero rows lost", f"{s['rows_lost']} lost", _verdict(s["rows_lost"] == 0), ""))
    if "s4" in sc:
        s = sc["s4"]
        calls = s["refresh_calls"]
        exp = s["expiries_in_window"]
        gaps = [g for g in s["refresh_min_gap_ms"].values() if g is not None]
        # One refresh per token lifetime: the count is the number of lifetimes in the window (±1 for
        # where the window cuts the first and last), and no two refreshes of one account come closer
        # than 80 % of a lifetime (a duplicate refresh would).
        ok = (exp >= 2 and s.get("log_complete", False)
              and all(1 <= v and abs(v - exp) <= 1 for v in calls.values())
              and all(g >= 800 * s["refresh_period_s"] for g in gaps))
        rows.append(("S4 one refresh per expiry", f"refresh calls {calls} over {_f(s['elapsed_s'], 0)} s, token renewed every "
                     f"{s['refresh_period_s']} s (≈{_f(exp)} renewals each); closest two refreshes of one account "
                     f"{s['refresh_min_gap_ms']} ms", _verdict(ok), ""))
        d = s["cpu_us_per_req"]["delta"]
        sel = selection_us()
        if sel is None:
            rows.append(("S4 selection ≤ 5 µs", f"CPU/request 100-account pool − 1 account = {_f(d)} µs "
                         "(includes failover work; no microbenchmark result found)", _verdict(d <= 5), ""))
        else:
            worst, src = sel
            rows.append(("S4 selection ≤ 5 µs", f"slowest path {_f(worst, 2)} µs per selection ({src}); end to end "
                         f"the 100-account pool cost {_f(d)} µs CPU/request more than 1 account (two separate "
                         "15 s legs: noise of ± tens of µs, includes fail-overs)", _verdict(worst <= 5), ""))
        lp = s["latency_p99_us"]
        rows.append(("S4 failover ≤ one upstream round trip", f"p99 pool {_f(lp.get('pool'), 0)} µs vs one account "
                     f"{_f(lp.get('one'), 0)} µs; {s['upstream_429']} upstream 429s", "see text", ""))
    return rows


def _save(fig: Any, out: Path, name: str) -> str:
    """Writes one plot as a PNG under `out` and closes it; returns the file name."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    return name


def plots(r: dict, out: Path, stem: str) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    sc = r["scenarios"]
    if "s1" in sc:
        raw = sc["s1"]["raw"]["c1"]
        fig, ax = plt.subplots(figsize=(7, 4))
        legs = list(raw)
        ax.boxplot([[x["latency_us"]["p50"] for x in raw[l]] for l in legs], tick_labels=legs)
        ax.set_ylabel("p50 latency per round, µs (c=1)")
        ax.set_title("S1 non-stream small chat, c=1 (interleaved rounds)")
        made.append(_save(fig, out, f"{stem}-s1-latency.png"))
    if "s2" in sc:
        lv = sc["s2"]["levels"]
        levels = sorted(int(k) for k in lv)
        fig, ax = plt.subplots(figsize=(7, 4))
        for leg in [k for k in lv[str(levels[0])] if k != "rig_bound"]:
            ax.plot(levels, [lv[str(x)][leg]["gap_p99_us"]["median"] / 1000 for x in levels], marker="o", label=leg)
        ax.set_xlabel("concurrent streams")
        ax.set_ylabel("inter-token gap p99, ms (pacing 20 ms)")
        ax.set_title("S2 streaming: gap p99")
        ax.legend()
        made.append(_save(fig, out, f"{stem}-s2-gap.png"))
        fig, ax = plt.subplots(figsize=(7, 4))
        for key, pts in sc["s2"]["rss_trace"].items():
            if pts:
                ax.plot([t for t, _ in pts], [v / 1024 for _, v in pts], label=key)
        ax.set_xlabel("seconds into the level")
        ax.set_ylabel("RSS, MiB")
        ax.set_title("S2 RSS of B0 and the gateway per level (round 1)")
        ax.legend(fontsize=7)
        made.append(_save(fig, out, f"{stem}-s2-rss.png"))
    if "m" in sc and sc["m"].get("trace"):
        pts = sc["m"]["trace"]
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([t for t, _ in pts], [v / 1024 for _, v in pts])
        ax.axhline(sc["m"]["warm_idle_rss_kib"] / 1024, color="grey", ls="--", label="idle (warm)")
        ax.set_xlabel("seconds")
        ax.set_ylabel("gateway RSS, MiB")
        ax.set_title(f"M: fresh gateway, {sc['m']['streams']} streams then idle")
        ax.legend()
        made.append(_save(fig, out, f"{stem}-m-rss.png"))
    return made


def write(r: dict, out: Path, json_name: str) -> Path:
    stem = "latest"
    imgs = plots(r, out, stem)
    m = r["machine"]
    lines = [
        f"# Benchmark run {r['started']} ({r['profile']} profile)",
        "",
        f"- Commit `{r['commit'][:12]}`{' (work tree dirty)' if r['dirty'] else ''}; {r['binaries']} binaries; raw data: `{json_name}`",
        f"- Machine: {m['cpu']}, {m['nproc']} vCPU, {m['mem_kib'] // 1024} MiB, kernel {m['kernel']}, {m['rustc']}",
        f"- Pinning: system under test (B0 or gateway) on CPU {r['pinning']['sut_cpu']}; simulator, driver and wrk on CPU {r['pinning']['rig_cpu']}",
        f"- Load average before / after: {r['load_before']} / {r['load_after']} (other helpers compiling = noisy wall clock; CPU-time ratios are the robust numbers)",
        f"- Duration: {r['secs'] / 60:.1f} min",
    ]
    for name, sc in r["scenarios"].items():
        if "rerun" in sc:
            rr = sc["rerun"]
            lines.append(f"- {name.upper()} rerun {rr['started']} on commit `{rr['commit'][:12]}`"
                         f"{' (work tree dirty)' if rr['dirty'] else ''}, load average before {rr['load_before']}"
                         " (replaces this scenario's numbers of the run above; the rest are unchanged)")
    lines += [
        "",
        "## Budgets (issue 11)",
        "",
        "| budget | measured | verdict | note |",
        "|---|---|---|---|",
    ]
    for b, v, ok, note in budgets(r):
        lines.append(f"| {b} | {v} | {ok} | {note} |")
    sc = r["scenarios"]
    if "s1" in sc:
        c = r["params"]["s1_conns"]
        lines += ["", "## S1 non-stream small chat", "",
                  f"c=1: {r['params']['s1_c1_requests']} requests × {r['params']['rounds']} interleaved rounds per leg (own driver); "
                  f"c={c}: wrk {r['params']['s1_secs']} s per leg per round. Medians [min–max] over rounds.", "",
                  f"| leg | p50 c=1 µs | p99 c=1 µs | req/s c={c} | CPU µs/req c={c} | CPU µs/req c=1 | failed |", "|---|---|---|---|---|---|---|"]
        for leg, s in sc["s1"]["legs"].items():
            def mm(d, nd=0):
                return f"{_f(d['median'], nd)} [{_f(d['min'], nd)}–{_f(d['max'], nd)}]"
            lines.append(f"| {leg} | {mm(s['c1_p50_us'])} | {mm(s['c1_p99_us'])} | {mm(s[f'c{c}_rps'])} | "
                         f"{mm(s[f'c{c}_cpu_us_per_req'], 1) if s[f'c{c}_cpu_us_per_req']['n'] else '–'} | "
                         f"{mm(s['c1_cpu_us_per_req'], 1) if s['c1_cpu_us_per_req']['n'] else '–'} | "
                         f"{s['c1_failed'] + s[f'c{c}_non2xx']} |")
    if "s2" in sc:
        s2 = sc["s2"]
        lines += ["", "## S2 streaming", "",
                  f"{s2['frames_per_stream']} frames × {s2['interval_ms']} ms, {s2['bytes_per_frame']} B of text per frame; "
                  "medians over rounds.", "",
                  "| streams | leg | lost | failed | gap p50 ms | gap p99 ms | TTFT p99 ms | CPU µs/frame | RSS KiB/stream | peak RSS MiB | fds |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for lvl, lv in s2["levels"].items():
            for leg in [k for k in lv if k != "rig_bound"]:
                g = lv[leg]
                lines.append(
                    f"| {lvl}{' (rig-bound)' if lv['rig_bound'] else ''} | {leg} | {g['lost_frames']} | {g['failed']} | "
                    f"{_f(g['gap_p50_us']['median'] / 1000, 2)} | {_f(g['gap_p99_us']['median'] / 1000, 2)} | "
                    f"{_f(g['ttft_p99_us']['median'] / 1000, 2)} | "
                    f"{_f(g.get('cpu_us_per_frame', {}).get('median'), 2)} | {_f(g.get('rss_per_stream_kib', {}).get('median'))} | "
                    f"{_f(g['rss_peak_kib']['median'] / 1024) if 'rss_peak_kib' in g else '–'} | {g.get('fds_peak', '–')} |")
        mm_ = s2["m"]
        lines += ["", "RSS per stream in this table = (peak during the level − the process's RSS before S2) / streams, round 1; "
                  "the gateway leg that runs second on a level inherits memory the allocator kept from the first. "
                  "The clean per-stream figure is M's (fresh process).",
                  "", f"Gateway RSS over S2 (shared process, after S1/S3): {mm_['idle_rss_kib'] / 1024:.1f} MiB before → "
                  f"{mm_['peak_rss_kib'] / 1024:.1f} MiB peak → {mm_['after_idle_rss_kib'] / 1024:.1f} MiB {mm_['idle_wait_s']} s after."]
    if "m" in sc:
        m = sc["m"]
        lines += ["", "## M memory arc (fresh gateway)", "",
                  f"cold {m['cold_rss_kib'] / 1024:.1f} MiB → after 20 requests {m['warm_idle_rss_kib'] / 1024:.1f} MiB → "
                  f"peak {m['peak_rss_kib'] / 1024:.1f} MiB with {m['streams']} streams → {m['after_idle_rss_kib'] / 1024:.1f} MiB "
                  f"{m['idle_wait_s']} s after the streams ended."]
    if "s3" in sc:
        s3 = sc["s3"]
        lines += ["", "## S3 tool-call stream", "",
                  f"{s3['args_bytes']} B of JSON arguments in {s3['fragments']} fragments, 20 ms apart.", "",
                  "| leg@streams | ok | failed | exact | frames | gap p99 ms | error sample |", "|---|---|---|---|---|---|---|"]
        for k, v in s3.items():
            if isinstance(v, dict):
                lines.append(f"| {k} | {v['ok']} | {v['failed']} | {v['tool_exact']}/{v['tool_checked']} | {v['frames']} | "
                             f"{_f(v['gap_us']['p99'] / 1000, 2)} | {(v['error_samples'] or [''])[0][:80]} |")
    if "s5" in sc:
        s5 = sc["s5"]
        lines += ["", "## S5 request log on vs off", "",
                  "| log | req/s | CPU µs/req | p50 µs | p99 µs | ok | rows written |", "|---|---|---|---|---|---|---|"]
        for row in s5["rows"]:
            lines.append(f"| {'on' if row['log'] else 'off'} | {_f(row['rps'], 0)} | {_f(row['cpu_us_per_req'])} | {row['p50_us']} | "
                         f"{row['p99_us']} | {row['ok']} | {row['rows_written'] if row['log'] else '–'} |")
    if "s4" in sc:
        s4 = sc["s4"]
        lines += ["", "## S4 account pool", "",
                  f"{s4['accounts']} accounts, {len(s4['throttled'])} always throttled (429), {len(s4['expiring'])} with {s4['ttl_s']} s tokens.",
                  f"Refresh calls per expiring account: {s4['refresh_calls']} (≈{s4['expiries_in_window']:.1f} expiries in the window; "
                  f"closest two refreshes of one account: {s4['refresh_min_gap_ms']} ms). Upstream 429s: {s4['upstream_429']} "
                  f"of {s4['pool_chat_calls']} pool chat calls. Share of successful calls per account: {s4['share']}.",
                  f"CPU µs/request: {s4['cpu_us_per_req']}. Latency p50 {s4['latency_p50_us']} µs, p99 {s4['latency_p99_us']} µs."]
    lines += peers.report_lines(r)
    if r["errors"]:
        lines += ["", "## Errors", ""]
        for k, v in r["errors"].items():
            lines += [f"### {k}", "", "```", v[-3000:], "```"]
    if imgs:
        lines += ["", "## Plots", ""] + [f"![{i}]({i})" for i in imgs]
    md = out / f"{stem}.md"
    md.write_text("\n".join(lines) + "\n")
    return md
