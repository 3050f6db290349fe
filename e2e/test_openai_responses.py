"""OpenAI Responses API (`/v1/responses`, issue 18) through the official `openai` SDK (3.57.0):
`client.responses.create` and `client.responses.stream` — text, a function tool loop (with
`previous_response_id` and with the whole history resent), structured output, reasoning items
round-tripped through `encrypted_content`, and the SDK's error types. Upstream answers are
scripted with the simulator's directive lines.
"""

from __future__ import annotations

import json

import openai
import pydantic
import pytest

from conftest import MODEL, Stack
from sdkutil import upstream_text

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_create_text_and_usage(oai: openai.OpenAI) -> None:
    r = oai.responses.create(model=MODEL, input="#say Hello from the sim", instructions="Be brief.",
                             metadata={"ticket": "T-1"})
    assert r.object == "response" and r.id.startswith("resp_") and r.status == "completed"
    assert r.output_text == "Hello from the sim"
    assert r.model == MODEL and r.instructions == "Be brief." and r.metadata == {"ticket": "T-1"}
    msg = r.output[0]
    assert msg.type == "message" and msg.id.startswith("msg_") and msg.role == "assistant"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens


def test_stream_events_and_final_response(oai: openai.OpenAI) -> None:
    with oai.responses.stream(model=MODEL, input="#split word\n#say The quick brown fox.") as s:
        events = list(s)
        final = s.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1 and "".join(deltas) == "The quick brown fox."
    assert final.output_text == "The quick brown fox." and final.status == "completed"


def test_function_tool_loop_with_previous_response_id(oai: openai.OpenAI, stack: Stack) -> None:
    seq = stack.sim.next_seq()
    first = oai.responses.create(model=MODEL, tools=[WEATHER],
                                 input='Weather in Paris?\n#tool get_weather {"city": "Paris"}')
    calls = [i for i in first.output if i.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].id.startswith("fc_")
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    stack.sim.queue("#say Sunny, 18 degrees.")
    second = oai.responses.create(
        model=MODEL, tools=[WEATHER], previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "18C sunny"}])
    assert second.output_text == "Sunny, 18 degrees." and second.previous_response_id == first.id
    sent = upstream_text(stack.sim.chat_requests(seq)[-1:])
    assert "18C sunny" in sent and "Weather in Paris?" in sent, sent


def test_function_tool_loop_streamed_with_full_history(oai: openai.OpenAI, stack: Stack) -> None:
    seq = stack.sim.next_seq()
    history: list = [{"role": "user", "content": 'Weather in Rome?\n#tool fragments=3 get_weather {"city": "Rome"}'}]
    with oai.responses.stream(model=MODEL, tools=[WEATHER], input=history, store=False) as s:
        events = list(s)
        first = s.get_final_response()
    args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    call = next(i for i in first.output if i.type == "function_call")
    assert json.loads(args) == json.loads(call.arguments) == {"city": "Rome"}
    history += [i.model_dump(exclude_none=True) for i in first.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "22C clear"})
    stack.sim.queue("#say Clear, 22 degrees.")
    with oai.responses.stream(model=MODEL, tools=[WEATHER], input=history, store=False) as s:
        final = s.get_final_response()
    assert final.output_text == "Clear, 22 degrees."
    assert "22C clear" in upstream_text(stack.sim.chat_requests(seq)[-1:])


class Book(pydantic.BaseModel):
    title: str
    year: int


def test_structured_output(oai: openai.OpenAI) -> None:
    # `\n` inside a `#say` line is the simulator's newline escape: the answer arrives fenced.
    r = oai.responses.parse(model=MODEL, input='A book.\n#say ```json\\n{"title": "Dune", "year": 1965}\\n```',
                            text_format=Book)
    assert r.output_parsed == Book(title="Dune", year=1965)
    assert r.text.format.type == "json_schema"


def test_reasoning_round_trip(oai: openai.OpenAI) -> None:
    r = oai.responses.create(model=MODEL, input="#thinking Consider the river.\n#say Cross it.",
                             reasoning={"effort": "low", "summary": "auto"}, store=False,
                             include=["reasoning.encrypted_content"])
    rs = next(i for i in r.output if i.type == "reasoning")
    assert rs.id.startswith("rs_") and "Consider the river." in rs.summary[0].text
    assert rs.encrypted_content and "river" not in rs.encrypted_content
    assert r.usage.output_tokens_details.reasoning_tokens > 0
    again = oai.responses.create(model=MODEL, store=False, input=[
        {"role": "user", "content": "#thinking Consider the river.\n#say Cross it."},
        *[i.model_dump(exclude_none=True) for i in r.output],
        {"role": "user", "content": "#say Crossed."},
    ])
    assert again.output_text == "Crossed."


def test_errors_are_sdk_errors(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai.responses.create(model=MODEL, input="x", previous_response_id="resp_unknown")
    assert e.value.code == "previous_response_not_found"
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model="no-such-model", input="x")


def test_web_search_tool(oai: openai.OpenAI, stack: Stack) -> None:
    """The hosted `web_search` tool (issue 18 item 2): the gateway runs the model's search on the
    account's Kiro search and returns a `web_search_call` item and `url_citation` annotations."""
    seq = stack.sim.next_seq()
    r = oai.responses.create(model=MODEL, tools=[{"type": "web_search"}],
                             input="What is new in Rust?\n#search rust 1.95 release")
    assert r.status == "completed"
    call = r.output[0]
    assert call.type == "web_search_call" and call.status == "completed" and call.id.startswith("ws_")
    assert call.action.query == "rust 1.95 release"
    msg = r.output[1]
    assert msg.type == "message"
    ann = msg.content[0].annotations
    assert ann and ann[0].type == "url_citation"
    assert r.output_text[ann[0].start_index:ann[0].end_index] == ann[0].url
    searches = [e for e in stack.sim.requests(operation="mcp", since=seq)
                if e.get("json", {}).get("method") == "tools/call"]
    assert [s["json"]["params"]["arguments"]["query"] for s in searches] == ["rust 1.95 release"]

    with oai.responses.stream(model=MODEL, tools=[{"type": "web_search_preview"}],
                              input="#search tokio news") as s:
        kinds = [e.type for e in s]
        final = s.get_final_response()
    at = kinds.index("response.web_search_call.in_progress")
    assert kinds[at:at + 3] == ["response.web_search_call.in_progress", "response.web_search_call.searching",
                                "response.web_search_call.completed"]
    assert final.output[0].type == "web_search_call" and final.output_text
