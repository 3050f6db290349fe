"""A local release build of this machine's platform through dist itself (`make test-release`; a
release compile, so not part of `make test`): dist's host mode builds the archive, its checksum and
the shell installer; the archive unpacks to a `claude-server` that prints its version, and the
installer, pointed at a loopback copy of the release files, verifies the checksum and installs a
binary that does too. Needs the console built (web/dist), which the make target does first."""

from __future__ import annotations

import functools
import hashlib
import http.server
import subprocess
import tarfile
import threading
from pathlib import Path
from typing import Iterator

import pytest

from support import DIST, REPO, dist_json, workspace_version


@pytest.fixture(scope="module")
def build() -> dict:
    assert (REPO / "web" / "dist" / "index.html").exists(), "build the console first (make web)"
    # No --artifacts/--target: dist's host mode, i.e. this machine's target with its archive,
    # checksum, installers and the unified checksum file.
    return dist_json(["build"], timeout=5400)


def built(manifest: dict, kind: str) -> list[Path]:
    return [Path(a["path"]) for a in manifest["artifacts"].values() if a["kind"] == kind and "path" in a]


@pytest.fixture(scope="module")
def archive(build: dict) -> Path:
    (path,) = built(build, "executable-zip")
    assert path.exists() and path.name.startswith("claude-server-") and path.name.endswith(".tar.gz")
    return path


def test_archive_checksum_is_correct(archive: Path) -> None:
    checksum = archive.with_name(archive.name + ".sha256")
    assert checksum.exists()
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert checksum.read_text().split()[0] == digest
    check = subprocess.run(["sha256sum", "-c", checksum.name], cwd=archive.parent,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_unpacked_archive_runs_claude_server_version(archive: Path, tmp_path: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()  # dist's archives have one top folder named like the archive
    assert {"claude-server", "config.example.yaml", "README.md", "LICENSE"} <= {p.name for p in root.iterdir()}
    out = subprocess.run([str(root / "claude-server"), "--version"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"claude-server {workspace_version()}"


@pytest.fixture()
def release_server(archive: Path) -> Iterator[str]:
    """The release files over HTTP on loopback, as the GitHub Release would serve them."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(archive.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def test_shell_installer_installs_a_working_binary(build: dict, release_server: str,
                                                   tmp_path: Path) -> None:
    installers = [p for p in built(build, "installer") if p.name == "claude-server-installer.sh"]
    assert len(installers) == 1 and installers[0].exists()
    dest = tmp_path / "bin"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "CLAUDE_SERVER_DOWNLOAD_URL": release_server,  # instead of the GitHub Release
           "CLAUDE_SERVER_UNMANAGED_INSTALL": str(dest)}  # install here, leave PATH alone
    p = subprocess.run(["sh", str(installers[0])], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no checksums to verify" not in p.stdout + p.stderr  # the SHA-256 is embedded and checked
    out = subprocess.run([str(dest / "claude-server"), "--version"], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == f"claude-server {workspace_version()}", out


def test_installer_rejects_a_tampered_archive(build: dict, archive: Path, tmp_path: Path) -> None:
    # The installer embeds the archive's SHA-256: a different file under the same name is refused.
    installer = next(p for p in built(build, "installer") if p.name == "claude-server-installer.sh")
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / archive.name, "w:gz") as tar:
        tar.add(installer, arcname="claude-server")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
               "CLAUDE_SERVER_DOWNLOAD_URL": f"http://127.0.0.1:{httpd.server_address[1]}",
               "CLAUDE_SERVER_UNMANAGED_INSTALL": str(tmp_path / "bin")}
        p = subprocess.run(["sh", str(installer)], env=env, capture_output=True, text=True, timeout=120)
    finally:
        httpd.shutdown()
    assert p.returncode != 0
    assert "checksum" in (p.stdout + p.stderr).lower(), p.stdout + p.stderr
    assert not (tmp_path / "bin" / "claude-server").exists()
