"""Anthropic Messages through the official `anthropic` SDK (2.14.0) against the real binaries.

Test names carry the item numbers of the client doc's §4 checklist (items 1–38). Upstream answers
are scripted with the simulator's directive lines in the user message (`#say`, `#tool`, `#fault`…),
so every expectation below is exact.
"""

from __future__ import annotations

import base64
import json
import re
import time


import anthropic
import httpx
import openai
import pytest

from conftest import MODEL, Stack
from sdkutil import (
    NOTE_TOOL_ANTHROPIC,
    TRICKY_INPUT,
    TRICKY_JSON,
    WEATHER_TOOL_ANTHROPIC,
    png_1x1,
    raw_stream,
    upstream_text,
)

ERROR_TYPES = {
    "invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
    "request_too_large", "rate_limit_error", "api_error", "timeout_error", "overloaded_error",
}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def oai_for_ant(stack: Stack):
    c = openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.api_key, max_retries=0, timeout=30)
    yield c
    c.close()


def test_01_02_nonstream_text_shape(ant: anthropic.Anthropic) -> None:
    raw = ant.messages.with_raw_response.create(model=MODEL, max_tokens=200, messages=user("#say Hello from the sim"))
    assert raw.headers["content-type"].startswith("application/json")
    m = raw.parse()
    assert m.type == "message" and m.role == "assistant"
    assert m.id.startswith("msg_")
    assert m.stop_reason == "end_turn" and m.stop_sequence is None
    assert m.usage.input_tokens > 0 and m.usage.output_tokens > 0
    assert [b.type for b in m.content] == ["text"] and m.content[0].text == "Hello from the sim"
    assert m.model == MODEL  # item 2: echoes the client's name


def test_03_stream_final_message_equals_nonstream(ant: anthropic.Anthropic) -> None:
    prompt = user("#split fixed 3\n#say The quick brown fox jumps over the lazy dog.")
    plain = ant.messages.create(model=MODEL, max_tokens=200, messages=prompt)
    with ant.messages.stream(model=MODEL, max_tokens=200, messages=prompt) as s:
        deltas = list(s.text_stream)
        final = s.get_final_message()
    assert len(deltas) > 1, "text should arrive in several deltas"
    assert "".join(deltas) == final.content[0].text == plain.content[0].text == "The quick brown fox jumps over the lazy dog."
    assert final.model == MODEL


def _check_grammar(events: list[tuple[str | None, str]]) -> list[dict]:
    """Items 4–9: event names, order, indices, delta types, usage."""
    datas = []
    for name, data in events:
        if name == "#comment":
            continue
        d = json.loads(data)
        assert name == d["type"], f"event: line {name!r} != data.type {d['type']!r}"  # item 4
        datas.append(d)
    types = [d["type"] for d in datas]
    seq = " ".join(types)
    # item 5
    assert re.fullmatch(
        r"message_start( ping| content_block_start( ping| content_block_delta)* content_block_stop)* message_delta( ping)* message_stop",
        seq,
    ), seq
    start = datas[0]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0  # item 6
    open_block, block_types, next_index = None, {}, 0
    for d in datas:
        if d["type"] == "content_block_start":
            assert open_block is None and d["index"] == next_index  # item 7
            open_block, next_index = d["index"], next_index + 1
            block_types[d["index"]] = d["content_block"]["type"]
        elif d["type"] == "content_block_delta":
            assert d["index"] == open_block
            allowed = {"text": {"text_delta"}, "tool_use": {"input_json_delta"}, "thinking": {"thinking_delta", "signature_delta"}}
            assert d["delta"]["type"] in allowed[block_types[d["index"]]]  # item 8
        elif d["type"] == "content_block_stop":
            assert d["index"] == open_block
            open_block = None
    delta = next(d for d in datas if d["type"] == "message_delta")
    out = delta["usage"]["output_tokens"]
    assert isinstance(out, int) and out >= start["usage"]["output_tokens"]  # item 9
    return datas


