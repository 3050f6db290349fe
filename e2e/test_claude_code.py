"""Claude Code (npm `@anthropic-ai/claude-code`, pinned in e2e/package.json) run headless against the
real claude-server + amazonq-sim (issue 10 "Must show"; client doc §4 items 67–72, §5.3 recipe).

Isolation: a fresh HOME per run, every telemetry / update / marketplace switch off, and — when run
through `e2e/run.sh` — a network namespace with only loopback plus a loopback DNS logger, so no
packet can leave the machine and any name Claude Code tries to resolve is recorded and asserted
empty. The non-streaming fallback is disabled so a stream bug fails the turn instead of being
papered over by a second, non-streamed request.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import MODEL_45, Stack
from harness import run_client

E2E = Path(__file__).resolve().parent
CLAUDE = E2E / "node_modules" / ".bin" / "claude"


def run_claude(stack: Stack, args: list[str], cwd: Path, model: str | None = MODEL_45, timeout: float = 120) -> subprocess.CompletedProcess:
    home = Path(tempfile.mkdtemp(prefix="cc-home-", dir=cwd.parent))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "dumb",
        "ANTHROPIC_BASE_URL": stack.url,
        "ANTHROPIC_API_KEY": stack.api_key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
    }
    if model:
        env["ANTHROPIC_MODEL"] = model
    return run_client([str(CLAUDE), *args], cwd, env, timeout)


def gateway_log_rows(stack: Stack, since: str, expect: int, timeout: float = 5) -> list[dict[str, Any]]:
    """Request-log rows stamped at or after `since` (RFC 3339); waits for the batch writer, then
    lets stragglers land so a hidden second request would be seen."""
    params = {"per_page": 100, "from": since}
    deadline = time.monotonic() + timeout
    while len(stack.admin.call("GET", "/v2/logs", params=params)["logs"]) < expect and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    return stack.admin.call("GET", "/v2/logs", params=params)["logs"]


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_67_68_plain_answer_one_streamed_request(stack: Stack, project: Path, no_dns: None) -> None:
    since = now_rfc3339()
    seq = stack.sim.next_seq()
    r = run_claude(stack, ["-p", "#say Hi from the simulator", "--output-format", "json"], project)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["type"] == "result" and out["is_error"] is False, out
    assert out["result"] == "Hi from the simulator"
    assert out["usage"]["input_tokens"] > 0
    # Item 68: one upstream call and one streamed /v1/messages request for the turn (no fallback).
    assert len(stack.sim.chat_requests(seq)) == 1
    rows = gateway_log_rows(stack, since, 1)
    assert len(rows) == 1 and rows[0]["stream"] is True and rows[0]["status"] == 200, rows


def test_69_tool_round_trip_reads_real_file(stack: Stack, project: Path, no_dns: None) -> None:
    marker = f"e2e-file-content-{uuid.uuid4().hex}"
    target = project / "hello.txt"
    target.write_text(f"{marker}\nsecond line\n")
    stack.sim.queue(f'#say I will read it.\n#tool fragments=4 Read {json.dumps({"file_path": str(target)})}')
    stack.sim.queue("#say The file holds the marker.")
    seq = stack.sim.next_seq()
    r = run_claude(stack, ["-p", "Read hello.txt and tell me what it says", "--output-format", "stream-json",
                           "--verbose", "--allowedTools", "Read"], project)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    uses = [b for m in lines if m.get("type") == "assistant" for b in m["message"]["content"] if b.get("type") == "tool_use"]
    assert len(uses) == 1 and uses[0]["name"] == "Read" and uses[0]["input"] == {"file_path": str(target)}, uses
    results = [b for m in lines if m.get("type") == "user" for b in (m["message"]["content"] if isinstance(m["message"]["content"], list) else [])
               if b.get("type") == "tool_result"]
    assert len(results) == 1 and not results[0].get("is_error"), results
    assert results[0]["tool_use_id"] == uses[0]["id"]
    assert marker in json.dumps(results[0]["content"])
    final = lines[-1]
    assert final["type"] == "result" and final["is_error"] is False and final["num_turns"] == 2, final
    assert final["result"] == "The file holds the marker."
    # The file's content really went back upstream, in the second chat call.
    calls = stack.sim.chat_requests(seq)
    assert len(calls) == 2, [c["status"] for c in calls]
    assert marker not in json.dumps(calls[0]["json"]) and marker in json.dumps(calls[1]["json"])


def test_70_default_model_request_shape(stack: Stack, project: Path, no_dns: None) -> None:
    """Claude Code's own default model name (role:"system" message, adaptive thinking, newest betas)."""
    r = run_claude(stack, ["-p", "#say default model ok", "--output-format", "json"], project, model=None)
    out = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    assert r.returncode == 0 and out.get("result") == "default model ok", r.stdout + r.stderr


