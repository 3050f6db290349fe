"""OpenAI Chat Completions through the official `openai` SDK (3.57.0) against the real binaries.

Test names carry the item numbers of the client doc's §4 checklist (items 39–66). Upstream answers
are scripted with the simulator's directive lines; HTTP-status faults are queued through the
simulator's control API.
"""

from __future__ import annotations

import base64
import json

import httpx
import openai
import pydantic
import pytest

from conftest import MODEL, Stack
from sdkutil import NOTE_TOOL_OPENAI, TRICKY_INPUT, TRICKY_JSON, WEATHER_TOOL_OPENAI, png_1x1, upstream_text


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_39_40_nonstream_shape(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model=MODEL, messages=user("#say Hello from the sim"))
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.headers.get("x-request-id")
    c = raw.parse()
    assert c.object == "chat.completion" and c.id.startswith("chatcmpl-")
    assert isinstance(c.created, int)
    ch = c.choices[0]
    assert ch.index == 0 and ch.message.role == "assistant" and ch.finish_reason == "stop"
    assert ch.message.content == "Hello from the sim" and ch.message.tool_calls is None
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens and c.usage.prompt_tokens > 0
    assert c.model == MODEL  # item 40


def test_41_to_46_stream_chunks(oai: openai.OpenAI) -> None:
    prompt = user("#split fixed 3\n#say The quick brown fox jumps over the lazy dog.")
    plain = oai.chat.completions.create(model=MODEL, messages=prompt)
    chunks = list(oai.chat.completions.create(model=MODEL, messages=prompt, stream=True,
                                              stream_options={"include_usage": True}))
    assert {(c.id, c.created, c.model, c.object) for c in chunks} == {(chunks[0].id, chunks[0].created, MODEL, "chat.completion.chunk")}  # 41
    body = chunks[:-1]
    roles = [i for i, c in enumerate(body) if c.choices and c.choices[0].delta.role is not None]
    assert roles == [0] and body[0].choices[0].delta.role == "assistant"  # 42
    text = "".join(c.choices[0].delta.content or "" for c in body if c.choices)
    assert text == plain.choices[0].message.content  # 43
    finishes = [i for i, c in enumerate(body) if c.choices and c.choices[0].finish_reason is not None]
    assert finishes == [len(body) - 1] and body[-1].choices[0].finish_reason == "stop"  # 44
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0  # 46
    assert all(c.usage is None for c in body)
    no_usage = list(oai.chat.completions.create(model=MODEL, messages=prompt, stream=True))
    assert all(c.usage is None and c.choices for c in no_usage)


def test_45_raw_done_and_stream_helper(oai: openai.OpenAI, stack: Stack) -> None:
    r = httpx.post(stack.url + "/v1/chat/completions", headers={"authorization": f"Bearer {stack.api_key}"},
                   json={"model": MODEL, "stream": True, "messages": user("#say done soon")}, timeout=30)
    assert r.headers["content-type"].startswith("text/event-stream")
    datas = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]" and all(json.loads(d)["object"] == "chat.completion.chunk" for d in datas[:-1])
    with oai.chat.completions.stream(model=MODEL, messages=user("#say done soon")) as s:
        comp = s.get_final_completion()
    assert comp.choices[0].message.content == "done soon"


def test_47_tool_call_nonstream(oai: openai.OpenAI) -> None:
    c = oai.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL_OPENAI],
                                    messages=user('#tool get_weather {"city": "Paris"}'))
    ch = c.choices[0]
    assert ch.finish_reason == "tool_calls"
    tc = ch.message.tool_calls[0]
    assert tc.type == "function" and tc.id and tc.function.name == "get_weather"
    assert isinstance(tc.function.arguments, str) and json.loads(tc.function.arguments) == {"city": "Paris"}


def test_48_49_51_tool_call_stream(oai: openai.OpenAI) -> None:
    prompt = user(f"#say Saving it.\n#tool fragments=6 save_note {TRICKY_JSON}")
    with oai.chat.completions.stream(model=MODEL, tools=[NOTE_TOOL_OPENAI], messages=prompt) as s:
        chunks = [ev.chunk for ev in s if ev.type == "chunk"]
        comp = s.get_final_completion()
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    first, rest = deltas[0], deltas[1:]
    assert first.index == 0 and first.id and first.type == "function" and first.function.name == "save_note"
    assert first.function.arguments is not None
    assert rest, "arguments should arrive in several fragments"
    for d in rest:  # 48: later deltas carry only index + arguments
        assert d.index == 0 and d.id is None and d.type is None and d.function.name is None
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == TRICKY_INPUT
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]  # 51
    msg = comp.choices[0].message  # 49: the accumulator catches repeated role / id / name
    assert msg.role == "assistant" and msg.content == "Saving it."
    assert msg.tool_calls[0].id == first.id and msg.tool_calls[0].function.name == "save_note"
    assert json.loads(msg.tool_calls[0].function.arguments) == TRICKY_INPUT
    assert comp.choices[0].finish_reason == "tool_calls"


