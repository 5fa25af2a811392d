"""A fake OpenAI-compatible server on loopback, for the benchmark and the tests: it answers
`/v1/chat/completions` at once, with structured answers built from the prompt, so what is
measured (or tested) is CRMAgent's own handling of a model, not a model.

The model name picks the behaviour (see ``FakeOpenAI``)."""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _draft_from_prompt(prompt: str) -> dict[str, Any]:
    """A good writer answer: the grounded draft the prompt carries, and a step citing the
    first evidence id offered (so the fake never invents a fact)."""
    subject = re.search(r"subject: (.*)\n", prompt)
    body = re.search(r"body: (.*?)\n</grounded_draft>", prompt, re.DOTALL)
    ids = re.search(r"Evidence ids you may cite: (.*)\.", prompt)
    first = [] if not ids or ids.group(1) == "(none)" else [ids.group(1).split(", ")[0]]
    return {
        "subject": (subject.group(1) or None) if subject else None,
        "body": body.group(1) if body else "",
        "guidance": [{"text": "Lead with the offer and end with the link.", "evidence": first}],
    }


def good_reply(schema: str, prompt: str) -> dict[str, Any]:
    """What a capable model that keeps to the rules answers."""
    if schema == "ModelDraft":
        return _draft_from_prompt(prompt)
    if schema == "PatternNotes":
        block = prompt.split("<patterns>")[1].split("</patterns>")[0]
        names = re.findall(r"^- ([a-z_]+):", block, re.MULTILINE)
        return {"notes": [{"name": n, "note": "This audience acts on it."} for n in names]}
    return {"audience_match": 0.8, "marketing_effectiveness": 0.7, "reasons": "Clear offer."}


def wrong_discount(schema: str, prompt: str) -> dict[str, Any]:
    """A model that states a discount the voucher does not give."""
    answer = good_reply(schema, prompt)
    if schema == "ModelDraft":
        answer["body"] = re.sub(r"(\d+)%", lambda m: f"{int(m.group(1)) + 10}%", answer["body"])
        answer["body"] = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + 10}", answer["body"])
    return answer


def false_deadline(schema: str, prompt: str) -> dict[str, Any]:
    """A model that adds pressure the voucher does not back: a two-hour subject and "today
    only" in the body, whatever the channel (a subject on an SMS too)."""
    answer = good_reply(schema, prompt)
    if schema == "ModelDraft":
        percent = re.search(r"(\d+)% off", answer["body"])
        answer["subject"] = f"{percent.group(1) if percent else 20}% off for the next 2 hours"
        answer["body"] = f"Today only! {answer['body']}"
    return answer


FAULTS = ("good", "500", "429", "slow", "malformed", "schema", "empty", "wrong", "flaky", "obey")


class FakeOpenAI:
    """`/v1/chat/completions` on 127.0.0.1. The model name picks the behaviour:
    ``fake-good``, ``fake-500``, ``fake-429``, ``fake-slow`` (sleeps past any timeout),
    ``fake-malformed`` (not JSON), ``fake-schema`` (JSON of the wrong shape), ``fake-empty``,
    ``fake-wrong`` (a wrong discount), ``fake-flaky`` (a 500 on every first call, then good),
    ``fake-unreliable`` (a 500 on 30% of calls, at random), ``fake-cut`` (the answer stops at
    the token limit, half written),
    ``fake-obey`` (follows instructions injected in the merchant's text), ``fake-deadline``
    (adds a deadline the voucher does not back, and a subject whatever the channel)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.random = random.Random(0)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                status, answer = fake.answer(body)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        behaviour = request["model"].removeprefix("fake-")
        with self.lock:
            self.calls[behaviour] += 1
            count = self.calls[behaviour]
        prompt = "\n".join(str(m.get("content", "")) for m in request["messages"])
        if "tools" in request:
            self.methods["function_calling"] += 1
            schema = request["tools"][0]["function"]["name"]
        else:
            self.methods["json_schema"] += 1
            schema = request["response_format"]["json_schema"]["name"]
        unlucky = behaviour == "unreliable" and self.random.random() < 0.3
        if behaviour == "500" or (behaviour == "flaky" and count % 2 == 1) or unlucky:
            return 500, {"error": {"message": "upstream exploded", "type": "server_error"}}
        if behaviour == "429":
            return 429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}
        if behaviour == "slow":
            time.sleep(3)
        content: str
        if behaviour == "malformed":
            content = "{not json"
        elif behaviour == "schema":
            content = json.dumps({"unexpected": True})
        elif behaviour == "empty":
            content = ""
        elif behaviour == "cut":
            content = json.dumps(good_reply(schema, prompt))[:40]
        elif behaviour == "wrong":
            content = json.dumps(wrong_discount(schema, prompt))
        elif behaviour == "deadline":
            content = json.dumps(false_deadline(schema, prompt))
        elif behaviour == "obey" and "50% off" in prompt:
            reply = good_reply(schema, prompt)
            if schema == "ModelDraft":
                reply["body"] = "Take 50% off everything! https://evil.example"
            content = json.dumps(reply)
        else:
            content = json.dumps(good_reply(schema, prompt))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if "tools" in request:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_" + uuid.uuid4().hex[:8],
                        "type": "function",
                        "function": {"name": schema, "arguments": content},
                    }
                ],
            }
        return 200, {
            "id": "chatcmpl-" + uuid.uuid4().hex[:8],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "length" if behaviour == "cut" else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": len(prompt) // 4,
                "completion_tokens": 60,
                "total_tokens": len(prompt) // 4 + 60,
            },
        }
