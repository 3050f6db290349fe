"""Web console end to end (issue 5 "Must show"): each flow is a playwright-core script in
e2e/console/ driving Debian's Chromium against a fresh claude-server (first start, seed password)
that shares the suite's amazonq-sim. The flows build on each other in file order (the first one
sets the admin password, the keys flow creates the key the chat flow uses), sharing a small JSON
state file. Screenshots land in e2e/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from conftest import GATEWAY_EXTRA, _workdir
from harness import Gateway, Sim, tail

E2E = Path(__file__).resolve().parent
CONSOLE = E2E / "console"
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", E2E / "screenshots"))


class ConsoleStack:
    def __init__(self, sim: Sim):
        self.sim = sim
        self.workdir = _workdir("console")
        extra = {**GATEWAY_EXTRA, "security": {"trusted_proxies": ["127.0.0.1/32"]}}
        self.gateway = Gateway(self.workdir, sim.url, "console-gateway", extra)
        self.state = self.workdir / "state.json"

    def flow(self, script: str, *args: str, timeout: float = 120) -> None:
        env = {**os.environ, "GATEWAY_URL": self.gateway.url, "SIM_URL": self.sim.url,
               "STATE_FILE": str(self.state), "SCREENSHOT_DIR": str(SHOTS)}
        r = subprocess.run(["node", str(CONSOLE / script), *args], cwd=E2E, env=env, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"{script} failed:\n{r.stdout}\n{r.stderr}"
        assert "OK " in r.stdout, r.stdout


@pytest.fixture(scope="module")
def console_stack(sim: Sim) -> Iterator[ConsoleStack]:
    if not (E2E.parent / "web" / "dist" / "index.html").exists():
        pytest.fail("web/dist is not built: run `make e2e-setup` (it builds the console)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    st = ConsoleStack(sim)
    yield st
    rc = st.gateway.stop()
    assert rc == 0, f"console claude-server exited {rc}:\n{tail(st.gateway.p.log)}"
    shutil.rmtree(st.workdir, ignore_errors=True)


# One flow per test, in file order (the flows build on each other); the ids keep `-k social` working.
FLOWS = [
    ("01_login_and_forced_password_change", "01_login.mjs"),
    ("02_device_login_via_sim_approve", "02_device_login.mjs"),
    ("03_batch_feed", "03_batch_feed.mjs"),
    ("04_export_import_round_trip", "04_export_import.mjs"),
    ("05_key_creation_and_request_with_it", "05_keys.mjs"),
    ("06_chat_tester_stream_and_tool_call", "06_chat.mjs"),
    ("07_logs_show_the_requests", "07_logs.mjs"),
    ("08_ip_block_takes_effect", "08_ip_block.mjs"),
]
LATE_FLOWS = [
    ("11_kiro_social_sign_in", "11_social_login.mjs"),
    ("12_upstream_drift_card", "12_drift.mjs"),
]


@pytest.mark.parametrize("script", [f for _, f in FLOWS], ids=[i for i, _ in FLOWS])
def test_console_flow(console_stack: ConsoleStack, script: str) -> None:
    console_stack.flow(script)


def test_console_09_settings_persist_across_restart(console_stack: ConsoleStack) -> None:
    console_stack.flow("09_settings_restart.mjs", "set")
    console_stack.gateway.restart()
    console_stack.flow("09_settings_restart.mjs", "verify")


def test_console_10_screenshots_every_page_light_dark_zh_en(console_stack: ConsoleStack) -> None:
    console_stack.flow("10_screenshots.mjs", timeout=300)
    shots = sorted(p.name for p in SHOTS.glob("*-*-*.png") if not p.name.startswith(("flow-", "FAILED-")))
    for page in ("login", "dashboard", "accounts", "chat", "logs", "keys", "security", "settings", "audit"):
        for variant in ("light-en", "dark-en", "light-zh-CN", "dark-zh-CN"):
            assert f"{page}-{variant}.png" in shots, (page, variant)


@pytest.mark.parametrize("script", [f for _, f in LATE_FLOWS], ids=[i for i, _ in LATE_FLOWS])
def test_console_late_flow(console_stack: ConsoleStack, script: str) -> None:
    console_stack.flow(script)
