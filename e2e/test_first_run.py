"""First-run experience (issue 6 "Must show"): the README's run steps, demo mode, start-up banner.

Fast variant (part of `make test`): the already-built debug `claude-server` started exactly the way
the README's `make run` does (the `run` recipe's last line, no arguments, from a fresh folder with no
config and no DATA_DIR), then `/healthz`, the console page, the banner; and `--demo` end to end.

Slow variant (`make test-first-run`, which sets E2E_CLEAN_CLONE=1; it only exists then): `git clone`
of this repository's HEAD into a temp folder (E2E_CLEAN_CLONE_SOURCE=worktree: a copy of the files git
tracks or would track, for uncommitted changes), then the README literally — `make run` (console build,
release build, serve), `/healthz`, console page, `make demo` and a chat answered by the demo upstream,
then `./build.sh server` and the archive's `claude-server --version`. Timings are printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from harness import GATEWAY_BIN, REPO, Proc, _wait_for_line, tail
from test_readme import make_recipe, wait_healthy

BANNER = r"API:\s+http://localhost:(\d+)/v1"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    for k in ("PORT", "DATA_DIR", "DATABASE_URL", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(k, None)
    env.update(extra)
    return env


def readme_port() -> str:
    """The README's port 62311 inside the isolated namespace (always free there); else port 0 so a
    developer's own gateway on 62311 does not collide."""
    return "62311" if os.environ.get("E2E_NETNS") == "1" else "0"


def check_console(url: str) -> None:
    page = httpx.get(url + "/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<title>claude-api console</title>" in page.text
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+\.js)"', page.text)
    assert assets, "the console page references its script"
    assert httpx.get(url + assets[0], timeout=10).status_code == 200


def login(url: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=10, headers={"X-Requested-With": "XMLHttpRequest"})
    r = c.post("/v2/login", json={"password": "admin"})
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is True, "first start: the default password must be changed"
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def chat(url: str) -> str:
    r = httpx.post(url + "/v1/chat/completions", timeout=30, json={
        "model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "#say Hello from the demo!"}]})
    assert r.status_code == 200, r.text
    return r.json()["choices"][0]["message"]["content"]


def test_readme_run_steps_with_the_debug_binary(tmp_path: Path) -> None:
    """`make run`'s last step, with the debug binary: a fresh folder, no config, defaults everywhere."""
    cmd = make_recipe("run")[-1]
    assert cmd == "./target/release/claude-server"
    (tmp_path / "target" / "release").mkdir(parents=True)
    (tmp_path / "target" / "release" / "claude-server").symlink_to(GATEWAY_BIN)
    env = server_env(NO_BROWSER="1", PORT=readme_port())
    p = Proc([cmd], tmp_path / "run.log", env=env, cwd=tmp_path)
    try:
        port = _wait_for_line(p.log, BANNER, p.proc, 60).group(1)
        if readme_port() == "62311":
            assert port == "62311"
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, p)
        check_console(url)
        log = p.log.read_text()
        # The banner: console URL, data folder, config, and the default-password warning.
        assert f"console:  http://localhost:{port}/" in log
        assert re.search(r"data:\s+\. \(sqlite\)", log), log
        assert "built-in defaults (no config.yaml found)" in log
        assert "the admin password is still the default `admin`" in log
        assert (tmp_path / "data.sqlite3").exists() and (tmp_path / "encryption.key").exists()
        c = login(url)
        system = c.get("/v2/system").json()
        assert system["demo"] is False and system["must_change_password"] is True
        c.close()
    finally:
        assert p.stop() == 0, tail(p.log)


@pytest.fixture
def demo_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="claude-api-e2e-demo-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def start_demo(root: Path, name: str) -> tuple[Proc, str]:
    env = server_env(NO_BROWSER="1", PORT="0", DATA_DIR=str(root / "data"))
    p = Proc([str(GATEWAY_BIN), "--demo"], root / f"{name}.log", env=env, cwd=root)
    port = _wait_for_line(p.log, BANNER, p.proc, 60).group(1)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, p)
    return p, url


def test_demo_mode(demo_dir: Path) -> None:
    # A production database already in DATA_DIR must stay untouched.
    data = demo_dir / "data"
    data.mkdir()
    (data / "data.sqlite3").write_bytes(b"not touched")
    p, url = start_demo(demo_dir, "demo1")
    try:
        log = p.log.read_text()
        m = re.search(r"DEMO MODE: upstream is the built-in simulator at (http://\S+)", log)
        assert m and re.fullmatch(r"http://127\.0\.0\.1:\d+", m.group(1)), log
        assert f"data:     {data / 'demo'} (sqlite)" in log
        check_console(url)
        assert chat(url) == "Hello from the demo!"
        c = login(url)
        system = c.get("/v2/system").json()
        assert system["demo"] is True, "the console shows its DEMO banner from this flag"
        assert system["data_dir"] == str(data / "demo")
        accounts = c.get("/v2/accounts").json()
        items = accounts["accounts"]
        assert sorted(a["id"] for a in items) == ["demo-builder-id", "demo-idc", "demo-kiro"]
        c.close()
    finally:
        assert p.stop() == 0, tail(p.log)
    assert (data / "data.sqlite3").read_bytes() == b"not touched"
    assert (data / "demo" / "data.sqlite3").exists() and (data / "demo" / "encryption.key").exists()
    assert not (data / "encryption.key").exists()
    # A second start replaces the demo accounts (the fresh simulator issues new tokens) and answers.
    p, url = start_demo(demo_dir, "demo2")
    try:
        for _ in range(3):
            assert chat(url) == "Hello from the demo!"
    finally:
        assert p.stop() == 0, tail(p.log)