def test_04_to_09_raw_stream_grammar(stack: Stack) -> None:
    body = {"model": MODEL, "max_tokens": 3000, "stream": True, "tools": [WEATHER_TOOL_ANTHROPIC],
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": user('#thinking Let me think.\n#say Checking.\n#tool fragments=4 get_weather {"city": "Paris"}')}
    r, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    datas = _check_grammar(events)
    starts = [d["content_block"]["type"] for d in datas if d["type"] == "content_block_start"]
    assert starts == ["thinking", "text", "tool_use"], starts


def test_10_11_tool_turn_stream_and_nonstream(ant: anthropic.Anthropic, stack: Stack) -> None:
    prompt = user('#say Let me check.\n#tool fragments=5 get_weather {"city": "Paris", "unit": "celsius"}')
    m = ant.messages.create(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL_ANTHROPIC], messages=prompt)
    assert m.stop_reason == "tool_use" and m.content[-1].type == "tool_use"
    assert m.content[-1].input == {"city": "Paris", "unit": "celsius"}
    body = {"model": MODEL, "max_tokens": 300, "stream": True, "tools": [WEATHER_TOOL_ANTHROPIC], "messages": prompt}
    _, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    datas = [json.loads(d) for n, d in events if n != "#comment"]
    tool_start = next(d for d in datas if d["type"] == "content_block_start" and d["content_block"]["type"] == "tool_use")
    assert tool_start["content_block"]["input"] == {}
    parts = [d["delta"]["partial_json"] for d in datas if d["type"] == "content_block_delta" and d["index"] == tool_start["index"]]
    assert json.loads("".join(parts)) == {"city": "Paris", "unit": "celsius"}
    assert next(d for d in datas if d["type"] == "message_delta")["delta"]["stop_reason"] == "tool_use"


def test_12_tool_input_unicode_quotes_newlines_roundtrip(ant: anthropic.Anthropic) -> None:
    prompt = user(f"#tool fragments=7 save_note {TRICKY_JSON}")
    with ant.messages.stream(model=MODEL, max_tokens=300, tools=[NOTE_TOOL_ANTHROPIC], messages=prompt) as s:
        final = s.get_final_message()
    assert final.content[-1].type == "tool_use" and final.content[-1].input == TRICKY_INPUT


def test_13_parallel_tool_calls(ant: anthropic.Anthropic) -> None:
    prompt = user('#tool fragments=3 get_weather {"city": "Paris"}\n#tool fragments=3 get_weather {"city": "Tokyo"}')
    with ant.messages.stream(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL_ANTHROPIC], messages=prompt) as s:
        final = s.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert [u.input for u in uses] == [{"city": "Paris"}, {"city": "Tokyo"}]
    assert len({u.id for u in uses}) == 2 and all(re.match(r"^toolu_", u.id) for u in uses)
    assert final.stop_reason == "tool_use"