def test_50_parallel_tool_calls(oai: openai.OpenAI) -> None:
    prompt = user('#say Two lookups.\n#tool fragments=3 get_weather {"city": "Paris"}\n#tool fragments=3 get_weather {"city": "Tokyo"}')
    with oai.chat.completions.stream(model=MODEL, tools=[WEATHER_TOOL_OPENAI], messages=prompt) as s:
        comp = s.get_final_completion()
    tcs = comp.choices[0].message.tool_calls
    assert [json.loads(t.function.arguments) for t in tcs] == [{"city": "Paris"}, {"city": "Tokyo"}]
    assert len({t.id for t in tcs}) == 2 and all(t.function.name == "get_weather" for t in tcs)
    chunks = list(oai.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL_OPENAI], messages=prompt, stream=True))
    indices = sorted({tc.index for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])})
    assert indices == [0, 1]


def test_52_message_shapes_accepted(oai: openai.OpenAI, stack: Stack) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_1x1()).decode()
    seq = stack.sim.next_seq()
    c = oai.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL_OPENAI], messages=[
        {"role": "developer", "content": "DEVELOPER-MARKER"},
        {"role": "system", "content": "SYSTEM-MARKER"},
        {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": data_url, "detail": "low"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc", "content": "TOOL-RESULT-MARKER"},
        {"role": "user", "content": "#say all shapes ok"},
    ])
    assert c.choices[0].message.content == "all shapes ok"
    sent = upstream_text(stack.sim.chat_requests(seq))
    for marker in ("DEVELOPER-MARKER", "SYSTEM-MARKER", "TOOL-RESULT-MARKER", data_url.split(",", 1)[1]):
        assert marker in sent, marker


def test_53_tool_message_without_id(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model=MODEL, messages=[
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "content": "no id"},
        ])
    assert e.value.body["type"] == "invalid_request_error"


@pytest.mark.parametrize("choice", ["auto", "none", "required", {"type": "function", "function": {"name": "get_weather"}}],
                         ids=["auto", "none", "required", "named"])
def test_54_tool_choice(oai: openai.OpenAI, choice: object) -> None:
    script = "#say no tools used" if choice == "none" else '#tool get_weather {"city": "Oslo"}'
    c = oai.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL_OPENAI], tool_choice=choice, messages=user(script))
    if choice == "none":
        assert c.choices[0].message.tool_calls is None and c.choices[0].message.content == "no tools used"
    else:
        assert c.choices[0].message.tool_calls[0].function.name == "get_weather"


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_55_response_format(oai: openai.OpenAI) -> None:
    c = oai.chat.completions.create(model=MODEL, response_format={"type": "json_object"},
                                    messages=user('#say ```json\\n{"ok": true, "n": 3}\\n```'))
    assert json.loads(c.choices[0].message.content) == {"ok": True, "n": 3}
    parsed = oai.chat.completions.parse(model=MODEL, response_format=Person, messages=user('#say {"name": "Ada", "age": 36}'))
    assert parsed.choices[0].message.parsed == Person(name="Ada", age=36)


def test_56_max_tokens_and_length(oai: openai.OpenAI) -> None:
    a = oai.chat.completions.create(model=MODEL, max_completion_tokens=5, messages=user("#text 200"))
    b = oai.chat.completions.create(model=MODEL, max_tokens=5, messages=user("#text 200"))
    for c in (a, b):
        assert c.choices[0].finish_reason == "length" and c.usage.completion_tokens <= 6


def test_57_stop(oai: openai.OpenAI) -> None:
    c = oai.chat.completions.create(model=MODEL, stop=["STOP"], messages=user("#split fixed 3\n#say Hello there STOP and more"))
    assert c.choices[0].message.content.rstrip() == "Hello there" and c.choices[0].finish_reason == "stop"
    chunks = list(oai.chat.completions.create(model=MODEL, stop="STOP", stream=True, messages=user("#split fixed 3\n#say Hello there STOP and more")))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text.rstrip() == "Hello there"


