"""Peer legs: other Amazon Q gateways measured next to B0 and claude-server in the same rounds
(issue 11; performance-anchors.md §6 and its Addendum). Opt-in with `run.py --peers FILE`.

This module owns the peer file format, starting a peer pinned to the SUT core, its sim account,
the per-dialect client request of each peer leg, the fresh-process memory arc (M) of a peer, and the
"Peers" section of latest.md. The peers' code and binaries live outside the repository (built
locally under /tmp, never committed, rule of §6); FILE only says how to start them.

FILE (JSON, kept outside the repo) = {"peers": [PEER, ...]}, PEER =
  name, commit            recorded in the results (the checkout's HEAD is recorded too when `cwd` is a git tree)
  cwd                     working directory (optional)
  argv, env               how to start it; strings may hold {port} {sim_url} {dir} {access_token}
                          {refresh_token} {client_id} {client_secret} {profile_arn} {expires_at}
  files                   {relative name: JSON or text} written into {dir} (the peer's scratch dir) first
  clean                   paths deleted before each start (state the peer keeps next to its code)
  account                 {"kind": "builder_id"|"idc"|"social"}: the simulator account made for it
                          (30-day tokens, so refresh stays off the hot path)
  ready                   {"method", "path", "headers"}: polled until it answers 2xx
  setup                   [{"method", "path", "headers", "body"}]: calls made once it is ready
  model                   model id to send (default: rig.MODEL)
  notes                   [text]: observations about the peer copied into the report (evidence for a failing leg)
  dialects                {"openai"|"anthropic": {"path", "headers", "text_suffix"} or {"not_served": reason}};
                          `text_suffix` is appended to the user text (a peer that glues its own marker to
                          the last line would otherwise garble the simulator's `#bench` directive line)

Leg names are "<name>-<dialect>" (e.g. `kiro.rs-anthropic`). A dialect whose start-up probe (one
small non-stream request) does not answer 200 is reported "not served" with the answer as evidence.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from procs import Proc, ProcError, Sampler, rss_kib
from rig import MODEL, SUT_CPU, Rig, anthropic_body, http, openai_body

DIALECTS = ("openai", "anthropic")
TOKEN_TTL_S = 30 * 86_400
PROBE_TEXT = "Say hello in one short sentence."


def load(path: str) -> list[dict]:
    specs = json.loads(Path(path).read_text())["peers"]
    for s in specs:
        for k in ("name", "commit", "argv", "dialects"):
            if k not in s:
                raise ProcError(f"peer file {path}: a peer lacks '{k}'")
    return specs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subst(v: Any, ctx: dict[str, Any]) -> Any:
    """Fills {placeholders} in every string of a JSON value; a string that is exactly one
    placeholder takes the value's own type (so `"port": "{port}"` becomes a number)."""
    if isinstance(v, str):
        for k, x in ctx.items():
            if v == "{" + k + "}":
                return x
        for k, x in ctx.items():
            v = v.replace("{" + k + "}", str(x))
        return v
    if isinstance(v, list):
        return [subst(x, ctx) for x in v]
    if isinstance(v, dict):
        return {k: subst(x, ctx) for k, x in v.items()}
    return v


def raw_request(method: str, url: str, body: bytes | None, headers: dict, timeout: float = 60) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def checkout(cwd: str | None) -> dict:
    """HEAD and local patch size of the peer's checkout (the base-URL patch is expected)."""
    if not cwd or not (Path(cwd) / ".git").exists():
        return {}
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", cwd, *a], capture_output=True, text=True, check=False).stdout.strip()
    return {"head": git("rev-parse", "--short", "HEAD"), "patch": git("diff", "--shortstat")}


