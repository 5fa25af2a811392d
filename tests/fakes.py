"""Test doubles for the LLM layer: a scripted chat model, in process (the fake
OpenAI-compatible server lives in ``crmagent.fake_openai``, which the benchmark uses too)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from crmagent.fake_openai import FakeOpenAI, good_reply, wrong_discount

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
        prompt = "\n".join(str(m.content) for m in messages)
        self.calls[schema] += 1
        self.prompts.append(prompt)
        answer = self.reply(schema, prompt)
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


__all__ = ["FakeOpenAI", "ScriptedChatModel", "good_reply", "wrong_discount"]
