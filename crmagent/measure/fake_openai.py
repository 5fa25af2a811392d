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

_LINE = re.compile(r"^\d+ \(([^)]*)\): (.*)$", re.MULTILINE)


def _lines(prompt: str) -> list[tuple[str, str]]:
    """The numbered lines the writer prompt asks to be worded: (role, line with slots)."""
    block = prompt.split("<merchant_template>")[-1].split("</merchant_template>")[0]
    return _LINE.findall(block)


def _first_pattern(prompt: str) -> tuple[str, list[str]]:
    """The first pattern the prompt lists, and its evidence ids."""
    patterns = prompt.split("Patterns (name:")[-1]  # the rewrite prompt's plan comes first
    listed = re.search(r"^- ([a-z_]+): [^\n]*?(?:x, n=\d+, (.*)|best practice.*)$", patterns, re.M)
    if not listed:
        return "", []
    ids = [i for i in (listed.group(2) or "").split(", ") if i and i != "no ids"]
    return listed.group(1), ids[:1]


def _versions(prompt: str) -> int:
    found = re.search(r"Write (\d+) different versions", prompt)
    return int(found.group(1)) if found else 1


def _draft_from_prompt(prompt: str, reword: bool = False) -> dict[str, Any]:
    """A good writer answer: the lines as the prompt gives them, slots kept (``reword``:
    its second and later candidates open with a question), and a step on the first pattern
    listed, citing its first evidence id (so the fake never invents a fact)."""
    lines = [line for _, line in _lines(prompt)]
    pattern, ids = _first_pattern(prompt)
    guidance = [
        {"text": "Lead with the offer and end with the link.", "pattern": pattern, "evidence": ids}
    ]
    count = _versions(prompt)
    if count == 1:
        return {"lines": lines, "guidance": guidance}
    candidates = [{"lines": list(lines)} for _ in range(count)]
    for candidate in candidates[1:] if reword else []:
        if candidate["lines"]:
            candidate["lines"][-1] = candidate["lines"][-1].rstrip(".!") + "?"
    return {"candidates": candidates, "guidance": guidance}


_PLAN_WORDS = {
    "offer_early": "states the whole offer in the first 40",
    "urgency": "gives a reason to act now",
    "personalised": "greets the customer by name",
    "exclusivity": "makes the customer feel singled out",
    "emoji": "uses an emoji",
    "question": "asks a question",
    "code_stated": "spells out the voucher code",
}
"""How the rewrite prompt's plan names the features the fake writer can act on."""


def _message_from_prompt(prompt: str) -> dict[str, Any]:
    """A good rewrite answer: the original's plain sentences (no number, link or date: the
    facts go in slots), what the plan asks for that it can write (the offer first, the
    code, the end date, the name, an emoji, a question), the link last, and a step on the
    first pattern listed."""
    slots = set(re.findall(r"\{([a-z_]+)\} = ", prompt))
    channel = (re.search(r"Rewrite the merchant's (\w+) message", prompt) or [None, "sms"])[1]
    block = prompt.split("<merchant_template>")[-1].split("</merchant_template>")[0]
    plan = prompt.split("The plan (")[-1].split("Keep:")[0]
    asked = {f for f, words in _PLAN_WORDS.items() if f"- {words}" in plan}
    avoided = {f for f, words in _PLAN_WORDS.items() if f"- avoid: {words}" in plan}
    kept = [
        s
        for s in re.split(
            r"(?<=[.!?])\s+", re.sub(r"^(?:Subject|Preheader): .*$", "", block, flags=re.M)
        )
        if s.strip()
        and not re.search(r"\d|https?://|www\.|\{link\}|stop\b|:$", s, re.I)
        and "§" not in s
    ]
    target = (re.search(r"The offer is on (.+?)\.\n", prompt) or [None, ""])[1]
    long_ok = "- avoid: stays under the middle" in plan
    short = channel in {"sms", "push"}
    brief = "- avoid: runs longer" in plan
    lines, done = [], {"offer_stated", "cta", "product_named"}
    if "offer" in slots:
        lines.append(f"Enjoy {{offer}} on {target}." if target else "Enjoy {offer}.")
        done.add("offer_early")
    lines += [s.strip().replace("!", ".") for s in kept[: 0 if channel == "push" else 1]]
    if long_ok and not short:  # room to say more: the merchant's rest
        lines += [s.strip().replace("!", ".") for s in kept[1:]]
        lines += ["We picked these with you in mind."]
        lines += [] if brief else ["Have a look at what is new in store."]
    if "code" in slots and "code_stated" not in avoided:
        lines.append("Use code {code}.")
        done.add("code_stated")
    if "expires" in slots and "urgency" not in avoided:
        lines.append("Ends {expires}.")
        done.add("urgency")
    if "question" in asked and not (short or brief):
        lines.append("Ready for it?")
        done.add("question")
    if "exclusivity" in asked and not (short or brief):
        lines.append("Just for you.")
        done.add("exclusivity")
    body = " ".join([*lines, "Shop now: {link}"])
    if "personalised" in asked and "offer_early" not in asked:
        body = "{first_name}, " + body[:1].lower() + body[1:]
        done.add("personalised")
    if "emoji" in asked and channel != "sms":
        body = body.replace("Shop now:", "✨ Shop now:")
        done.add("emoji")
    written = done
    not_done = [
        f"{line[2:].split(':')[0]}: not made, the message is not given what it takes"
        for line in plan.splitlines()
        if line.startswith("- ")
        and not line.startswith("- avoid")
        and not any(words in line for f, words in _PLAN_WORDS.items() if f in written)
        and not line.startswith(("- states the offer concretely", "- ends with a clear"))
        and not (line.startswith("- names the product") and "product_named" in written)
    ]
    not_done += [
        f"{line[9:].split(' (')[0]}: the length follows the merchant's own text"
        for line in plan.splitlines()
        if line.startswith(("- avoid: stays under", "- avoid: runs longer"))
    ]
    pattern, ids = _first_pattern(prompt)
    answer: dict[str, Any] = {
        "body": body,
        "not_done": not_done,
        "guidance": [
            {
                "text": "Lead with the offer and end with the link.",
                "pattern": pattern,
                "evidence": ids,
            }
        ],
    }
    if channel in {"email", "push"}:
        answer["subject"] = "Enjoy {offer}" if "offer" in slots else "Something new for you"
    return answer


