"""Loopback DNS logger for the network-isolated run (client doc §5.3).

`e2e/run.sh` starts pytest inside `unshare -n -m` (a network namespace with only `lo`) and
bind-mounts a resolv.conf that says `nameserver 127.0.0.1`. Any non-loopback connect() then fails
with ENETUNREACH, and every name lookup a client tries lands here: this server answers NXDOMAIN
and records the name, so a test can assert that a client (Claude Code) looked nothing up.
"""

from __future__ import annotations

import socket
import struct
import threading


def _question(packet: bytes) -> tuple[str, bytes]:
    """The first question's name and its raw bytes (name + QTYPE + QCLASS)."""
    labels, i = [], 12
    while i < len(packet):
        n = packet[i]
        if n == 0 or n & 0xC0:
            break
        labels.append(packet[i + 1 : i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels), packet[12 : i + 5]


class DnsLog:
    """UDP DNS server on 127.0.0.1:53 answering NXDOMAIN to everything and logging the names."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dnslog", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                packet, peer = self.sock.recvfrom(4096)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if len(packet) < 12:
                continue
            name, question = _question(packet)
            with self._lock:
                self.names.append(name)
            (qid,) = struct.unpack("!H", packet[:2])
            # Response, recursion available, RCODE 3 (NXDOMAIN); echo the question only.
            header = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0)
            self.sock.sendto(header + question, peer)

    def mark(self) -> int:
        with self._lock:
            return len(self.names)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return list(self.names[mark:])

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(2)
