"""Fixtures of the black-box e2e suite (issues 5, 7, 10).

One session-wide `stack`: a real `amazonq-sim` and a real `claude-server` (debug builds), the
gateway's upstream endpoints (Q, OIDC, Kiro auth) pointed at the simulator, a temp DATA_DIR, the
admin password changed away from the seed default, two simulator accounts registered in the
gateway through the admin API (waited on until `active`), and an API key. The console tests get
a second, untouched gateway (`console_stack`) because they start from the first-login flow.

Everything talks to 127.0.0.1 only. When `e2e/run.sh` runs the suite inside its network
namespace (E2E_NETNS=1), `dns` is a loopback DNS logger that records every name any client tried
to resolve (client doc §5.3).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import anthropic
import openai
import pytest

from harness import ADMIN_PASSWORD, Admin, Gateway, HarnessError, Sim, tail
from netguard import DnsLog

# Model ids the suite uses: current Anthropic ids that the gateway's alias table maps to models the
# simulator lists (claude-sonnet-4.6 / claude-sonnet-4.5).
MODEL = "claude-sonnet-4-6"
MODEL_45 = "claude-sonnet-4-5-20250929"

SIM_CONFIG: dict[str, Any] = {
    # Device login in seconds, not minutes: the gateway polls every interval.
    "oidc": {"device_interval_s": 1, "enforce_slow_down": False, "device_expires_in_s": 120},
    "log_bodies": True,
}

# Short cooldowns so a throttling test does not starve the tests after it; a short keep-alive so
# the "ping during upstream silence" check (item 32) needs a 1.5 s pause, not 15 s.
GATEWAY_EXTRA: dict[str, Any] = {
    "pool": {
        "cooldown_base_ms": 200,
        "cooldown_max_ms": 1000,
        "transient_pause_ms": 100,
        "queue_timeout_ms": 10000,
        "device_time_unit_ms": 1000,
    },
    "stream": {"keepalive_ms": 500},
}


@dataclass
class Stack:
    workdir: Path
    sim: Sim
    gateway: Gateway
    admin: Admin
    api_key: str
    sim_accounts: list[str]
    account_ids: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.gateway.url


def _workdir(name: str) -> Path:
    root = Path(os.environ.get("E2E_TMP", tempfile.gettempdir()))
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"claude-api-e2e-{name}-", dir=root))


@pytest.fixture(scope="session")
def dns() -> Iterator[DnsLog | None]:
    """The loopback DNS logger inside the isolated namespace; None outside it."""
    if os.environ.get("E2E_NETNS") != "1":
        yield None
        return
    log = DnsLog()
    yield log
    log.close()


@pytest.fixture(scope="session")
def sim() -> Iterator[Sim]:
    workdir = _workdir("sim")
    s = Sim(workdir, SIM_CONFIG)
    yield s
    rc = s.stop()
    assert rc == 0, f"amazonq-sim exited {rc}:\n{tail(s.p.log)}"
    shutil.rmtree(workdir, ignore_errors=True)


def enroll(sim: Sim, admin: Admin, sim_id: str, label: str) -> str:
    """Creates an account in the simulator and registers its tokens in the gateway; returns the gateway id."""
    tokens = sim.add_account(sim_id)
    return admin.add_sim_account(label, tokens)["id"]


@pytest.fixture(scope="session")
def stack(sim: Sim) -> Iterator[Stack]:
    workdir = _workdir("sdk")
    # Loopback is a trusted proxy, so a test can speak for another client address with
    # X-Forwarded-For (per-IP limits apply to the admin API too, issue 16 §3).
    gw = Gateway(workdir, sim.url, "gateway", {**GATEWAY_EXTRA, "security": {"trusted_proxies": ["127.0.0.1/32"]}})
    try:
        first = Admin(gw.url, "admin")
        assert first.login_body["must_change_password"] is True
        first.change_password("admin", ADMIN_PASSWORD)
        first.close()
        admin = Admin(gw.url, ADMIN_PASSWORD)
        assert admin.login_body["must_change_password"] is False
        sim_ids = ["sdk-a1", "sdk-a2"]
        ids = [enroll(sim, admin, s, f"sim {s}") for s in sim_ids]
        admin.wait_active(ids)
        key = admin.create_key("e2e-sdk")["secret"]
        st = Stack(workdir, sim, gw, admin, key, sim_ids, ids)
        yield st
    except HarnessError:
        gw.stop()
        raise
    admin.close()
    rc = gw.stop()
    assert rc == 0, f"claude-server exited {rc}:\n{tail(gw.p.log)}"
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_sim_queue(request: pytest.FixtureRequest) -> Iterator[None]:
    """A script or fault queued by a test must not answer the next test's request."""
    yield
    if "sim" in request.fixturenames:
        sim = request.getfixturevalue("sim")
        sim.clear_scripts()
        sim.clear_faults()


@pytest.fixture
def oai(stack: Stack) -> Iterator[openai.OpenAI]:
    c = openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.api_key, max_retries=0, timeout=30)
    yield c
    c.close()


@pytest.fixture
def ant(stack: Stack) -> Iterator[anthropic.Anthropic]:
    c = anthropic.Anthropic(base_url=stack.url, api_key=stack.api_key, max_retries=0, timeout=30)
    yield c
    c.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On failure, attach the tails of the server logs (the only window into a black box)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for name in ("stack", "console_stack"):
            st = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if st is not None:
                rep.sections.append((f"{name} gateway log", tail(st.gateway.p.log, 60)))
                rep.sections.append((f"{name} sim log", tail(st.sim.p.log, 30)))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty working folder for a headless client (Claude Code, Codex)."""
    p = tmp_path / "project"
    p.mkdir()
    return p


@pytest.fixture
def no_dns(dns: DnsLog | None):
    """Asserts, after the test, that the client under test looked nothing up (only inside the
    isolated namespace)."""
    mark = dns.mark() if dns else 0
    yield
    if dns is not None:
        assert dns.since(mark) == [], f"the client tried to resolve external names: {dns.since(mark)}"