def test_14_15_tool_history_variants(ant: anthropic.Anthropic, stack: Stack) -> None:
    png = base64.b64encode(png_1x1()).decode()
    uses = [{"type": "tool_use", "id": f"toolu_hist{i}", "name": "get_weather", "input": {"city": c}}
            for i, c in enumerate(["Paris", "Rome", "Oslo", "Lima", "Kyiv"])]
    results = [
        {"type": "tool_result", "tool_use_id": "toolu_hist0", "content": "18C sunny"},
        {"type": "tool_result", "tool_use_id": "toolu_hist1", "content": [{"type": "text", "text": "21C"}]},
        {"type": "tool_result", "tool_use_id": "toolu_hist2", "content": "city not found", "is_error": True},
        {"type": "tool_result", "tool_use_id": "toolu_hist3"},
        {"type": "tool_result", "tool_use_id": "toolu_hist4",
         "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}]},
    ]
    seq = stack.sim.next_seq()
    m = ant.messages.create(model=MODEL, max_tokens=200, tools=[WEATHER_TOOL_ANTHROPIC], messages=[
        {"role": "user", "content": "weather please"},
        {"role": "assistant", "content": [{"type": "text", "text": "Checking."}, *uses]},
        {"role": "user", "content": [*results, {"type": "text", "text": "#say Summary done."}]},
    ])
    assert m.content[0].text == "Summary done."
    sent = upstream_text(stack.sim.chat_requests(seq))
    assert "18C sunny" in sent and "21C" in sent and "city not found" in sent


def test_16_system_string_and_blocks(ant: anthropic.Anthropic) -> None:
    a = ant.messages.create(model=MODEL, max_tokens=100, system="You are terse.", messages=user("#say ok1"))
    b = ant.messages.create(model=MODEL, max_tokens=100, messages=user("#say ok2"), system=[
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=1"},
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
    ])
    assert a.content[0].text == "ok1" and b.content[0].text == "ok2"


def test_17_system_role_inside_messages_reaches_upstream(stack: Stack) -> None:
    seq = stack.sim.next_seq()
    body = {"model": MODEL, "max_tokens": 100, "messages": [
        {"role": "user", "content": "#say fine"},
        {"role": "system", "content": "MID-CONVERSATION-SYSTEM-MARKER"},
    ]}
    r = httpx.post(stack.url + "/v1/messages", json=body, headers={"x-api-key": stack.api_key}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"] == "fine"
    assert "MID-CONVERSATION-SYSTEM-MARKER" in upstream_text(stack.sim.chat_requests(seq))


@pytest.mark.parametrize("thinking", [
    {"type": "enabled", "budget_tokens": 31999}, {"type": "adaptive"}, {"type": "disabled"},
], ids=["enabled", "adaptive", "disabled"])
def test_18_thinking_variants_accepted(ant: anthropic.Anthropic, thinking: dict) -> None:
    # With thinking off the gateway asks for no reasoning, so the scripted model gives none.
    script = "#say done" if thinking["type"] == "disabled" else "#thinking hmm\n#say done"
    m = ant.messages.create(model=MODEL, max_tokens=32000, thinking=thinking, messages=user(script))
    texts = [b.text for b in m.content if b.type == "text"]
    assert texts == ["done"]
    th = [b for b in m.content if b.type == "thinking"]
    if thinking["type"] == "disabled":
        assert th == []
    else:
        assert th and "hmm" in th[0].thinking and th[0].signature


def test_18b_thinking_stream_blocks(ant: anthropic.Anthropic) -> None:
    prompt = user("#split fixed 4\n#thinking-split Weighing the options carefully.\n#say The answer is 42.")
    with ant.messages.stream(model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}, messages=prompt) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert "Weighing the options carefully." in final.content[0].thinking and final.content[0].signature
    assert final.content[1].text == "The answer is 42." and "<thinking>" not in final.content[1].text


def test_19_thinking_history_dropped_before_upstream(ant: anthropic.Anthropic, stack: Stack) -> None:
    seq = stack.sim.next_seq()
    m = ant.messages.create(model=MODEL, max_tokens=100, messages=[
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "SECRET-THOUGHT-MARKER", "signature": "sig-anything"},
            {"type": "redacted_thinking", "data": "REDACTED-MARKER"},
            {"type": "text", "text": "visible answer"},
        ]},
        {"role": "user", "content": "#say second"},
    ])
    assert m.content[0].text == "second"
    sent = upstream_text(stack.sim.chat_requests(seq))
    assert "visible answer" in sent
    assert "SECRET-THOUGHT-MARKER" not in sent and "REDACTED-MARKER" not in sent


def test_20_21_unknown_fields_betas_and_query(stack: Stack) -> None:
    body = {"model": MODEL, "max_tokens": 100, "messages": user("#say extras ok"),
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "output_config": {"effort": "high"}, "metadata": {"user_id": "{\"device\":\"x\"}"},
            "service_tier": "auto", "speed": "fast", "foo": {"bar": 1}}
    h = {"x-api-key": stack.api_key, "anthropic-version": "2023-06-01",
         "anthropic-beta": "claude-code-20250219,made-up-beta-2099-01-01"}
    for path in ("/v1/messages", "/v1/messages?beta=true"):
        r = httpx.post(stack.url + path, json=body, headers=h, timeout=30)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["content"][0]["text"] == "extras ok"