def test_72_context_overflow_reported_as_prompt_too_long(stack: Stack, project: Path, no_dns: None) -> None:
    stack.sim.fault("input-too-long", count=3)
    r = run_claude(stack, ["-p", "#say never shown", "--output-format", "json"], project)
    out = json.loads(r.stdout)
    assert out["is_error"] is True, out
    assert out["result"].startswith("Prompt is too long"), out


def test_73_context_uses_count_tokens(stack: Stack, project: Path, no_dns: None) -> None:
    """`/context` (headless) shows a non-zero total computed from count_tokens: no fallback
    `/v1/messages` calls (which would reach the upstream) are made."""
    seq = stack.sim.next_seq()
    r = run_claude(stack, ["-p", "/context", "--output-format", "json"], project)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    m = re.search(r"\*\*Tokens:\*\*\s*([\d.]+)(k?)\s*/\s*([\d.]+)k", out["result"])
    assert m, out["result"][:500]
    assert float(m.group(1)) > 0
    assert stack.sim.chat_requests(seq) == [], "count fallback requests reached the upstream"


def test_web_search_tool_runs_through_the_gateway(stack: Stack, project: Path, no_dns: None) -> None:
    """Claude Code's WebSearch tool (issue 18 item 2): the model calls WebSearch; Claude Code sends
    its own request with only the `web_search_20250305` server tool and "Perform a web search for
    the query: …"; the gateway lets the model search, runs the search on the account's Kiro
    `/mcp` (visible in the simulator's request log), and streams `server_tool_use` +
    `web_search_tool_result` blocks, which Claude Code turns into the tool's result."""
    query = f"rust release notes {uuid.uuid4().hex[:8]}"
    stack.sim.queue(f'#tool WebSearch {json.dumps({"query": query})}')
    since = now_rfc3339()
    seq = stack.sim.next_seq()
    r = run_claude(stack, ["-p", "What is new in Rust? Search the web.", "--output-format", "stream-json",
                           "--verbose", "--allowedTools", "WebSearch"], project, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    uses = [b for m in lines if m.get("type") == "assistant" for b in m["message"]["content"] if b.get("type") == "tool_use"]
    assert [u["name"] for u in uses] == ["WebSearch"], uses
    results = [b for m in lines if m.get("type") == "user" for b in (m["message"]["content"] if isinstance(m["message"]["content"], list) else [])
               if b.get("type") == "tool_result"]
    assert len(results) == 1 and not results[0].get("is_error"), results
    final = lines[-1]
    assert final["type"] == "result" and final["is_error"] is False, final
    # The search is in the simulator's request log: one /mcp tools/call with Claude Code's query.
    searches = [e for e in stack.sim.requests(operation="mcp", since=seq)
                if e.get("json", {}).get("method") == "tools/call"]
    assert [s["json"]["params"]["arguments"]["query"] for s in searches] == [query], searches
    # The hits reached Claude Code: the tool result lists the simulated results' links.
    assert "example." in json.dumps(results[0]["content"]), results[0]
    # The WebSearch request ran two upstream turns (search, then the cited answer) on one account.
    chats = stack.sim.chat_requests(seq)
    search_turns = [c for c in chats if "Perform a web search for the query" in json.dumps(c["json"])]
    assert len(search_turns) == 2, [c["status"] for c in chats]
    rows = gateway_log_rows(stack, since, 3)
    assert any("web_search" in (row.get("rules_fired") or []) for row in rows), rows
