"""Test doubles for the LLM layer: a scripted chat model, in process (the fake
OpenAI-compatible server lives in ``crmagent.measure.fake_openai``, which the benchmark
uses too)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from crmagent.measure.fake_openai import FakeOpenAI, good_reply, wrong_discount

Reply = Callable[[str, str], dict[str, Any] | str | Exception]
"""(schema name, the prompt text) -> the answer's arguments, raw text, or an error to raise."""


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers tool calls from a script (no network)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reply: Reply = good_reply
    calls: Counter[str] = Field(default_factory=Counter)
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        name = tools[0].__name__ if isinstance(tools[0], type) else tools[0]["name"]
        return self.bind(tool_name=name)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        schema = str(kwargs.get("tool_name", "?"))
        prompt = self.prompt_of(messages)
        self.calls[schema] += 1
        self.prompts.append(prompt)
        answer = self.answer(schema, prompt)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            message = AIMessage(content=answer)
        else:
            message = AIMessage(
                content="", tool_calls=[{"name": schema, "args": answer, "id": uuid.uuid4().hex}]
            )
        message.usage_metadata = {
            "input_tokens": len(prompt) // 4,
            "output_tokens": 50,
            "total_tokens": len(prompt) // 4 + 50,
        }
        return ChatResult(generations=[ChatGeneration(message=message)])

    def prompt_of(self, messages: Sequence[BaseMessage]) -> str:
        """The conversation as the script reads it: every message, in order."""
        return "\n".join(str(m.content) for m in messages)

    def answer(self, schema: str, prompt: str) -> dict[str, Any] | str | Exception:
        """The script's answer to one call."""
        return self.reply(schema, prompt)


_QUESTION = "\n\u241e\n"
"""What joins a conversation's system and user messages into its replay key."""


def prompt_key(texts: Sequence[str]) -> str:
    """A conversation's key for replay: its system and user messages, hashed (what the model
    answered is not part of the question)."""
    return hashlib.sha256(_QUESTION.join(texts).encode()).hexdigest()


def write_recording(queue: str | Path, out: str | Path, schema: str = "ModelMessage") -> int:
    """The answers a model gave through a queue server (``../shared/queue_model``) as a
    recording ``ReplayChatModel`` reads: a line per answered ``schema`` request, its key and
    its answer. Returns the lines written."""
    lines = []
    for request_path in sorted(Path(queue, "claimed").glob("*.json")):
        answer_path = Path(queue, "done", f"{request_path.stem}.txt")
        request = json.loads(request_path.read_text())
        named = json.dumps(request.get("response_format", {}))
        if not answer_path.exists() or f'"name": "{schema}"' not in named:
            continue
        content = answer_path.read_text().strip()
        if content.startswith("```"):
            content = content.split("\n", 1)[1].rsplit("```", 1)[0].strip()
        try:
            answer = json.loads(content)
        except json.JSONDecodeError:
            continue  # an answer the client refused is no answer to replay
        texts = [m["content"] for m in request["messages"] if m["role"] in {"system", "user"}]
        lines.append(json.dumps({"key": prompt_key(texts), "answer": answer}, ensure_ascii=False))
    Path(out).write_text("".join(f"{line}\n" for line in lines))
    return len(lines)


class ReplayChatModel(ScriptedChatModel):
    """A chat model that answers from a recording of a real model's answers, keyed by the
    prompt (``prompt_key``): a prompt it has no answer for raises, so a changed prompt fails
    its test until it is recorded again (``tests/data/replay/README.md``)."""

    recording: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> ReplayChatModel:
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return cls(recording={line["key"]: line["answer"] for line in lines})

    def prompt_of(self, messages: Sequence[BaseMessage]) -> str:
        """Only the question: the system and user messages (what the model answered on a
        retry is not part of it)."""
        return _QUESTION.join(str(m.content) for m in messages if m.type in {"system", "human"})

    def answer(self, schema: str, prompt: str) -> dict[str, Any] | str | Exception:
        """The recorded answer to this prompt, or an error saying to record again."""
        key = hashlib.sha256(prompt.encode()).hexdigest()
        if key not in self.recording:
            return KeyError(f"no recorded answer for this {schema} prompt: record again")
        return dict(self.recording[key])


__all__ = [
    "FakeOpenAI",
    "ReplayChatModel",
    "ScriptedChatModel",
    "good_reply",
    "prompt_key",
    "wrong_discount",
]
