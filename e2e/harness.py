"""Process and HTTP plumbing for the black-box e2e suite.

Starts the real debug binaries `amazonq-sim` and `claude-server` (from the test build, `cargo test
--workspace --no-run`, which `make test-e2e` runs), each on a free loopback port chosen by the kernel (port 0; the actual port is read
from the binary's start-up banner), and talks to them only over HTTP on 127.0.0.1:

* `Sim` — the simulator's control API (`/__sim/…`: accounts, queued scripts, request log,
  device-login approval).
* `Gateway` — one `claude-server` process with its own config file and DATA_DIR; `restart()`
  keeps both (used by the settings-persistence test).
* `Admin` — the admin API of shared/ADMIN_API.md (`/v2/…`) with a bearer session token.

Every process is started in its own process group and killed (group-wide) on teardown, so no
child outlives the suite. Logs go to files under the run's temp folder; their tails are attached to
failures by conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
# Process-group plumbing shared with the benchmark runner (bench/runner/procs.py, stdlib only);
# appended, so nothing of the runner shadows a module of the suite or its venv.
sys.path.append(str(REPO / "bench" / "runner"))
import procs  # noqa: E402
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
SIM_BIN = Path(os.environ.get("E2E_SIM_BIN", TARGET / "debug" / "amazonq-sim"))
GATEWAY_BIN = Path(os.environ.get("E2E_GATEWAY_BIN", TARGET / "debug" / "claude-server"))

# The password the suite sets when it leaves the seed default `admin` (ADMIN_API.md §Session).
ADMIN_PASSWORD = "e2e-Admin-Passw0rd"


class HarnessError(RuntimeError):
    """A process did not start or an HTTP call of the harness itself failed."""


def _wait_for_line(path: Path, pattern: str, proc: subprocess.Popen, timeout: float) -> re.Match:
    """Polls a log file until `pattern` matches a line (the binaries print their address at start)."""
    return procs.wait_for_line(path, pattern, proc, timeout, HarnessError, tail_lines=40)


def tail(path: Path, lines: int = 40) -> str:
    return procs.tail(path, lines)


class Proc:
    """A child process in its own process group with stdout/stderr in one log file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.log = log
        self._fh = open(log, "ab")
        self.proc = subprocess.Popen(
            argv,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM (graceful shutdown), then SIGKILL of the whole group after `grace` seconds."""
        rc = procs.stop_group(self.proc, grace)
        self._fh.close()
        return rc


class Sim:
    """`amazonq-sim --listen 127.0.0.1:0 --config FILE` and its control API."""

    def __init__(self, workdir: Path, config: dict[str, Any]):
        self.workdir = workdir
        cfg = workdir / "sim.json"
        cfg.write_text(json.dumps(config, indent=2))
        self.p = Proc([str(SIM_BIN), "--listen", "127.0.0.1:0", "--config", str(cfg)], workdir / "sim.log")
        m = _wait_for_line(self.p.log, r"amazonq-sim listening on (http://127\.0\.0\.1:\d+)", self.p.proc, 30)
        self.url = m.group(1)
        self.http = httpx.Client(base_url=self.url + "/__sim", timeout=10)

    def _ok(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            raise HarnessError(f"sim {r.request.method} {r.request.url}: {r.status_code} {r.text}")
        return r.json()

    def add_account(self, account_id: str, **spec: Any) -> dict[str, Any]:
        return self._ok(self.http.post("/accounts", json={"id": account_id, **spec}))

    def account(self, account_id: str) -> dict[str, Any]:
        return self._ok(self.http.get(f"/accounts/{account_id}"))

    def patch_account(self, account_id: str, **patch: Any) -> dict[str, Any]:
        return self._ok(self.http.patch(f"/accounts/{account_id}", json=patch))

    def queue(self, directives: str, account: str | None = None) -> None:
        """Queues one scripted answer (directive grammar); queued scripts win over directives in prompts."""
        body: dict[str, Any] = {"directives": directives}
        if account:
            body["account"] = account
        self._ok(self.http.post("/scripts", json=body))

    def clear_scripts(self) -> None:
        self._ok(self.http.delete("/scripts"))

    def fault(self, *faults: str, count: int = 1, account: str | None = None) -> None:
        """Queues faults for the next `count` chat calls (HTTP-status faults apply only when queued
        here: the simulator checks them before it reads directive lines)."""
        body: dict[str, Any] = {"faults": list(faults), "count": count}
        if account:
            body["account"] = account
        self._ok(self.http.post("/faults", json=body))

    def clear_faults(self) -> None:
        self._ok(self.http.delete("/faults"))

    def requests(self, operation: str | None = None, since: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if operation:
            params["operation"] = operation
        if since is not None:
            params["since"] = since
        return self._ok(self.http.get("/requests", params=params))

    def next_seq(self) -> int:
        """The sequence number the next logged request will get (for `since=` filters)."""
        entries = self.requests()
        return (max(e["seq"] for e in entries) + 1) if entries else 0

    def chat_requests(self, since: int) -> list[dict[str, Any]]:
        """Chat calls (GenerateAssistantResponse, either dialect) logged from `since` on."""
        return [e for e in self.requests(since=since) if e.get("json") and "conversationState" in e["json"]]

    def devices(self) -> list[dict[str, Any]]:
        return self._ok(self.http.get("/oidc/devices"))

    def approve(self, user_code: str) -> dict[str, Any]:
        return self._ok(self.http.post("/oidc/approve", json={"userCode": user_code}))

    def stop(self) -> int | None:
        self.http.close()
        return self.p.stop()


class Gateway:
    """One `claude-server --config FILE` with DATA_DIR in the run's temp folder."""

    def __init__(self, workdir: Path, sim_url: str, name: str = "gateway", extra: dict[str, Any] | None = None):
        self.workdir = workdir
        self.name = name
        self.data_dir = workdir / f"{name}-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / f"{name}.yaml"
        self.sim_url = sim_url
        self.extra = extra or {}
        self.port = 0
        self.p: Proc | None = None
        self.start()

    def _write_config(self) -> None:
        cfg: dict[str, Any] = {
            "server": {"host": "127.0.0.1", "port": self.port, "shutdown_grace_secs": 5},
            "upstream": {
                # The simulator plays runtime, management and auth on one listener.
                "runtime_endpoint": self.sim_url,
                "management_endpoint": self.sim_url,
                "q_endpoint": self.sim_url,
                "oidc_endpoint": self.sim_url,
                "kiro_auth_endpoint": self.sim_url,
                "timeouts": {"connect": 5, "first_byte": 30, "idle": 60, "auth": 10},
            },
            "images": {"fetch_remote": False},
        }
        for k, v in self.extra.items():
            cfg[k] = {**cfg.get(k, {}), **v} if isinstance(v, dict) else v
        # JSON is YAML: no YAML library needed in the venv.
        self.config_path.write_text(json.dumps(cfg, indent=2))

    def start(self) -> None:
        self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env.update({"DATA_DIR": str(self.data_dir), "NO_BROWSER": "1", "RUST_LOG": "info,sqlx=warn"})
        env.pop("PORT", None)
        env.pop("DATABASE_URL", None)
        self.p = Proc([str(GATEWAY_BIN), "--config", str(self.config_path)], self.workdir / f"{self.name}.log", env=env)
        m = _wait_for_line(self.p.log, r"API:\s+http://localhost:(\d+)/v1", self.p.proc, 60)
        # Keep the port across restarts (the console's origin and localStorage stay the same).
        self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(self.url + "/healthz", timeout=2)
                if r.status_code == 200 and r.json().get("status") == "ok":
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.p.proc.poll() is not None:
                raise HarnessError(f"{self.name}: /healthz never answered ok:\n{tail(self.p.log)}")
            time.sleep(0.1)

    def stop(self) -> int | None:
        return self.p.stop() if self.p else None

    def restart(self) -> None:
        rc = self.stop()
        if rc != 0:
            raise HarnessError(f"{self.name}: graceful shutdown exited {rc}:\n{tail(self.p.log)}")
        self.start()


class Admin:
    """Admin API client (bearer token; non-GET calls carry the CSRF header like the console)."""

    def __init__(self, base_url: str, password: str):
        self.http = httpx.Client(base_url=base_url, timeout=15, headers={"X-Requested-With": "XMLHttpRequest"})
        r = self.http.post("/v2/login", json={"password": password})
        if r.status_code != 200:
            raise HarnessError(f"login: {r.status_code} {r.text}")
        self.login_body = r.json()
        self.http.headers["Authorization"] = f"Bearer {self.login_body['token']}"

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        ok = (expect,) if isinstance(expect, int) else expect
        if r.status_code not in ok:
            raise HarnessError(f"admin {method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    def change_password(self, old: str, new: str) -> Any:
        return self.call("POST", "/v2/password", json={"old_password": old, "new_password": new})

    def add_sim_account(self, label: str, tokens: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "POST",
            "/v2/accounts",
            json={
                "label": label,
                "auth_method": "builder_id",
                "client_id": tokens["clientId"],
                "client_secret": tokens["clientSecret"],
                "refresh_token": tokens["refreshToken"],
                "access_token": tokens["accessToken"],
            },
        )

    def accounts(self) -> list[dict[str, Any]]:
        return self.call("GET", "/v2/accounts", params={"per_page": 500})["accounts"]

    def wait_active(self, ids: list[str], timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            accts = {a["id"]: a for a in self.accounts()}
            if all(accts.get(i, {}).get("status") == "active" for i in ids):
                return [accts[i] for i in ids]
            if time.monotonic() > deadline:
                raise HarnessError(f"accounts not active: {[accts.get(i) for i in ids]}")
            time.sleep(0.2)

    def create_key(self, name: str, **scopes: Any) -> dict[str, Any]:
        return self.call("POST", "/v2/keys", json={"name": name, **scopes})

    def close(self) -> None:
        self.http.close()


def sse_events(raw: str) -> list[tuple[str | None, str]]:
    """Splits an SSE body into (event name, data) pairs; comment lines are returned as ("#comment", text)."""
    out: list[tuple[str | None, str]] = []
    for block in re.split(r"\r?\n\r?\n", raw):
        if not block.strip():
            continue
        event: str | None = None
        data: list[str] = []
        for line in re.split(r"\r?\n", block):
            if line.startswith(":"):
                out.append(("#comment", line[1:].strip()))
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        if data:
            out.append((event, "\n".join(data)))
    return out


def run_client(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Runs a client under test (Claude Code, Codex) in its own process group, killed whole when it
    ends or times out: nothing it spawned may outlive the test. A timeout fails the test."""
    import pytest  # only the test modules need pytest; the harness also serves scripts

    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"{Path(argv[0]).name} {argv[1:3]} timed out after {timeout}s:\n{out}\n{err}")
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)