def test_22_auth_variants(stack: Stack) -> None:
    body = {"model": MODEL, "max_tokens": 50, "messages": user("#say auth ok")}
    k = stack.api_key
    for h in ({"x-api-key": k}, {"authorization": f"Bearer {k}"}, {"x-api-key": k, "authorization": f"Bearer {k}"}):
        r = httpx.post(stack.url + "/v1/messages", json=body, headers=h, timeout=30)
        assert r.status_code == 200, (h.keys(), r.text)
    for h in ({}, {"x-api-key": "sk-wrong-key"}):
        r = httpx.post(stack.url + "/v1/messages", json=body, headers=h, timeout=30)
        assert r.status_code == 401
        j = r.json()
        assert j["type"] == "error" and j["error"]["type"] == "authentication_error" and j["error"]["message"]


def test_22b_sdk_authentication_error(stack: Stack) -> None:
    c = anthropic.Anthropic(base_url=stack.url, api_key="sk-not-a-key", max_retries=0, timeout=30)
    with pytest.raises(anthropic.AuthenticationError):
        c.messages.create(model=MODEL, max_tokens=10, messages=user("hi"))


def test_23_missing_fields_400(ant: anthropic.Anthropic, stack: Stack) -> None:
    h = {"x-api-key": stack.api_key}
    r = httpx.post(stack.url + "/v1/messages", json={"model": MODEL, "messages": user("hi")}, headers=h, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(stack.url + "/v1/messages", json={"model": MODEL, "max_tokens": 10}, headers=h, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.BadRequestError):
        ant.messages.create(model=MODEL, max_tokens=10, messages=[])


def test_24_unknown_model_404(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as e:
        ant.messages.create(model="claude-nonexistent-9", max_tokens=10, messages=user("hi"))
    assert e.value.body["error"]["type"] == "not_found_error"


def test_25_error_bodies_and_request_id(stack: Stack) -> None:
    h = {"x-api-key": stack.api_key}
    cases = [
        ({"model": MODEL, "messages": user("hi")}, h),
        ({"model": "claude-nonexistent-9", "max_tokens": 5, "messages": user("hi")}, h),
        ({"model": MODEL, "max_tokens": 5, "messages": user("hi")}, {"x-api-key": "nope"}),
        ({"model": MODEL, "max_tokens": 5, "messages": user("overflow")}, h),
    ]
    for body, headers in cases:
        if body["messages"][0]["content"] == "overflow":
            stack.sim.fault("input-too-long")
        r = httpx.post(stack.url + "/v1/messages", json=body, headers=headers, timeout=30)
        assert r.status_code >= 400
        j = r.json()
        assert j["type"] == "error" and j["error"]["type"] in ERROR_TYPES and j["error"]["message"], j
        assert r.headers.get("request-id"), dict(r.headers)


def test_26_upstream_throttling(ant: anthropic.Anthropic, stack: Stack) -> None:
    # Every attempt (the gateway retries on the other account) is throttled.
    stack.sim.fault("throttled", count=3)
    raw = ant.messages.with_raw_response
    with pytest.raises((anthropic.RateLimitError, anthropic.APIStatusError)) as e:
        raw.create(model=MODEL, max_tokens=10, messages=user("#say never"))
    err = e.value
    assert err.status_code in (429, 529), err.status_code
    if err.status_code == 429:
        assert isinstance(err, anthropic.RateLimitError)
        assert err.body["error"]["type"] == "rate_limit_error"
        assert int(err.response.headers["retry-after"]) >= 0
    else:
        assert err.body["error"]["type"] == "overloaded_error"


def test_26b_key_rate_limit_429_retry_after(stack: Stack) -> None:
    key = stack.admin.create_key("e2e-rpm2", rpm=2)["secret"]
    c = anthropic.Anthropic(base_url=stack.url, api_key=key, max_retries=0, timeout=30)
    for _ in range(2):
        c.messages.create(model=MODEL, max_tokens=10, messages=user("#say ok"))
    with pytest.raises(anthropic.RateLimitError) as e:
        c.messages.create(model=MODEL, max_tokens=10, messages=user("#say ok"))
    assert int(e.value.response.headers["retry-after"]) >= 1
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"] == "rate_limit_error"


def test_27_context_overflow_message(ant: anthropic.Anthropic, stack: Stack) -> None:
    stack.sim.fault("input-too-long")
    with pytest.raises(anthropic.BadRequestError) as e:
        ant.messages.create(model=MODEL, max_tokens=10, messages=user("#say never"))
    assert re.search(r"prompt is too long: \d+ tokens > \d+ maximum", e.value.body["error"]["message"]), e.value.body


def test_27b_real_oversized_prompt(ant: anthropic.Anthropic) -> None:
    """A prompt beyond the 200 k window (≈ 1.6 MB of text) is refused with the overflow text."""
    big = "lorem ipsum dolor sit amet " * 60_000
    with pytest.raises(anthropic.BadRequestError) as e:
        ant.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=user(big))
    m = re.search(r"prompt is too long: (\d+) tokens > (\d+) maximum", e.value.body["error"]["message"])
    assert m and int(m.group(1)) > int(m.group(2)), e.value.body


def test_28_midstream_error_event(ant: anthropic.Anthropic, stack: Stack) -> None:
    prompt = user("#split fixed 2\n#say abcdefghijklmnop\n#fault exception:3")
    with pytest.raises(anthropic.APIStatusError):
        with ant.messages.stream(model=MODEL, max_tokens=100, messages=prompt) as s:
            s.get_final_message()
    body = {"model": MODEL, "max_tokens": 100, "stream": True, "messages": prompt}
    r, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    assert r.status_code == 200
    names = [n for n, _ in events if n != "#comment"]
    assert names[0] == "message_start" and names[-1] == "error", names
    err = json.loads(events[-1][1])
    assert err["type"] == "error" and err["error"]["type"] in ERROR_TYPES


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
def test_29_stop_sequences(ant: anthropic.Anthropic, stream: bool) -> None:
    prompt = user("#split fixed 3\n#say Hello there STOP and more text")
    if stream:
        with ant.messages.stream(model=MODEL, max_tokens=100, stop_sequences=["STOP"], messages=prompt) as s:
            m = s.get_final_message()
    else:
        m = ant.messages.create(model=MODEL, max_tokens=100, stop_sequences=["STOP"], messages=prompt)
    assert m.content[0].text.rstrip() == "Hello there"
    assert m.stop_reason == "stop_sequence" and m.stop_sequence == "STOP"


def test_30_max_tokens_reached(ant: anthropic.Anthropic, stack: Stack) -> None:
    m = ant.messages.create(model=MODEL, max_tokens=5, messages=user("#text 200"))
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens <= 6
    # A tool call cut by the limit must not surface as a tool_use with broken JSON.
    long_args = json.dumps({"text": "word " * 400})
    body = {"model": MODEL, "max_tokens": 20, "stream": True, "tools": [NOTE_TOOL_ANTHROPIC],
            "messages": user(f"#say Saving.\n#tool fragments=20 save_note {long_args}")}
    _, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    datas = [json.loads(d) for n, d in events if n != "#comment"]
    tool_idx = {d["index"] for d in datas if d["type"] == "content_block_start" and d["content_block"]["type"] == "tool_use"}
    for i in tool_idx:
        json.loads("".join(d["delta"]["partial_json"] for d in datas if d["type"] == "content_block_delta" and d["index"] == i))
    final = [d for d in datas if d["type"] == "message_delta"]
    assert final and final[0]["delta"]["stop_reason"] == "max_tokens"


def test_30b_truncated_upstream_tool_json_never_reaches_client(stack: Stack) -> None:
    body = {"model": MODEL, "max_tokens": 500, "stream": True, "tools": [WEATHER_TOOL_ANTHROPIC],
            "messages": user('#tool fragments=4 get_weather {"city": "Paris", "note": "long enough to cut"}\n#fault truncated-tool-json')}
    _, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    datas = [json.loads(d) for n, d in events if n != "#comment"]
    tool_idx = {d["index"] for d in datas if d.get("type") == "content_block_start" and d["content_block"]["type"] == "tool_use"}
    for i in tool_idx:
        stops = [d for d in datas if d.get("type") == "content_block_stop" and d["index"] == i]
        if stops:  # a completed tool_use block must carry parseable JSON
            json.loads("".join(d["delta"]["partial_json"] for d in datas if d.get("type") == "content_block_delta" and d["index"] == i))
    kinds = {d.get("type") for d in datas}
    assert "error" in kinds or any(d.get("type") == "message_delta" and d["delta"]["stop_reason"] == "max_tokens" for d in datas), kinds


def test_31_empty_upstream_answer(ant: anthropic.Anthropic) -> None:
    with ant.messages.stream(model=MODEL, max_tokens=100, messages=user("#initial on")) as s:
        m = s.get_final_message()
    assert len(m.content) >= 1


def test_32_ping_during_upstream_silence(ant: anthropic.Anthropic, stack: Stack) -> None:
    prompt = user("#say first part\n#sleep 1600\n#say second part")
    body = {"model": MODEL, "max_tokens": 100, "stream": True, "messages": prompt}
    _, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    names = [n for n, _ in events]
    first = names.index("content_block_delta")
    last = len(names) - 1 - names[::-1].index("content_block_delta")
    assert first < last and "ping" in names[first:last], names
    with ant.messages.stream(model=MODEL, max_tokens=100, messages=prompt) as s:
        assert s.get_final_message().content[0].text == "first partsecond part"


def test_33_34_count_tokens(ant: anthropic.Anthropic) -> None:
    small = ant.messages.count_tokens(model=MODEL, messages=user("hello"))
    assert isinstance(small.input_tokens, int) and small.input_tokens > 0
    long_text = "The gateway counts tokens locally with a Claude tokenizer. " * 50
    big = ant.messages.count_tokens(model=MODEL, messages=user(long_text), system="be brief",
                                    tools=[WEATHER_TOOL_ANTHROPIC], thinking={"type": "enabled", "budget_tokens": 1024})
    assert big.input_tokens > small.input_tokens + 400
    req = dict(model=MODEL, messages=user(long_text + "\n#say counted"), system="be brief", tools=[WEATHER_TOOL_ANTHROPIC])
    counted = ant.messages.count_tokens(**req).input_tokens
    with ant.messages.stream(max_tokens=100, **req) as s:
        start_usage = None
        for ev in s:
            if ev.type == "message_start":
                start_usage = ev.message.usage.input_tokens
        final = s.get_final_message()
    assert start_usage is not None
    assert abs(start_usage - counted) <= 0.1 * counted, (counted, start_usage)
    assert abs(final.usage.input_tokens - counted) <= 0.1 * counted, (counted, final.usage.input_tokens)


def test_35_max_tokens_one_fast(ant: anthropic.Anthropic) -> None:
    m = ant.messages.create(model=MODEL, max_tokens=1, messages=user("count"))
    assert m.usage.input_tokens > 0


def test_36_images(ant: anthropic.Anthropic, stack: Stack) -> None:
    data = base64.b64encode(png_1x1()).decode()
    seq = stack.sim.next_seq()
    m = ant.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        {"type": "text", "text": "#say I see a red square"},
    ]}])
    assert m.content[0].text == "I see a red square"
    assert data in upstream_text(stack.sim.chat_requests(seq))
    # Remote images are disabled in the suite's config: a 400, never a 500.
    with pytest.raises(anthropic.BadRequestError):
        ant.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "url", "url": "http://127.0.0.1:9/x.png"}},
            {"type": "text", "text": "what is this"},
        ]}])


