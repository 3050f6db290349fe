"""The release configuration (dist-workspace.toml, crates/gateway/dist.toml) and the workflows it
generates: the plan lists every artifact of the six platforms, the checked-in release workflow is
current (and a stale one is caught), every workflow passes actionlint with shellcheck, the alias
step gives the original archive names, and build.sh reports what it cannot build. Runs in `make test`
(no compilation: dist only reads the manifests)."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import io
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from support import (ACTIONLINT, DIST, REPO, TARGETS, VENV_BIN, copy_repo, dist_json, run,
                     tool_env, workspace_version)

WORKFLOWS = REPO / ".github" / "workflows"
GENERATED = WORKFLOWS / "release.yml"


@pytest.fixture(scope="module")
def plan() -> dict:
    return dist_json(["plan"])


def test_tools_are_the_pinned_versions() -> None:
    assert run([DIST, "--version"]).stdout.strip() == "cargo-dist 0.33.0"
    config = (REPO / "dist-workspace.toml").read_text()
    assert 'cargo-dist-version = "0.33.0"' in config


def test_plan_lists_every_artifact(plan: dict) -> None:
    version = workspace_version()
    assert plan["announcement_tag"] == f"v{version}"
    archives = {f"claude-server-{t}{'.zip' if 'windows' in t else '.tar.gz'}" for t in TARGETS}
    expected = (archives | {f"{a}.sha256" for a in archives}
                | {"claude-server-installer.sh", "claude-server-installer.ps1", "claude-server.rb",
                   "sha256.sum", "source.tar.gz", "source.tar.gz.sha256"})
    assert set(plan["artifacts"]) == expected
    (release,) = plan["releases"]
    assert (release["app_name"], release["app_version"]) == ("claude-server", version)
    assert set(release["artifacts"]) == expected
    for name in archives:
        artifact = plan["artifacts"][name]
        assert artifact["kind"] == "executable-zip"
        assert artifact["checksum"] == f"{name}.sha256"
        binary = "claude-server.exe" if name.endswith(".zip") else "claude-server"
        contents = {a["path"] for a in artifact["assets"]}
        assert {binary, "config.example.yaml", "README.md", "LICENSE"} <= contents, contents


def test_every_platform_builds_on_a_native_runner(plan: dict) -> None:
    matrix = plan["ci"]["github"]["artifacts_matrix"]["include"]
    by_target = {entry["targets"][0]: entry for entry in matrix}
    assert set(by_target) == set(TARGETS)
    for target, entry in by_target.items():
        arch, host = target.split("-")[0], entry["host"]
        assert host.split("-")[0] == arch, (target, entry["runner"], host)
        os_word = next(w for w in ("linux", "apple", "windows") if w in target)
        assert os_word in host, (target, entry["runner"], host)
        # Linux builds run in a manylinux_2_28 container (glibc 2.28) of the runner's own CPU.
        if "linux" in target:
            assert entry["container"]["image"] == f"quay.io/pypa/manylinux_2_28_{arch}", entry
        else:
            assert "container" not in entry, (target, entry)
        assert entry["dist_args"] == f"--artifacts=local --target={target}"


def test_checked_in_release_workflow_is_current() -> None:
    p = run([DIST, "generate", "--check"])
    assert p.returncode == 0, p.stderr[-4000:]


@pytest.mark.parametrize("change", ["edit the workflow", "change the configuration"])
def test_stale_release_workflow_is_detected(tmp_path: Path, change: str) -> None:
    copy = copy_repo(tmp_path / "repo")
    assert run([DIST, "generate", "--check"], cwd=copy).returncode == 0  # the copy starts current
    if change == "edit the workflow":
        wf = copy / ".github" / "workflows" / "release.yml"
        wf.write_text(wf.read_text().replace('"ubuntu-22.04"', '"ubuntu-20.04"', 1))
    else:
        cfg = copy / "dist-workspace.toml"
        cfg.write_text(cfg.read_text().replace('pr-run-mode = "plan"', 'pr-run-mode = "upload"'))
    p = run([DIST, "generate", "--check"], cwd=copy)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "release.yml" in p.stderr and "out of date" in p.stderr, p.stderr[-2000:]
    # ...and `dist generate` is the fix.
    assert run([DIST, "generate"], cwd=copy).returncode == 0
    assert run([DIST, "generate", "--check"], cwd=copy).returncode == 0


def test_hand_written_workflows_pass_actionlint() -> None:
    assert (VENV_BIN / "shellcheck").exists()  # actionlint silently skips scripts without it
    files = sorted(p for p in WORKFLOWS.glob("*.yml") if p != GENERATED)
    assert {p.name for p in files} >= {"ci.yml", "release-desktop.yml", "release-aliases.yml"}
    p = run([ACTIONLINT, "-no-color", *files])
    assert p.returncode == 0, p.stdout + p.stderr


def test_generated_release_workflow_passes_actionlint() -> None:
    # dist's template has a few shellcheck info/style notes (unquoted $GITHUB_PATH and an
    # intentionally unquoted optional flag); those are upstream's and the file must stay as
    # generated, so shellcheck reports warnings and errors here.
    env = tool_env() | {"SHELLCHECK_OPTS": "--severity=warning"}
    p = run([ACTIONLINT, "-no-color", GENERATED], env=env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    # The lint above can fail: a job that needs an unknown job and a script with an unquoted
    # variable are both reported.
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    needs: [nope]\n    runs-on: ubuntu-22.04\n"
                   "    steps:\n      - run: echo $HOME > $GITHUB_PATH\n")
    p = run([ACTIONLINT, "-no-color", bad])
    assert p.returncode != 0
    assert "nope" in p.stdout and "SC2086" in p.stdout, p.stdout


def test_release_workflow_runs_the_custom_jobs() -> None:
    text = GENERATED.read_text()
    assert "uses: ./.github/workflows/release-desktop.yml" in text
    assert "uses: ./.github/workflows/release-aliases.yml" in text
    # The console is built before every platform build (it is embedded into the binary).
    assert "cd web && npm ci --no-audit --no-fund && npm run build" in text


def fake_dist_archives(plan: dict, into: Path, skip: str = "") -> dict[str, bytes]:
    """Archives laid out as dist makes them (tarballs with one top folder claude-server-<triple>/,
    flat zips), one per executable-zip of the plan, each with distinct contents. Returns the bytes
    of each archive's claude-server binary stand-in, by target."""
    into.mkdir(parents=True, exist_ok=True)
    binaries = {}
    for name, artifact in plan["artifacts"].items():
        if artifact["kind"] != "executable-zip" or (skip and skip in name):
            continue
        (target,) = artifact["target_triples"]
        binaries[target] = f"binary for {target}".encode()
        files = {a["path"]: (binaries[target] if a["kind"] == "executable" else a["name"].encode())
                 for a in artifact["assets"]}
        if name.endswith(".zip"):
            with zipfile.ZipFile(into / name, "w") as z:
                for path, data in files.items():
                    z.writestr(path, data)
        else:
            with tarfile.open(into / name, "w:gz") as tar:
                for path, data in files.items():
                    info = tarfile.TarInfo(f"claude-server-{target}/{path}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return binaries


def test_aliases_give_the_original_archive_names_and_layout(plan: dict, tmp_path: Path) -> None:
    binaries = fake_dist_archives(plan, tmp_path / "local")
    out = tmp_path / "aliases"
    p = run(["bash", REPO / "release" / "alias-archives.sh", tmp_path / "local", out])
    assert p.returncode == 0, p.stderr
    want = {f"claude-server-{plat}{'.zip' if 'windows' in plat else '.tar.gz'}"
            for plat in TARGETS.values()}
    assert {f.name for f in out.iterdir()} == want | {f"{n}.sha256" for n in want}
    for target, plat in TARGETS.items():
        alias = out / f"claude-server-{plat}{'.zip' if 'windows' in target else '.tar.gz'}"
        if alias.suffix == ".zip":
            with zipfile.ZipFile(alias) as z:
                files = {n: z.read(n) for n in z.namelist()}
            binary = "claude-server.exe"
        else:  # flat, as ./build.sh makes them
            with tarfile.open(alias) as tar:
                files = {m.name.removeprefix("./"): tar.extractfile(m).read()
                         for m in tar.getmembers() if m.isfile()}
            binary = "claude-server"
        assert {binary, "config.example.yaml", "README.md", "LICENSE"} <= set(files), files.keys()
        assert files[binary] == binaries[target]
        digest = hashlib.sha256(alias.read_bytes()).hexdigest()
        assert (out / f"{alias.name}.sha256").read_text() == f"{digest}  {alias.name}\n"
    check = subprocess.run(["sha256sum", "-c", *[f"{n}.sha256" for n in sorted(want)]], cwd=out,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_aliases_fail_when_a_platform_is_missing(plan: dict, tmp_path: Path) -> None:
    fake_dist_archives(plan, tmp_path / "local", skip="aarch64-apple-darwin")
    p = run(["bash", REPO / "release" / "alias-archives.sh", tmp_path / "local", tmp_path / "out"])
    assert p.returncode != 0
    assert "missing" in p.stderr and "aarch64-apple-darwin" in p.stderr, p.stderr


def test_build_sh_skips_a_platform_without_its_toolchain_and_names_the_release_workflow(
        tmp_path: Path) -> None:
    # darwin/arm64 from Linux: build.sh must say what is missing and how to get it. The PATH
    # leaves out any osxcross install, so the linker is missing on every machine and no
    # compilation happens on this path.
    env = tool_env()
    env["PATH"] = os.pathsep.join(
        d for d in env.get("PATH", "").split(os.pathsep)
        if not (Path(d) / "oa64-clang").exists())
    p = run(["./build.sh", "server", "-p", "darwin/arm64", "-p", "windows/arm64"], timeout=120,
            env=env)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for plat, triple in (("darwin/arm64", "aarch64-apple-darwin"),
                         ("windows/arm64", "aarch64-pc-windows-gnullvm")):
        line = next((ln for ln in out.splitlines() if ln.startswith(f"build.sh: SKIPPED {plat} ")), "")
        assert (f"rustup target add {triple}" in line
                or (f"no cross toolchain for {triple}" in line and "CARGO_TARGET_" in line)), out
    assert "skipped: darwin/arm64 windows/arm64" in out
    assert ".github/workflows/release.yml" in out
    assert not (REPO / "dist" / "server" / "claude-server-darwin-arm64.tar.gz").exists()


def test_build_sh_rejects_an_unknown_platform() -> None:
    p = run(["./build.sh", "server", "-p", "plan9/amd64"], timeout=60)
    assert p.returncode == 2
    assert "unknown platform 'plan9/amd64'" in p.stderr


def test_readme_download_section_matches_the_release() -> None:
    """Both READMEs' download URLs point at the repository dist publishes to, and every file the
    Download table names is one the release workflow produces."""
    repo = tomllib.loads((REPO / "crates" / "gateway" / "dist.toml").read_text())["package"]["repository"]
    produced = (REPO / "release" / "alias-archives.sh").read_text() + (
        REPO / "release" / "desktop-bundle.sh").read_text()
    for readme in ("README.md", "README.zh-CN.md"):
        text = (REPO / readme).read_text()
        urls = re.findall(r"https://github\.com/[^\s`)\"]+", text)
        assert urls, readme
        assert all(u.startswith(repo + "/releases") for u in urls), (readme, urls)
        table = text.split("## ", 2)[1]  # the first section: Download
        names = re.findall(r"`((?:claude-server|Claude-API-Server)-[a-zA-Z]+(?:-[a-z0-9]+)*\.(?:tar\.gz|zip|deb|exe))`", table)
        assert len(set(names)) == 11, (readme, names)  # 6 server archives, 5 desktop files
        for name in names:
            plat = name.removeprefix("claude-server-").rsplit(".tar.gz", 1)[0].rsplit(".zip", 1)[0]
            if name.startswith("claude-server-"):
                assert plat in TARGETS.values(), (readme, name)
            else:
                stem = name.split("-linux-")[0] + "-linux-$ARCH.deb" if "-linux-" in name else name
                assert stem in produced, (readme, name)


def test_release_scripts_pass_shellcheck() -> None:
    scripts = [REPO / "build.sh", REPO / ".github" / "ci-services.sh",
               *sorted((REPO / "release").glob("*.sh"))]
    assert len(scripts) >= 5
    p = run([VENV_BIN / "shellcheck", *scripts])
    assert p.returncode == 0, p.stdout + p.stderr