class Peer:
    """One running peer: its process (pinned to the SUT core), URL, sim account and legs."""

    def __init__(self, rig: Rig, spec: dict, sim_url: str, tag: str = ""):
        self.rig, self.spec, self.sim_url = rig, spec, sim_url
        self.name = spec["name"]
        self.account = f"peer-{self.name}{tag}"
        self.dir = rig.work / f"peer-{self.name}{tag}"
        self.dir.mkdir(parents=True, exist_ok=True)
        kind = spec.get("account", {}).get("kind", "builder_id")
        t = http("POST", sim_url + "/__sim/accounts", {"id": self.account, "kind": kind, "access_ttl_s": TOKEN_TTL_S})
        port = free_port()
        expires = datetime.now(timezone.utc) + timedelta(seconds=TOKEN_TTL_S - 3600)
        ctx = {"port": port, "sim_url": sim_url, "dir": str(self.dir), "access_token": t["accessToken"],
               "refresh_token": t["refreshToken"], "client_id": t.get("clientId") or "",
               "client_secret": t.get("clientSecret") or "", "profile_arn": t.get("profileArn") or "",
               "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        for name, content in spec.get("files", {}).items():
            content = subst(content, ctx)
            (self.dir / name).write_text(content if isinstance(content, str) else json.dumps(content, indent=1))
        for p in spec.get("clean", []):
            Path(p).unlink(missing_ok=True)
        # Like the gateway: no proxy variables from the caller's shell; the peer file may set its own.
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env.update(subst(spec.get("env", {}), ctx))
        self.proc = Proc([str(x) for x in subst(spec["argv"], ctx)], self.dir / "peer.log", cpu=SUT_CPU, env=env,
                         cwd=spec.get("cwd"))
        rig.procs.append(self.proc)
        self.url = f"http://127.0.0.1:{port}"
        self._wait_ready(subst(spec.get("ready", {"method": "GET", "path": "/"}), ctx))
        for call in subst(spec.get("setup", []), ctx):
            body = call.get("body")
            st, out = raw_request(call.get("method", "POST"), self.url + call["path"],
                                  None if body is None else json.dumps(body).encode(),
                                  {"content-type": "application/json", **call.get("headers", {})})
            if st >= 300:
                raise ProcError(f"peer {self.name}: setup {call['path']} answered {st}: {out[:300]!r}")
        self.dialects: dict[str, dict] = {}
        self.not_served: dict[str, str] = {}
        for d in DIALECTS:
            ds = spec["dialects"].get(d)
            if not ds or "not_served" in ds:
                self.not_served[d] = (ds or {}).get("not_served", "not declared in the peer file")
                continue
            self.dialects[d] = ds
            path, body, headers, _ = self.request(d, PROBE_TEXT, False)
            st, out = raw_request("POST", self.url + path, body, headers)
            if st != 200:
                self.dialects.pop(d)
                self.not_served[d] = f"start-up probe {path} answered {st}: {out[:300].decode(errors='replace')}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_ready(self, ready: dict, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.proc.poll() is not None:
                raise ProcError(f"peer {self.name} exited with {self.proc.proc.returncode}: see {self.proc.log}")
            try:
                st, out = raw_request(ready.get("method", "GET"), self.url + ready["path"], None,
                                      ready.get("headers", {}), timeout=2)
                if 200 <= st < 300:
                    return
                last = f"{st} {out[:200]!r}"
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise ProcError(f"peer {self.name} not ready within {timeout}s ({last}); log {self.proc.log}")

    def request(self, dialect: str, text: str, stream: bool, tools: list | None = None):
        """(path, body, headers, driver proto) of one client request in `dialect`."""
        ds = self.dialects[dialect]
        build = openai_body if dialect == "openai" else anthropic_body
        body = build(text + ds.get("text_suffix", ""), stream, tools)
        if self.spec.get("model", MODEL) != MODEL:
            b = json.loads(body)
            b["model"] = self.spec["model"]
            body = json.dumps(b).encode()
        headers = {"content-type": "application/json", **ds.get("headers", {})}
        return ds["path"], body, headers, (dialect if stream else "plain")

    def legs(self, text: str, stream: bool, tools: list | None = None) -> dict[str, tuple]:
        """Leg definitions in the shape of `scenarios.Legs.defs`."""
        out = {}
        for d in self.dialects:
            path, body, headers, proto = self.request(d, text, stream, tools)
            out[f"{self.name}-{d}"] = (self.url, path, body, headers, proto)
        return out

    def refusals(self) -> list[dict]:
        """Requests of this peer's account the simulator refused (status ≥ 400), with the rule."""
        try:
            log = http("GET", self.sim_url + f"/__sim/requests?account={self.account}")
        except (ProcError, OSError):
            return []
        return [{"path": e["path"], "operation": e["operation"], "status": e["status"], "rule": e.get("rule")}
                for e in log if e["status"] >= 400][:20]

    def describe(self) -> dict:
        return {"name": self.name, "commit": self.spec["commit"], "checkout": checkout(self.spec.get("cwd")),
                "legs": [f"{self.name}-{d}" for d in self.dialects], "not_served": self.not_served,
                "notes": self.spec.get("notes", []), "argv": self.spec["argv"]}


def start_all(rig: Rig, specs: list[dict], sim_url: str) -> dict[str, str]:
    """Starts every peer; returns {name: error} for those that would not start (the run goes on
    with the others and reports the error)."""
    errors = {}
    for s in specs:
        try:
            rig.peers.append(Peer(rig, s, sim_url))
        except (ProcError, OSError) as e:
            errors[f"peer {s['name']}"] = str(e)
    return errors


def pid_of(rig: Rig, leg: str) -> int | None:
    for p in getattr(rig, "peers", []):
        if leg.startswith(p.name + "-") and leg.removeprefix(p.name + "-") in p.dialects:
            return p.pid
    return None


def summary(rig: Rig) -> list[dict]:
    return [{**p.describe(), "sim_refusals": p.refusals()} for p in getattr(rig, "peers", [])]


# ---- M: fresh-process memory arc -----------------------------------------------------------------

def m_arcs(rig: Rig, sim_url: str, p: dict) -> dict:
    """Per peer, the gateway's M procedure on a fresh peer process: cold → 20 requests → idle →
    N streams → idle again. Streams go through the first served dialect (Anthropic when served).
    The long-lived peer instances are stopped first (they are done after S2) so state files a
    peer keeps next to its code are not shared."""
    specs = [pr.spec for pr in getattr(rig, "peers", [])]
    if not specs:
        return {}
    for pr in rig.peers:
        pr.proc.stop()
        rig.procs.remove(pr.proc)
    out = {}
    for spec in specs:
        try:
            out[spec["name"]] = m_arc(rig, spec, sim_url, p)
        except Exception as e:  # one peer failing must not lose the other's numbers
            out[spec["name"]] = {"error": str(e)}
    return {"peers": out}


def m_arc(rig: Rig, spec: dict, sim_url: str, p: dict) -> dict:
    peer = Peer(rig, spec, sim_url, tag="-m")
    try:
        if not peer.dialects:
            return {"not_served": peer.not_served}
        d = "anthropic" if "anthropic" in peer.dialects else next(iter(peer.dialects))
        cold = rss_kib(peer.pid)
        path, body, headers, proto = peer.request(d, PROBE_TEXT, False)
        rig.driver("load", peer.url, path, body, headers, proto, "--total", "20", "--duration-s", "60")
        time.sleep(1)
        warm = rss_kib(peer.pid)
        n, frames = p["m_streams"], p["s2_frames"]
        path, body, headers, proto = peer.request(d, f"#bench frames={frames} interval=20 bytes=16", True)
        with Sampler(peer.pid) as smp:
            r = rig.driver("stream", peer.url, path, body, headers, proto, "--streams", str(n), "--ramp-ms",
                           str(p["s2_ramp_ms"]), "--expect-frames", str(frames), "--timeout-s", "90")
            time.sleep(p["m_idle_wait_s"])
        after = rss_kib(peer.pid)
        peak = smp.peak_rss()
        return {"dialect": d, "cold_rss_kib": cold, "warm_idle_rss_kib": warm, "peak_rss_kib": peak,
                "after_idle_rss_kib": after, "streams": n, "ok": r["ok"], "failed": r["failed"],
                "lost_frames": r["lost_frames"], "idle_wait_s": p["m_idle_wait_s"],
                "rss_per_stream_kib": (peak - warm) / n,
                "recovered_within_pct": 100.0 * (after - warm) / warm if warm else None}
    finally:
        peer.proc.stop()
        rig.procs.remove(peer.proc)


# ---- report ----------------------------------------------------------------------------------

def _f(x: Any, nd: int = 1) -> str:
    return "–" if x is None else (f"{x:.{nd}f}" if isinstance(x, float) else str(x))


def report_lines(r: dict) -> list[str]:
    """The "Peers" section of latest.md: one row per metric, one column per gateway leg."""
    peers = r.get("peers")
    if not peers:
        return []
    sc = r["scenarios"]
    cols = ["gw-openai", "gw-anthropic"] + [f"{pr['name']}-{d}" for pr in peers for d in DIALECTS]
    owner = {f"{pr['name']}-{d}": pr for pr in peers for d in DIALECTS}

    def cell(leg: str, value: Any) -> str:
        pr = owner.get(leg)
        if pr and leg.removeprefix(pr["name"] + "-") in pr["not_served"]:
            return "not served"
        return value if isinstance(value, str) else _f(value)

    lines = ["", "## Peers (same rounds, same pinning)", ""]
    for pr in peers:
        co = pr["checkout"]
        lines.append(f"- **{pr['name']}** @{pr['commit']}" + (f" (checkout HEAD {co['head']}, local patch: "
                     f"{co['patch'] or 'none'})" if co else "") + f"; legs: {', '.join(pr['legs']) or 'none'}")
        for d, why in pr["not_served"].items():
            lines.append(f"  - {d}: **not served** — {why}")
        lines += [f"  - {n}" for n in pr.get("notes", [])]
        ref = pr.get("sim_refusals") or []
        lines.append("  - simulator refusals of its requests (in the simulator's request log, last 3,000 entries): "
                     f"{len(ref)}" +
                     (f" (first: {ref[0]})" if ref else ""))
    lines += ["", "| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]

    def row(label: str, get) -> None:
        vals = []
        for leg in cols:
            try:
                vals.append(cell(leg, get(leg)))
            except (KeyError, TypeError, ZeroDivisionError):
                vals.append(cell(leg, "–"))
        lines.append(f"| {label} | " + " | ".join(vals) + " |")

    if "s1" in sc:
        legs = sc["s1"]["legs"]
        c = f"c{r['params']['s1_conns']}"
        b0 = legs["b0"]
        row(f"S1 CPU µs/request, {c}", lambda l: legs[l][f"{c}_cpu_us_per_req"]["median"])
        row(f"S1 CPU/request ÷ B0 ({_f(b0[f'{c}_cpu_us_per_req']['median'])} µs)",
            lambda l: f"{legs[l][f'{c}_cpu_us_per_req']['median'] / b0[f'{c}_cpu_us_per_req']['median']:.2f}×")
        row(f"S1 req/s, {c}", lambda l: legs[l][f"{c}_rps"]["median"])
        row("S1 CPU µs/request, c=1", lambda l: legs[l]["c1_cpu_us_per_req"]["median"])
        row(f"S1 p50 c=1 over B0 ({_f(b0['c1_p50_us']['median'], 0)} µs), µs",
            lambda l: f"+{legs[l]['c1_p50_us']['median'] - b0['c1_p50_us']['median']:.0f}")
        row("S1 failed / non-2xx", lambda l: legs[l]["c1_failed"] + legs[l][f"{c}_non2xx"])
    if "s2" in sc:
        for lvl, lv in sc["s2"]["levels"].items():
            b0 = lv["b0"]
            tag = f"S2 {lvl} streams" + (" (rig-bound)" if lv.get("rig_bound") else "")
            row(f"{tag}: CPU µs/frame (B0 {_f(b0['cpu_us_per_frame']['median'], 2)})",
                lambda l: f"{lv[l]['cpu_us_per_frame']['median']:.2f} "
                          f"({lv[l]['cpu_us_per_frame']['median'] / b0['cpu_us_per_frame']['median']:.2f}×)")
            row(f"{tag}: RSS KiB/stream (B0 {_f(b0['rss_per_stream_kib']['median'])})",
                lambda l: lv[l]["rss_per_stream_kib"]["median"])
            row(f"{tag}: gap p99 ms (B0 {_f(b0['gap_p99_us']['median'] / 1000, 2)})",
                lambda l: f"{lv[l]['gap_p99_us']['median'] / 1000:.2f}")
            row(f"{tag}: lost frames / failed streams", lambda l: f"{lv[l]['lost_frames']} / {lv[l]['failed']}")
    if "s3" in sc:
        for lvl in r["params"]["s3_levels"]:
            row(f"S3 tool arguments byte-exact, {lvl} streams",
                lambda l: f"{sc['s3'][f'{l}@{lvl}']['tool_exact']}/{sc['s3'][f'{l}@{lvl}']['tool_checked']}")
    if "m" in sc:
        m, pm = sc["m"], sc["m"].get("peers", {})
        gw_m = {"gw-openai": m}

        def mget(l: str, k: str):
            if l in gw_m:
                return gw_m[l][k]
            pr = owner[l]
            v = pm[pr["name"]]
            if v.get("dialect") != l.removeprefix(pr["name"] + "-"):
                return "–"
            return v[k]
        row("M idle RSS MiB (fresh process, after 20 requests)", lambda l: mget(l, "warm_idle_rss_kib") / 1024)
        row(f"M peak RSS MiB ({m['streams']} streams)", lambda l: mget(l, "peak_rss_kib") / 1024)
        row("M RSS KiB/stream", lambda l: mget(l, "rss_per_stream_kib"))
        row(f"M RSS MiB {m['idle_wait_s']} s after", lambda l: mget(l, "after_idle_rss_kib") / 1024)
        row("M streams ok / lost frames",
            lambda l: "–" if mget(l, "ok") == "–" else f"{mget(l, 'ok')} / {mget(l, 'lost_frames')}")
        for name, v in pm.items():
            if "error" in v:
                lines.append(f"\nM for {name} failed: {v['error'][:300]}")
    lines += ["", "Ratios are to B0 in the same run. The M column of the gateway is its OpenAI-dialect run "
              "(`m_arc`); a peer's M runs on its first served dialect. \"not served\": the peer has no such "
              "endpoint, or its start-up probe was refused (reason above)."]
    return lines