def test_37_server_tool_rejected(ant: anthropic.Anthropic) -> None:
    # Web search is the one server tool the gateway runs (test_web_search.py); others are refused.
    with pytest.raises(anthropic.BadRequestError) as e:
        ant.messages.create(model=MODEL, max_tokens=100,
                            tools=[{"type": "code_execution_20250522", "name": "code_execution"}],
                            messages=user("run code"))
    assert e.value.body["error"]["type"] == "invalid_request_error"
    assert "code_execution" in e.value.body["error"]["message"]


def test_38_models(ant: anthropic.Anthropic) -> None:
    models = list(ant.models.list())
    # Claude names first, then what else the accounts' live catalog offers (the upstream's own
    # router `auto`, models that are not Claude) under their own ids (issue 15).
    ids = [m.id for m in models]
    assert ids and ids[0].startswith("claude") and len(ids) == len(set(ids)), ids
    assert "claude-sonnet-4-5" in ids or "claude-sonnet-4.5" in ids or any("sonnet" in i for i in ids), ids
    assert "deepseek-3.2" in ids, "the simulator's catalog offers deepseek-3.2: " + ", ".join(ids)
    got = ant.models.retrieve(models[0].id)
    assert got.id == models[0].id
    with pytest.raises(anthropic.NotFoundError):
        ant.models.retrieve("claude-nonexistent-9")