def test_58_ignored_fields(oai: openai.OpenAI) -> None:
    c = oai.chat.completions.create(
        model=MODEL, messages=user("#say fine"), temperature=0.3, top_p=0.9, seed=7, user="u1",
        metadata={"a": "b"}, store=False, parallel_tool_calls=True, tools=[WEATHER_TOOL_OPENAI],
        reasoning_effort="low", logprobs=False, service_tier="auto", prompt_cache_key="k",
        extra_body={"vendor_extra": {"x": 1}},
    )
    assert c.choices[0].message.content == "fine"


def test_59_unsupported_features_400(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model=MODEL, n=2, messages=user("hi"))
    assert e.value.body["param"] == "n"
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model=MODEL, modalities=["audio"], audio={"voice": "alloy", "format": "wav"}, messages=user("hi"))


def test_60_unknown_model(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        oai.chat.completions.create(model="claude-nonexistent-9", messages=user("hi"))
    assert e.value.code == "model_not_found" and e.value.type == "invalid_request_error"


def test_61_bad_key(stack: Stack) -> None:
    for headers in ({}, {"authorization": "Bearer sk-wrong"}):
        r = httpx.post(stack.url + "/v1/chat/completions", json={"model": MODEL, "messages": user("hi")}, headers=headers, timeout=30)
        assert r.status_code == 401
        assert set(r.json()["error"]) >= {"message", "type", "param", "code"}
    c = openai.OpenAI(base_url=stack.url + "/v1", api_key="sk-wrong", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError):
        c.chat.completions.create(model=MODEL, messages=user("hi"))


def test_62_upstream_throttle_and_unavailable(oai: openai.OpenAI, stack: Stack) -> None:
    stack.sim.fault("throttled", count=3)
    with pytest.raises(openai.RateLimitError) as e:
        oai.chat.completions.create(model=MODEL, messages=user("#say never"))
    assert int(e.value.response.headers["retry-after"]) >= 0
    stack.sim.clear_faults()
    stack.sim.fault("unavailable", count=3)
    with pytest.raises(openai.InternalServerError) as e:
        oai.chat.completions.create(model=MODEL, messages=user("#say never"))
    assert e.value.status_code == 503


def test_62b_key_rate_limit_429(stack: Stack) -> None:
    key = stack.admin.create_key("e2e-openai-rpm1", rpm=1)["secret"]
    c = openai.OpenAI(base_url=stack.url + "/v1", api_key=key, max_retries=0, timeout=30)
    c.chat.completions.create(model=MODEL, messages=user("#say one"))
    with pytest.raises(openai.RateLimitError) as e:
        c.chat.completions.create(model=MODEL, messages=user("#say two"))
    assert int(e.value.response.headers["retry-after"]) >= 1


def test_63_context_overflow(oai: openai.OpenAI, stack: Stack) -> None:
    stack.sim.fault("input-too-long")
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model=MODEL, messages=user("#say never"))
    assert e.value.code == "context_length_exceeded"
    assert "maximum context length" in e.value.message


def test_64_midstream_error(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APIError):
        for _ in oai.chat.completions.create(model=MODEL, stream=True,
                                             messages=user("#split fixed 2\n#say abcdefghijklmnop\n#fault exception:3")):
            pass


def test_65_models(oai: openai.OpenAI) -> None:
    models = list(oai.models.list())
    assert models
    for m in models:
        assert m.id and m.object == "model" and isinstance(m.created, int) and m.owned_by
    assert oai.models.retrieve(models[0].id).id == models[0].id
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("claude-nonexistent-9")


def test_66_paths_without_v1(stack: Stack) -> None:
    c = openai.OpenAI(base_url=stack.url, api_key=stack.api_key, max_retries=0, timeout=30)
    assert c.chat.completions.create(model=MODEL, messages=user("#say no prefix")).choices[0].message.content == "no prefix"
    assert [m.id for m in c.models.list()] == [m.id for m in openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.api_key).models.list()]
    r = httpx.post(stack.url + "/v1/chat/completions?foo=bar", headers={"authorization": f"Bearer {stack.api_key}"},
                   json={"model": MODEL, "messages": user("#say query ok")}, timeout=30)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "query ok"
