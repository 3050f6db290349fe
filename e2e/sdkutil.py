"""Small helpers shared by the SDK suites: scripted prompts, a real PNG, raw SSE requests."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import httpx

from harness import sse_events


def png_1x1(rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid 2x2 RGB PNG, built by hand (no imaging library in the venv)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * 2 for _ in range(2))
    ihdr = struct.pack("!IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


WEATHER_TOOL_ANTHROPIC = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
NOTE_TOOL_ANTHROPIC = {
    "name": "save_note",
    "description": "Save a note.",
    "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
}
WEATHER_TOOL_OPENAI = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": WEATHER_TOOL_ANTHROPIC["input_schema"],
    },
}
NOTE_TOOL_OPENAI = {
    "type": "function",
    "function": {"name": "save_note", "description": "Save a note.", "parameters": NOTE_TOOL_ANTHROPIC["input_schema"]},
}

# Tool input with unicode, quotes, backslashes and a newline; written as the raw JSON text the
# simulator streams (cut into fragments), so reassembly must be byte-exact.
TRICKY_INPUT = {"text": 'héllo "quoted" \\ back\nline two ✓ 日本語'}
TRICKY_JSON = json.dumps(TRICKY_INPUT, ensure_ascii=False)


def raw_stream(base_url: str, path: str, key: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[httpx.Response, list[tuple[str | None, str]]]:
    """POSTs a streaming request with plain httpx and returns the response and its SSE events."""
    h = {"x-api-key": key, "authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"}
    h.update(headers or {})
    with httpx.Client(timeout=30) as c:
        r = c.post(base_url + path, json=body, headers=h)
    return r, sse_events(r.text)


def upstream_text(entries: list[dict[str, Any]]) -> str:
    """Everything the gateway sent upstream in these simulator log entries, as one string."""
    return "\n".join(json.dumps(e.get("json"), ensure_ascii=False) for e in entries)