def test_71_title_request_structured_output(stack: Stack) -> None:
    """Claude Code's session-title request: stream, no tools, thinking off, temperature 1 and an
    `output_config.format` JSON schema; the answer text must be the JSON object."""
    body = {"model": MODEL, "max_tokens": 200, "stream": True, "tools": [], "temperature": 1,
            "thinking": {"type": "disabled"},
            "output_config": {"format": {"type": "json_schema", "schema": {
                "type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"],
                "additionalProperties": False}}},
            "messages": user('#say ```json\\n{"title": "Fix the login bug"}\\n```')}
    r, events = raw_stream(stack.url, "/v1/messages", stack.api_key, body)
    assert r.status_code == 200, r.text
    datas = _check_grammar(events)
    text = "".join(d["delta"]["text"] for d in datas if d["type"] == "content_block_delta" and d["delta"]["type"] == "text_delta")
    assert json.loads(text) == {"title": "Fix the login bug"}


def test_26c_retryable_error_retried_on_another_account(ant: anthropic.Anthropic, stack: Stack) -> None:
    """A throttled first attempt is retried transparently (before any byte reached the client)."""
    stack.sim.fault("throttled", count=1)
    seq = stack.sim.next_seq()
    m = ant.messages.create(model=MODEL, max_tokens=50, messages=user("#say second try"))
    assert m.content[0].text == "second try"
    calls = stack.sim.chat_requests(seq)
    assert [c["status"] for c in calls] == [429, 200], [(c["status"], c["account"]) for c in calls]
    assert calls[0]["account"] != calls[1]["account"]


