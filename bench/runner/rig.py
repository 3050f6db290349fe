"""The benchmark rig: simulator, B0 and claude-server processes, the admin calls that prepare the
gateway, the client request bodies, and the driver invocations (bench/README.md "Method").

Pinning (performance-anchors.md §7 "Pinning matters"): the system under test (B0 or the gateway)
runs alone on core 0; the simulator, the driver and wrk share core 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from procs import Proc, ProcError

REPO = Path(__file__).resolve().parents[2]
SUT_CPU = 0
RIG_CPU = 1
MODEL = "claude-sonnet-4-5-20250929"


def http(method: str, url: str, body: Any = None, headers: dict | None = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    req.add_header("x-requested-with", "XMLHttpRequest")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:
        raise ProcError(f"{method} {url}: {e.code} {e.read()[:500]!r}") from e
    return json.loads(raw) if raw else None


class Rig:
    def __init__(self, work: Path, profile: str):
        self.work = work
        self.bin = REPO / "target" / profile
        work.mkdir(parents=True, exist_ok=True)
        self.procs: list[Proc] = []
        # Peer gateways started by `run.py --peers` (peers.Peer); scenarios add their legs.
        self.peers: list = []

    # ---- processes -------------------------------------------------------------------------

    def start_sim(self, name: str = "sim", **extra: Any) -> str:
        # Bodies are logged so the gateway's upstream request can be captured and replayed on the
        # direct and B0 legs (same cost on every leg).
        cfg = {"log_bodies": True, "log_limit": 3000, "chat": {"allow_fault_header": False}, **extra}
        path = self.work / f"{name}.json"
        path.write_text(json.dumps(cfg))
        p = Proc([str(self.bin / "amazonq-sim"), "--listen", "127.0.0.1:0", "--config", str(path)],
                 self.work / f"{name}.log", cpu=RIG_CPU,
                 env={**os.environ, "RUST_LOG": "warn", "TOKIO_WORKER_THREADS": "1"})
        self.procs.append(p)
        url = p.wait_line(r"amazonq-sim listening on (http://127\.0\.0\.1:\d+)").group(1)
        self.sim_proc = p
        return url

    def start_b0(self, upstream: str, wrapper: list[str] | None = None,
                 start_timeout: float = 60) -> tuple[Proc, str]:
        """B0 on the SUT core; `wrapper` (e.g. valgrind) goes in front of its command line."""
        hostport = upstream.removeprefix("http://")
        p = Proc([*(wrapper or []), str(self.bin / "b0-proxy"), "--listen", "127.0.0.1:0", "--upstream", hostport],
                 self.work / "b0.log", cpu=SUT_CPU)
        self.procs.append(p)
        url = p.wait_line(r"b0-proxy listening on (http://127\.0\.0\.1:\d+)", timeout=start_timeout).group(1)
        return p, url

    def start_gateway(self, sim_url: str, name: str = "gateway", pool: dict | None = None) -> "Gateway":
        return Gateway(self, sim_url, name, pool or {})

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            p.stop()
        self.procs.clear()

    # ---- driver ------------------------------------------------------------------------------

    def driver(self, mode: str, addr: str, path: str, body: bytes, headers: dict[str, str], proto: str,
               *args: str, timeout: float = 600) -> dict:
        bf = self.work / f"body-{abs(hash(body))}.json"
        if not bf.exists():
            bf.write_bytes(body)
        argv = ["taskset", "-c", str(RIG_CPU), str(self.bin / "sse-driver"), mode,
                "--addr", addr.removeprefix("http://"), "--path", path, "--body-file", str(bf), "--proto", proto]
        for k, v in headers.items():
            argv += ["--header", f"{k}: {v}"]
        argv += list(args)
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if out.returncode != 0:
            raise ProcError(f"sse-driver failed ({out.returncode}): {out.stderr[-2000:]}")
        return json.loads(out.stdout)


class Gateway:
    """claude-server with its own config and data dir, an admin session, sim accounts and a key."""

    def __init__(self, rig: Rig, sim_url: str, name: str, pool: dict, wrapper: list[str] | None = None,
                 start_timeout: float = 30):
        self.rig = rig
        self.sim_url = sim_url
        data = rig.work / f"{name}-data"
        data.mkdir(parents=True, exist_ok=True)
        cfg = {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_secs": 2},
            "upstream": {"runtime_endpoint": sim_url, "management_endpoint": sim_url, "q_endpoint": sim_url,
                         "oidc_endpoint": sim_url, "kiro_auth_endpoint": sim_url,
                         "timeouts": {"connect": 5, "first_byte": 60, "idle": 120, "auth": 10}},
            "images": {"fetch_remote": False},
            "pool": {"default_max_concurrency": 4000, "max_waiters": 8192, "quota_refresh_ms": 0, **pool},
        }
        path = rig.work / f"{name}.yaml"
        path.write_text(json.dumps(cfg))
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env.update({"DATA_DIR": str(data), "NO_BROWSER": "1", "RUST_LOG": "warn"})
        env.pop("PORT", None)
        env.pop("DATABASE_URL", None)
        self.proc = Proc([*(wrapper or []), str(rig.bin / "claude-server"), "--config", str(path)],
                         rig.work / f"{name}.log", cpu=SUT_CPU, env=env)
        rig.procs.append(self.proc)
        port = self.proc.wait_line(r"API:\s+http://localhost:(\d+)/v1", timeout=start_timeout).group(1)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if http("GET", self.url + "/healthz", timeout=2).get("status") == "ok":
                    break
            except (ProcError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ProcError("gateway /healthz never answered ok")
            time.sleep(0.1)
        token = http("POST", self.url + "/v2/login", {"password": "admin"})["token"]
        self.auth = {"authorization": f"Bearer {token}"}
        self.api_key = http("POST", self.url + "/v2/keys", {"name": "bench"}, self.auth)["secret"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return http(method, self.url + path, body, self.auth)

    def add_sim_accounts(self, specs: list[dict], max_concurrency: int = 5000) -> list[str]:
        """Creates accounts in the simulator, feeds them to the gateway, waits until all are active."""
        entries = []
        for spec in specs:
            t = http("POST", self.sim_url + "/__sim/accounts", spec)
            entries.append({"label": spec["id"], "auth_method": "builder_id", "client_id": t["clientId"],
                            "client_secret": t["clientSecret"], "refresh_token": t["refreshToken"],
                            "access_token": t["accessToken"]})
        ids: list[str] = []
        for i in range(0, len(entries), 50):
            ids += [str(x) for x in self.admin("POST", "/v2/accounts/feed", {"accounts": entries[i:i + 50]})["created"]]
        # New accounts get max_concurrency 2 (the original design's default), which would cap a
        # 1,000-stream run at 2 streams per account: lift it, the benchmark measures the gateway.
        for aid in ids:
            self.admin("PATCH", f"/v2/accounts/{aid}", {"max_concurrency": max_concurrency})
        deadline = time.monotonic() + 60
        while True:
            accts = self.admin("GET", "/v2/accounts?per_page=500")["accounts"]
            active = [a for a in accts if a["status"] == "active"]
            if len(active) >= len(specs):
                return ids
            if time.monotonic() > deadline:
                raise ProcError(f"accounts not active: {[(a['label'], a['status']) for a in accts][:10]}")
            time.sleep(0.2)

    def settings(self, **kw: Any) -> None:
        self.admin("PUT", "/v2/settings", kw)

    def log_total(self) -> int:
        return int(self.admin("GET", "/v2/logs?per_page=1")["total"])


# ---- request bodies ---------------------------------------------------------------------------

def openai_body(text: str, stream: bool, tools: list | None = None) -> bytes:
    b: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "stream": stream,
                         "messages": [{"role": "user", "content": text}]}
    if tools:
        b["tools"] = [{"type": "function", "function": {"name": t["name"], "description": t["description"],
                                                         "parameters": t["schema"]}} for t in tools]
    return json.dumps(b).encode()


def anthropic_body(text: str, stream: bool, tools: list | None = None) -> bytes:
    b: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "stream": stream,
                         "messages": [{"role": "user", "content": text}]}
    if tools:
        b["tools"] = [{"name": t["name"], "description": t["description"], "input_schema": t["schema"]}
                      for t in tools]
    return json.dumps(b).encode()


def client_leg(gw: Gateway, dialect: str, text: str, stream: bool, tools: list | None = None):
    """(path, body, headers, proto) for one gateway request."""
    if dialect == "openai":
        return ("/v1/chat/completions", openai_body(text, stream, tools),
                {"content-type": "application/json", "authorization": f"Bearer {gw.api_key}"},
                "openai" if stream else "plain")
    return ("/v1/messages", anthropic_body(text, stream, tools),
            {"content-type": "application/json", "x-api-key": gw.api_key, "anthropic-version": "2023-06-01"},
            "anthropic" if stream else "plain")


def capture_upstream(gw: Gateway, dialect: str, text: str, tools: list | None = None) -> tuple[str, bytes, dict]:
    """Sends one non-stream request through the gateway and returns the upstream request it made
    (path, body, headers), so the direct and B0 legs ask the simulator for exactly the same work."""
    entries = http("GET", gw.sim_url + "/__sim/requests")
    since = max((e["seq"] for e in entries), default=-1) + 1
    path, body, headers, _ = client_leg(gw, dialect, text, False, tools)
    req = urllib.request.Request(gw.url + path, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=120) as r:
        r.read()
    chats = [e for e in http("GET", gw.sim_url + f"/__sim/requests?since={since}")
             if e["operation"] == "chat" and e["status"] == 200]
    if not chats:
        raise ProcError("no upstream chat request captured")
    e = chats[-1]
    drop = {"host", "content-length", "connection"}
    hdrs = {k: v for k, v in e["headers"] if k.lower() not in drop}
    return e["path"], json.dumps(e["json"], separators=(",", ":")).encode(), hdrs
