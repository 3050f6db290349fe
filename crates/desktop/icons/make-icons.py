#!/usr/bin/env python3
"""Draws the app icon — our own simple art, no third-party images: an amber rounded square with a
white gateway arch and a dot. Pure standard library (zlib + struct), 4x4 supersampled. The PNGs are
committed; rerun `python3 icons/make-icons.py` only to change the art."""
import math
import struct
import zlib
from pathlib import Path

AMBER = (217, 119, 6)
WHITE = (255, 255, 255)


def shade(x: float, y: float) -> tuple | None:
    """Colour of the point (x, y) in the unit square, or None when transparent."""
    r = 0.2  # corner radius of the rounded square
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if math.hypot(x - cx, y - cy) > r:
        return None
    # arch: upper half of a ring centred at (0.5, 0.62) plus two legs down to y = 0.8
    d = math.hypot(x - 0.5, y - 0.62)
    if y <= 0.62 and 0.22 <= d <= 0.31:
        return WHITE
    if 0.62 < y <= 0.8 and (0.19 <= x <= 0.28 or 0.72 <= x <= 0.81):
        return WHITE
    if math.hypot(x - 0.5, y - 0.6) <= 0.08:
        return WHITE
    return AMBER


def render(size: int) -> bytes:
    ss = 4
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type 0
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = shade((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    if c is not None:
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = ss * ss
            a = acc[3] // n
            cover = max(acc[3] // 255, 1)
            row += bytes([acc[0] // cover, acc[1] // cover, acc[2] // cover, a])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def ico(pngs: list[tuple[int, bytes]]) -> bytes:
    """A Windows .ico holding PNG images (allowed since Vista). tauri-build embeds icons/icon.ico
    into the Windows executable, and Tauri's bundler uses it for the installer."""
    head = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(head) + 16 * len(pngs)
    entries, data = b"", b""
    for size, png in pngs:
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return head + entries + data


here = Path(__file__).resolve().parent
for n in (32, 128, 256):
    (here / f"{n}x{n}.png").write_bytes(render(n))
(here / "icon.ico").write_bytes(ico([(n, render(n)) for n in (32, 128, 256)]))
(here / "icon.png").write_bytes(render(256))
(here.parent / "ui" / "icon.png").write_bytes(render(32))  # the status page's logo
