"""Admin API, security controls, request log and operations, black-box (issue 7; ADMIN_API.md).

Uses the suite's gateway where the check leaves no lasting state, and a throwaway gateway (same
simulator, own DATA_DIR) where it does: login lockout, the loopback-only default with no API key.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import GATEWAY_EXTRA, MODEL, Stack, _workdir
from harness import ADMIN_PASSWORD, GATEWAY_BIN, Gateway, Sim


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def anthropic_call(stack: Stack, key: str, text: str = "#say ok", model: str = MODEL, headers: dict | None = None) -> httpx.Response:
    h = {"x-api-key": key, "anthropic-version": "2023-06-01", **(headers or {})}
    return httpx.post(stack.url + "/v1/messages", json={"model": model, "max_tokens": 20, "messages": user(text)}, headers=h, timeout=30)


@pytest.fixture
def fresh_gateway(sim: Sim) -> Iterator[Gateway]:
    """A first-start gateway (seed password, no key) that trusts X-Forwarded-For from loopback."""
    gw = Gateway(_workdir("fresh"), sim.url, "fresh", {**GATEWAY_EXTRA, "security": {"trusted_proxies": ["127.0.0.1/32"]}})
    yield gw
    assert gw.stop() == 0


def test_healthz_and_metrics(stack: Stack) -> None:
    assert httpx.get(stack.url + "/healthz").json() == {"status": "ok"}
    anthropic_call(stack, stack.api_key)
    m = httpx.get(stack.url + "/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    assert "gateway_http_requests_total" in m.text and "# TYPE" in m.text


def test_must_change_password_then_lockout(fresh_gateway: Gateway) -> None:
    c = httpx.Client(base_url=fresh_gateway.url, timeout=10)
    first = c.post("/v2/login", json={"password": "admin"}).json()
    assert first["must_change_password"] is True and first["token"] and first["expires_at"]
    h = {"authorization": f"Bearer {first['token']}", "x-requested-with": "XMLHttpRequest"}
    assert c.get("/v2/system", headers=h).json()["must_change_password"] is True
    # Lockout: repeated failures from one client address (here a forwarded one) → 429 + retry-after.
    spoof = {"x-forwarded-for": "198.51.100.23"}
    statuses = [c.post("/v2/login", json={"password": f"wrong-{i}"}, headers=spoof).status_code for i in range(7)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    locked = c.post("/v2/login", json={"password": "admin"}, headers=spoof)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # Another address is not locked out.
    assert c.post("/v2/login", json={"password": "admin"}).status_code == 200


def test_loopback_only_without_any_key(fresh_gateway: Gateway) -> None:
    body = {"model": MODEL, "max_tokens": 10, "messages": user("#say hi")}
    remote = httpx.post(fresh_gateway.url + "/v1/messages", json=body, headers={"x-forwarded-for": "203.0.113.50"}, timeout=30)
    assert remote.status_code in (401, 403), remote.text
    assert re.search(r"loopback|local|this machine|API key", remote.json()["error"]["message"], re.I), remote.text
    local = httpx.post(fresh_gateway.url + "/v1/messages", json=body, timeout=30)
    # No account is configured in this gateway: anything but an auth refusal shows loopback was let in.
    assert local.status_code not in (401, 403), local.text


def test_csrf_guard_on_cookie_sessions(stack: Stack) -> None:
    c = httpx.Client(base_url=stack.url, timeout=10)
    r = c.post("/v2/login", json={"password": ADMIN_PASSWORD})
    assert "claude_api_session" in r.headers.get("set-cookie", "") and "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/v2/settings").status_code == 200  # cookie alone is enough to read
    assert c.put("/v2/settings", json={"debugLog": False}).status_code == 403
    assert c.put("/v2/settings", json={"debugLog": False}, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 200
    assert httpx.get(stack.url + "/v2/settings").status_code == 401


def test_settings_validation_and_round_trip(stack: Stack) -> None:
    s = stack.admin.call("GET", "/v2/settings")
    for name in ("apiKey", "debugLog", "enableRequestLog", "logRetentionDays", "enableIPRateLimit", "ipRateLimitWindow", "ipRateLimitMax"):
        assert name in s, name
    assert "adminPassword" not in s or s["adminPassword"] in (None, "", "***")
    bad = stack.admin.http.put("/v2/settings", json={"noSuchSetting": 1})
    assert bad.status_code == 400 and "noSuchSetting" in bad.json()["error"]["message"]
    bad = stack.admin.http.put("/v2/settings", json={"logRetentionDays": "many"})
    assert bad.status_code == 400 and "logRetentionDays" in bad.json()["error"]["message"]
    stack.admin.call("PUT", "/v2/settings", json={"logRetentionDays": 31})
    assert stack.admin.call("GET", "/v2/settings")["logRetentionDays"] == 31
    bad = stack.admin.http.post("/v2/keys", json={"name": "x", "bogus": 1})
    assert bad.status_code == 400 and "bogus" in bad.json()["error"]["message"]


def test_key_scopes(stack: Stack) -> None:
    scoped = stack.admin.create_key("e2e-scoped", models=[MODEL])
    assert anthropic_call(stack, scoped["secret"]).status_code == 200
    other = anthropic_call(stack, scoped["secret"], model="claude-sonnet-4-5")
    assert other.status_code == 403 and other.json()["type"] == "error", other.text
    stack.admin.call("PATCH", f"/v2/keys/{scoped['id']}", json={"enabled": False})
    assert anthropic_call(stack, scoped["secret"]).status_code in (401, 403)
    past = stack.admin.create_key("e2e-expired", expires_at="2020-01-01T00:00:00Z")
    assert anthropic_call(stack, past["secret"]).status_code in (401, 403)
    listed = stack.admin.call("GET", "/v2/keys")["keys"]
    assert all("secret" not in k for k in listed)
    stack.admin.call("DELETE", f"/v2/keys/{scoped['id']}")
    assert anthropic_call(stack, scoped["secret"]).status_code == 401


def test_ip_rate_limit_window(stack: Stack) -> None:
    stack.admin.call("PUT", "/v2/settings", json={"enableIPRateLimit": True, "ipRateLimitWindow": 1, "ipRateLimitMax": 3})
    # The limit covers every route, the admin API included: the limited client is another
    # address (via the trusted loopback proxy), so the admin can still switch the limit off.
    other = {"x-forwarded-for": "198.51.100.77"}
    try:
        statuses = [anthropic_call(stack, stack.api_key, headers=other).status_code for _ in range(4)]
        assert statuses[:3] == [200, 200, 200] and statuses[3] == 429, statuses
        r = anthropic_call(stack, stack.api_key, headers=other)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["type"] == "rate_limit_error"
    finally:
        stack.admin.call("PUT", "/v2/settings", json={"enableIPRateLimit": False})
    assert anthropic_call(stack, stack.api_key, headers=other).status_code == 200


def test_body_cap_413_in_both_dialects(stack: Stack) -> None:
    big = "x" * (33 * 1024 * 1024)
    r = httpx.post(stack.url + "/v1/messages", headers={"x-api-key": stack.api_key},
                   json={"model": MODEL, "max_tokens": 5, "messages": user(big)}, timeout=60)
    assert r.status_code == 413 and r.json()["type"] == "error" and r.json()["error"]["type"] == "request_too_large"
    r = httpx.post(stack.url + "/v1/chat/completions", headers={"authorization": f"Bearer {stack.api_key}"},
                   json={"model": MODEL, "messages": user(big)}, timeout=60)
    assert r.status_code == 413 and set(r.json()["error"]) >= {"message", "type"}


def test_request_log_row_and_stats(stack: Stack) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    r = httpx.post(stack.url + "/v1/messages", headers={"x-api-key": stack.api_key}, timeout=30, json={
        "model": MODEL, "max_tokens": 50, "stream": True,
        "messages": [{"role": "user", "content": "#say logged"}, {"role": "system", "content": "late system"}]})
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    rows: list = []
    while time.monotonic() < deadline and not rows:
        rows = [x for x in stack.admin.call("GET", "/v2/logs", params={"from": since, "per_page": 50})["logs"] if x.get("stream")]
        time.sleep(0.3)
    assert rows, "no request-log row for the streamed request"
    row = rows[0]
    assert row["status"] == 200 and row["dialect"] == "anthropic" and row["model_requested"] == MODEL
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0 and row["account_id"] in stack.account_ids
    assert row["ttfb_ms"] is not None and row["duration_ms"] >= row["ttfb_ms"]
    assert isinstance(row["rules_fired"], list) and row["rules_fired"], row
    assert row["client_ip"] == "127.0.0.1" and row["key_id"]
    assert stack.admin.call("GET", f"/v2/logs/{row['id']}")["id"] == row["id"]
    stats = stack.admin.call("GET", "/v2/logs/stats", params={"range": "24h"})
    assert stats["total"] >= 1 and stats["success"] + stats["errors"] == stats["total"]
    assert 0 <= stats["success_rate"] <= 1 and stats["by_model"]


def test_audit_records_admin_actions(stack: Stack) -> None:
    key = stack.admin.create_key("e2e-audited")
    stack.admin.call("DELETE", f"/v2/keys/{key['id']}")
    entries = stack.admin.call("GET", "/v2/audit", params={"per_page": 50})["entries"]
    text = json.dumps(entries)
    assert key["id"] in text or "e2e-audited" in text, entries[:5]
    assert all(e.get("at") and e.get("action") and e.get("ip") for e in entries[:5])


def test_backup_and_cli_export_while_running(stack: Stack, tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(stack.gateway.data_dir)}
    target = tmp_path / "backup.sqlite3"
    r = subprocess.run([str(GATEWAY_BIN), "--config", str(stack.gateway.config_path), "backup", "--to", str(target)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert target.read_bytes()[:16] == b"SQLite format 3\x00"
    export = tmp_path / "accounts.json"
    r = subprocess.run([str(GATEWAY_BIN), "--config", str(stack.gateway.config_path), "accounts", "export", str(export)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    doc = json.loads(export.read_text())
    assert len(doc["accounts"]) >= len(stack.account_ids)
