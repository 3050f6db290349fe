"""Codex CLI (npm `@openai/codex`, pinned in e2e/package.json) run headless (`codex exec`) against the
real claude-server + amazonq-sim through the Responses API (issue 18 "Must show").

Codex is configured the way the README tells users to: a custom `model_providers` entry with
`wire_api = "responses"` in `config.toml`, here in a fresh `CODEX_HOME` per run (also its `HOME`),
the API key in an environment variable. Retries are off, so a stream bug fails the turn instead of
being retried. Inside `e2e/run.sh`'s network namespace only loopback exists, and the loopback DNS
logger proves Codex looked nothing up.

The simulator plays the model: queued scripts make it call Codex's `exec_command` tool, then answer
after seeing the command's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import Stack
from harness import run_client
from sdkutil import upstream_text

E2E = Path(__file__).resolve().parent
CODEX = E2E / "node_modules" / ".bin" / "codex"
# The model name Codex sends; the gateway's alias table maps it (Codex warns that it has no
# metadata for it, which is harmless).
CODEX_MODEL = "claude-sonnet-4.5"

# Beyond the provider: everything that would phone home is off (update check, analytics and
# metrics export, the curated-plugins sync) — the DNS logger proves it.
CONFIG_TOML = """\
model = "{model}"
model_provider = "claude-api"
check_for_update_on_startup = false

[analytics]
enabled = false

[otel]
exporter = "none"
metrics_exporter = "none"
trace_exporter = "none"

[features]
plugins = false
apps = false

[model_providers.claude-api]
name = "claude-api"
base_url = "{url}/v1"
env_key = "CLAUDE_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
"""


def run_codex(stack: Stack, prompt: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    home = Path(tempfile.mkdtemp(prefix="codex-home-", dir=cwd.parent))
    (home / "config.toml").write_text(CONFIG_TOML.format(model=CODEX_MODEL, url=stack.url))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODEX_HOME": str(home),
        "TERM": "dumb",
        "CLAUDE_API_KEY": stack.api_key,
        "RUST_LOG": "warn",
    }
    args = [str(CODEX), "exec", "--skip-git-repo-check", "--ephemeral", "--json",
            "-s", "danger-full-access", prompt]
    return run_client(args, cwd, env, timeout)


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip().startswith("{")]


def test_codex_exec_runs_a_shell_command_and_answers(stack: Stack, project: Path, no_dns: None) -> None:
    tag = uuid.uuid4().hex[:8]
    # The product appears only in the command's output, never in the model's call: seeing it
    # upstream proves Codex ran the command and sent its result back.
    cmd = f"echo {tag}-$((1234*5678)) > out.txt && cat out.txt"
    stack.sim.queue(f"#thinking I will run it.\n#say Running it.\n#tool exec_command {json.dumps({'cmd': cmd})}")
    stack.sim.queue(f"#say The command printed {tag}-7006652.")
    seq = stack.sim.next_seq()
    r = run_codex(stack, "Run the command and tell me what it printed.", project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (project / "out.txt").read_text().strip() == f"{tag}-7006652"
    evs = events(r.stdout)
    done = [e for e in evs if e.get("type") == "item.completed"]
    runs = [e["item"] for e in done if e["item"].get("type") == "command_execution"]
    assert len(runs) == 1 and tag in runs[0]["command"] and runs[0].get("exit_code") == 0, done
    messages = [e["item"]["text"] for e in done if e["item"].get("type") == "agent_message"]
    assert messages and messages[-1] == f"The command printed {tag}-7006652.", done
    assert any(e.get("type") == "turn.completed" for e in evs), evs
    # Two upstream turns: the second carries the command's real output as a tool result.
    calls = stack.sim.chat_requests(seq)
    assert len(calls) == 2, [c["status"] for c in calls]
    first, second = upstream_text(calls[:1]), upstream_text(calls[1:])
    assert "7006652" not in first and f"{tag}-7006652" in second
    assert "toolResults" in second


def test_codex_reports_an_upstream_failure(stack: Stack, project: Path, no_dns: None) -> None:
    """A failed turn (context overflow upstream) ends Codex with an error, not a hang."""
    stack.sim.fault("input-too-long", count=3)
    r = run_codex(stack, "#say never shown", project, timeout=90)
    assert r.returncode != 0, r.stdout + r.stderr
    failures = [e for e in events(r.stdout) if e.get("type") in ("turn.failed", "error")]
    assert failures, r.stdout + r.stderr
    assert not any(e.get("item", {}).get("type") == "agent_message" for e in events(r.stdout))