def test_stream_disconnect_cancels_upstream(stack: Stack) -> None:
    """Closing the client connection mid-stream ends the upstream stream at once: the simulator
    (pacing 10 frames/s for about a minute) stops writing frames and closes the stream."""
    body = {"model": MODEL, "max_tokens": 4000, "stream": True,
            "messages": user("#pace interval=100 chunk=4\n#text 400")}
    h = {"x-api-key": stack.api_key, "anthropic-version": "2023-06-01"}
    stats = lambda: stack.sim.http.get("/stats").json()  # noqa: E731
    with httpx.Client(timeout=30) as c, c.stream("POST", stack.url + "/v1/messages", json=body, headers=h) as r:
        assert r.status_code == 200
        deltas = 0
        for line in r.iter_lines():
            deltas += line.startswith("event: content_block_delta")
            if deltas == 3:
                break
    left = stats()["frames"]
    deadline = time.monotonic() + 3
    while stats()["streams_active"] > 0:
        assert time.monotonic() < deadline, "upstream stream still running 3 s after the client left"
        time.sleep(0.05)
    settled = stats()["frames"]
    time.sleep(0.5)
    assert stats()["frames"] == settled, "the simulator is still writing frames"
    assert settled - left <= 30, (left, settled)


def test_token_counts_agree_across_dialects(ant: anthropic.Anthropic, oai_for_ant: openai.OpenAI) -> None:
    text = "Token accounting must agree across count_tokens, message_start, final usage and OpenAI usage. " * 20
    counted = ant.messages.count_tokens(model=MODEL, messages=user(text + "\n#say ok")).input_tokens
    final = ant.messages.create(model=MODEL, max_tokens=20, messages=user(text + "\n#say ok"))
    comp = oai_for_ant.chat.completions.create(model=MODEL, messages=user(text + "\n#say ok"))
    for other in (final.usage.input_tokens, comp.usage.prompt_tokens):
        assert abs(other - counted) <= 0.1 * counted, (counted, final.usage.input_tokens, comp.usage.prompt_tokens)