# --- the slow variant: a clean clone, release builds (make test-first-run) -----------------------

if os.environ.get("E2E_CLEAN_CLONE") == "1":

    def run_timed(argv: list[str], cwd: Path, timings: dict[str, float], name: str, timeout: float) -> str:
        t = time.monotonic()
        out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                             env=server_env(NO_BROWSER="1"))
        timings[name] = time.monotonic() - t
        assert out.returncode == 0, f"{argv}: {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out.stdout + out.stderr

    def serve_make(clone: Path, target: str, timings: dict[str, float]) -> tuple[Proc, str]:
        port = readme_port() if readme_port() != "0" else str(free_port())
        t = time.monotonic()
        p = Proc(["make", target], clone / f"make-{target}.log", env=server_env(NO_BROWSER="1", PORT=port), cwd=clone)
        # `make run` builds the console and the release binary first: allow a cold build.
        got = _wait_for_line(p.log, BANNER, p.proc, 3600).group(1)
        assert got == port
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, p)
        timings[f"make {target} (until serving)"] = time.monotonic() - t
        return p, url

    def stop_make(p: Proc) -> None:
        """SIGTERM to make's whole group (make does not forward signals), then check the server
        itself shut down gracefully."""
        import signal

        os.killpg(p.proc.pid, signal.SIGTERM)
        try:
            p.proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        p.stop(1)
        assert "shutdown complete" in p.log.read_text(), tail(p.log)

    def free_port() -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def test_clean_clone_follows_the_readme() -> None:
        root = Path(tempfile.mkdtemp(prefix="claude-api-first-run-"))
        clone = root / "claude-api"
        timings: dict[str, float] = {}
        try:
            if os.environ.get("E2E_CLEAN_CLONE_SOURCE") == "worktree":
                # The working tree's files as git sees them (tracked + new, nothing ignored: no
                # target/, node_modules/, web/dist, databases), for changes not committed yet.
                files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO,
                                       capture_output=True, check=True).stdout.split(b"\0")
                for f in filter(None, files):
                    src, dst = REPO / f.decode(), clone / f.decode()
                    if src.is_file():
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(src, dst)
                subprocess.run(["git", "init", "-q"], cwd=clone, check=True)
            else:
                head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                      check=True).stdout.strip()
                run_timed(["git", "clone", "--quiet", str(REPO), str(clone)], root, timings, "git clone", 600)
                assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True,
                                      check=True).stdout.strip() == head
            assert not (clone / "target").exists() and not (clone / "web" / "dist").exists()
            # README command 1: make run.
            p, url = serve_make(clone, "run", timings)
            try:
                check_console(url)
                c = login(url)
                assert c.get("/v2/system").json()["demo"] is False
                c.close()
            finally:
                stop_make(p)
            assert (clone / "data.sqlite3").exists()
            # make demo: the demo chat answers.
            p, url = serve_make(clone, "demo", timings)
            try:
                check_console(url)
                assert chat(url) == "Hello from the demo!"
                c = login(url)
                assert c.get("/v2/system").json()["demo"] is True
                c.close()
            finally:
                stop_make(p)
            # build.sh server: the current platform's archive, whose binary runs --version.
            out = run_timed(["./build.sh", "server", "-v", "v0.0.0-first-run"], clone, timings,
                            "./build.sh server", 3600)
            archive = clone / "dist" / "server" / "claude-server-linux-amd64.tar.gz"
            assert f"built dist/server/{archive.name}" in out, out
            with tarfile.open(archive) as tar:
                names = sorted(n.lstrip("./") for n in tar.getnames() if n not in (".", "./"))
                assert {"claude-server", "config.example.yaml", "README.md", "LICENSE"} <= set(names), names
                tar.extractall(root / "unpacked", filter="data")
            version = subprocess.run([str(root / "unpacked" / "claude-server"), "--version"],
                                     capture_output=True, text=True, timeout=30)
            assert version.stdout.strip() == "claude-server v0.0.0-first-run", version
        finally:
            print("first-run timings (s): " + ", ".join(f"{k}: {v:.0f}" for k, v in timings.items()))
            shutil.rmtree(root, ignore_errors=True)