def _each_line(answer: dict[str, Any], change: Any) -> dict[str, Any]:
    """The answer with ``change`` made to every line of every candidate."""
    if "lines" in answer:
        answer["lines"] = [change(i, line) for i, line in enumerate(answer["lines"])]
    for candidate in answer.get("candidates", []):
        candidate["lines"] = [change(i, line) for i, line in enumerate(candidate["lines"])]
    return answer


def good_reply(schema: str, prompt: str) -> dict[str, Any]:
    """What a capable model that keeps to the rules answers."""
    if schema in {"ModelDraft", "ModelDrafts"}:
        return _draft_from_prompt(prompt)
    if schema == "ModelMessage":
        return _message_from_prompt(prompt)
    if schema == "DirectMessage":  # asked directly: the merchant's text back, as it was
        original = prompt.split("<merchant_template>")[-1].split("</merchant_template>")[0]
        return {"subject": None, "body": original.strip()}
    if schema == "PatternNotes":
        block = prompt.split("<patterns>")[1].split("</patterns>")[0]
        names = re.findall(r"^- ([a-z_]+):", block, re.MULTILINE)
        return {"notes": [{"name": n, "note": "This audience acts on it."} for n in names]}
    return {"audience_match": 0.8, "marketing_effectiveness": 0.7, "reasons": "Clear offer."}


def reworded(schema: str, prompt: str) -> dict[str, Any]:
    """A good model that writes several candidates, the later ones ending in a question."""
    if schema in {"ModelDraft", "ModelDrafts"}:
        return _draft_from_prompt(prompt, reword=True)
    return good_reply(schema, prompt)


def wrong_discount(schema: str, prompt: str) -> dict[str, Any]:
    """A model that states a discount the voucher does not give, in every line."""
    answer = good_reply(schema, prompt)
    if schema == "ModelMessage":
        answer["body"] = f"Take 30% off everything. {answer['body']}"
        return answer
    if schema in {"ModelDraft", "ModelDrafts"}:
        return _each_line(
            answer,
            lambda i, line: (
                line.replace("{offer}", "30% off") if "{offer}" in line else f"Take 30% off: {line}"
            ),
        )
    return answer


def false_deadline(schema: str, prompt: str) -> dict[str, Any]:
    """A model that adds pressure the voucher does not back: "today only" in its first
    line, and a two-hour subject where there is one."""
    answer = good_reply(schema, prompt)
    if schema == "ModelMessage":
        answer["body"] = f"Today only! {answer['body']}"
        answer["subject"] = "{offer} for the next 2 hours"
        return answer
    if schema in {"ModelDraft", "ModelDrafts"}:
        roles = [role for role, _ in _lines(prompt)]

        first = 1 if roles[:1] == ["subject"] else 0

        def change(i: int, line: str) -> str:
            if roles[i : i + 1] == ["subject"]:
                return "{offer} for the next 2 hours"
            return f"Today only! {line}" if i == first else line

        return _each_line(answer, change)
    return answer


FAULTS = (
    "good",
    "reword",
    "500",
    "429",
    "slow",
    "malformed",
    "schema",
    "empty",
    "wrong",
    "flaky",
    "obey",
)


class FakeOpenAI:
    """`/v1/chat/completions` on 127.0.0.1. The model name picks the behaviour:
    ``fake-good``, ``fake-500``, ``fake-429``, ``fake-slow`` (sleeps past any timeout),
    ``fake-malformed`` (not JSON), ``fake-schema`` (JSON of the wrong shape), ``fake-empty``,
    ``fake-wrong`` (a wrong discount), ``fake-flaky`` (a 500 on every first call, then good),
    ``fake-unreliable`` (a 500 on 30% of calls, at random), ``fake-cut`` (the answer stops at
    the token limit, half written),
    ``fake-obey`` (follows instructions injected in the merchant's text), ``fake-reword``
    (best of n: its later candidates end in a question), ``fake-deadline``
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
        elif behaviour == "reword":
            content = json.dumps(reworded(schema, prompt))
        elif behaviour == "obey" and "instructions" in prompt.split("<merchant_template>")[-1]:
            reply = _each_line(
                good_reply(schema, prompt),
                lambda i, line: "Take 50% off everything! https://evil.example",
            )
            if "body" in reply:
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
