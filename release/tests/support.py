"""Shared helpers of the release tests: where the repo and the pinned tools are, and running them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

RELEASE = Path(__file__).resolve().parents[1]
REPO = RELEASE.parent
VENV_BIN = RELEASE / ".venv" / "bin"
DIST = VENV_BIN / "dist"
ACTIONLINT = VENV_BIN / "actionlint"

# The six platforms of the original, as dist targets (dist-workspace.toml) and as the original's
# archive names (release/alias-archives.sh).
TARGETS = {
    "x86_64-unknown-linux-gnu": "linux-amd64",
    "aarch64-unknown-linux-gnu": "linux-arm64",
    "x86_64-apple-darwin": "darwin-amd64",
    "aarch64-apple-darwin": "darwin-arm64",
    "x86_64-pc-windows-msvc": "windows-amd64",
    "aarch64-pc-windows-msvc": "windows-arm64",
}


def tool_env() -> dict[str, str]:
    """The environment with release/.venv/bin first on PATH (actionlint finds shellcheck there)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(cmd: list[str | Path], cwd: Path = REPO, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env or tool_env())


def dist_json(args: list[str], cwd: Path = REPO, timeout: float = 300) -> dict:
    """`dist <args> --output-format=json`, parsed; fails the test with dist's stderr otherwise."""
    p = run([DIST, *args, "--output-format=json"], cwd=cwd, timeout=timeout)
    assert p.returncode == 0, f"dist {' '.join(args)} failed:\n{p.stderr[-4000:]}"
    return json.loads(p.stdout)


def workspace_version() -> str:
    return tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def copy_repo(dest: Path) -> Path:
    """A copy of the repo's sources (no build outputs, no installed tools) to change freely."""
    skip = {"target", "node_modules", ".venv", ".git", "dist", "screenshots", "__pycache__"}
    shutil.copytree(REPO, dest, ignore=lambda _d, names: [n for n in names if n in skip])
    return dest
