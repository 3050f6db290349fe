"""Processes and /proc samplers for the benchmark runner (performance-anchors.md §4.1 items 4-5).

* `Proc`: a child in its own process group, pinned with `taskset -c CPU`, output to a log file,
  stopped with SIGTERM then SIGKILL of its group.
* `wait_for_line`, `stop_group`, `tail`: the process-group plumbing under `Proc`, stdlib only; the
  e2e harness (e2e/harness.py) starts and stops its binaries with them too.
* `cpu_seconds(pid)`: utime + stime of the whole process (all threads) from /proc/PID/stat.
* `Sampler`: a thread that records RSS (VmRSS), open fds and CPU time every 100 ms.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


class ProcError(RuntimeError):
    pass


class Proc:
    def __init__(self, argv: list[str], log: Path, cpu: int | None = None, env: dict | None = None,
                 cwd: str | None = None):
        self.log = log
        self._fh = open(log, "wb")
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu), *argv]
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, stdout=self._fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_line(self, pattern: str, timeout: float = 60) -> re.Match:
        return wait_for_line(self.log, pattern, self.proc, timeout, ProcError)

    def stop(self, grace: float = 5.0) -> int | None:
        rc = stop_group(self.proc, grace)
        self._fh.close()
        return rc


def wait_for_line(log: Path, pattern: str, proc: subprocess.Popen, timeout: float,
                  error: type[Exception] = ProcError, tail_lines: int = 30) -> re.Match:
    """Polls `log` until `pattern` matches (the binaries print their address at start); raises
    `error` with the log's tail when the process exits first or `timeout` seconds pass."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        m = rx.search(text)
        if m:
            return m
        if proc.poll() is not None:
            raise error(f"{log.name}: process exited with {proc.returncode}:\n{tail(log, tail_lines)}")
        time.sleep(0.05)
    raise error(f"{log.name}: no line matching {pattern!r} within {timeout}s:\n{tail(log, tail_lines)}")


def stop_group(proc: subprocess.Popen, grace: float) -> int | None:
    """SIGTERM (graceful shutdown), then SIGKILL of the whole process group after `grace` seconds,
    so no grandchild outlives it. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait(5)


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of `pid`, in seconds (10 ms resolution)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def target_pid(p: Proc) -> int:
    """The pid to sample: with `taskset` exec'ing the program the pid is the program's own."""
    return p.pid


class Sampler:
    """Samples RSS (KiB), fds and CPU seconds of `pid` every `interval` s until stopped."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int, int, float]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(
                    (time.monotonic() - self._t0, rss_kib(self.pid), fd_count(self.pid), cpu_seconds(self.pid))
                )
            except OSError:
                return
            self._stop.wait(self.interval)

    def peak_rss(self) -> int:
        return max((s[1] for s in self.samples), default=0)

    def peak_fds(self) -> int:
        return max((s[2] for s in self.samples), default=0)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
