"""The one model loader, and the one way a node asks a model for structured output.

A model is named by a ``provider:model`` string resolved by LangChain's ``init_chat_model``
(``openai:gpt-4o-mini``; any OpenAI-compatible server through ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``: llama.cpp, Ollama, vLLM), ``gguf:/path/model.gguf`` for a model run in
this process (``tools.models.gguf``), or ``offline`` for none. Providers of one's own (a scripted
model in tests) are registered with ``register``. Models are built inside nodes, on first
use, and cached per name: importing CRMAgent never needs a key.

``ask`` makes one structured call with retries: a timeout, an HTTP 429/5xx, an empty or
malformed answer, or one that fails the caller's own check is retried (with the problem
fed back), and after the last try the caller gets ``None`` and the reason, never an
exception: a request never fails because a model did.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

OFFLINE = "offline"
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
T = TypeVar("T", bound=BaseModel)

_FACTORIES: dict[str, Callable[[str], BaseChatModel]] = {}
_CACHE: dict[tuple[str, float, str], BaseChatModel] = {}
_LOCK = threading.Lock()


def register(provider: str, factory: Callable[[str], BaseChatModel]) -> None:
    """Serve ``provider:anything`` with ``factory(anything)`` (scripted test models, or a
    provider of one's own)."""
    _FACTORIES[provider] = factory
    with _LOCK:
        for key in [k for k in _CACHE if k[0].startswith(f"{provider}:")]:
            del _CACHE[key]


def load_model(spec: str, timeout: float = 30.0) -> BaseChatModel | None:
    """The chat model a ``provider:model`` string names; None for ``offline``."""
    if spec == OFFLINE or not spec:
        return None
    provider, _, name = spec.partition(":")
    if not name:
        raise ValueError(
            f"model {spec!r}: use 'offline' or 'provider:model', e.g. 'openai:gpt-4o-mini'"
        )
    # The server a client talks to comes from the environment: a new one, a new client.
    key = (spec, timeout, os.environ.get("OPENAI_BASE_URL", ""))
    with _LOCK:  # one instance per name, even when a batch's threads ask at once
        cached = _CACHE.get(key)
        if cached is None:
            if provider in _FACTORIES:
                cached = _FACTORIES[provider](name)
            elif provider == "gguf":
                from tools.models.gguf import chat_model

                cached = chat_model(name, timeout)
            else:
                from langchain.chat_models import init_chat_model

                # The client retries nothing itself: ``ask`` does, with the problem fed back.
                built = init_chat_model(
                    name, model_provider=provider, timeout=timeout, max_retries=0
                )
                assert isinstance(built, BaseChatModel)
                cached = built
            _CACHE[key] = cached
    return cached


class CallBudget:
    """Model calls a batch may make, shared by its requests (and their threads)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One call from the budget; False once it is spent."""
        with self._lock:
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    @property
    def spent(self) -> str:
        """The reason a request falls back once the budget is spent."""
        return f"model budget of {self.limit} calls spent"


_BUDGETS: dict[str, CallBudget] = {}


def open_budget(limit: int) -> str:
    """A new shared call budget of ``limit`` calls, by the key a run's context names it."""
    if limit < 0:
        raise ValueError(f"max_calls is {limit}; give 0 or more calls")
    key = secrets.token_hex(8)
    with _LOCK:
        _BUDGETS[key] = CallBudget(limit)
    return key


def budget(key: str) -> CallBudget | None:
    """The budget a context's ``call_budget`` names (None: no budget)."""
    return _BUDGETS.get(key) if key else None


def close_budget(key: str) -> CallBudget | None:
    """Forget a budget once its batch is done; what it was."""
    with _LOCK:
        return _BUDGETS.pop(key, None)


@dataclass
class Spend:
    """What calls to models cost a request."""

    budget: CallBudget | None = None
    """The batch's shared budget, checked before every call."""
    calls: int = 0
    judge_calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    problems: list[str] = field(default_factory=list)

    def add_tokens(self, message: BaseMessage | None) -> None:
        """Count the tokens a server reported for one answer."""
        usage = getattr(message, "usage_metadata", None) if message is not None else None
        if usage:
            self._count(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)))

    def add_refused(self, error: BaseException) -> None:
        """Count the tokens of an answer the client refused after the server wrote it (cut
        off at the token limit, or by a content filter): they were spent all the same."""
        usage = getattr(getattr(error, "completion", None), "usage", None)
        if usage is not None:
            self._count(int(usage.prompt_tokens), int(usage.completion_tokens))

    def _count(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens = (self.input_tokens or 0) + input_tokens
        self.output_tokens = (self.output_tokens or 0) + output_tokens


_CUT_OFF = "the answer was cut off at the token limit"


def _describe(error: BaseException) -> str:
    from openai import LengthFinishReasonError  # the client langchain-openai brings

    if isinstance(error, LengthFinishReasonError):
        return _CUT_OFF
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"{type(error).__name__}: {text[:200]}"


def _structured(model: BaseChatModel, schema: type[BaseModel], method: StructuredMethod) -> Any:
    try:
        return model.with_structured_output(schema, method=method, include_raw=True)
    except (TypeError, ValueError, NotImplementedError):
        # Models without a choice of method (in-process, scripted) bind the schema as a tool.
        return model.with_structured_output(schema, include_raw=True)


def ask(
    model: BaseChatModel,
    schema: type[T],
    system: str,
    user: str,
    *,
    spend: Spend,
    method: StructuredMethod = "json_schema",
    tries: int = 3,
    check: Callable[[T], list[str]] | None = None,
    feedback: str = "",
    backoff: float = 0.2,
    judge: bool = False,
) -> T | None:
    """One structured answer that passes ``check`` (which lists what is wrong), or None with
    the reasons appended to ``spend.problems``. ``feedback`` (a prompt with a ``{problems}``
    placeholder, from ``prompts/``) tells the model what ``check`` found before it tries
    again."""
    if check is not None and "{problems}" not in feedback:
        raise ValueError("a check needs a feedback prompt with a {problems} placeholder")
    runnable = _structured(model, schema, method)
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
    last = "no answer"
    for attempt in range(tries):
        if spend.budget is not None and not judge and not spend.budget.take():
            last = spend.budget.spent
            break
        if judge:
            spend.judge_calls += 1
        else:
            spend.calls += 1
        try:
            answer = runnable.invoke(messages)
        except Exception as error:  # timeouts, 429, 5xx, refused connections, bad JSON
            spend.add_refused(error)
            last = _describe(error)
            time.sleep(backoff * (2**attempt))
            continue
        raw = answer.get("raw") if isinstance(answer, dict) else None
        spend.add_tokens(raw if isinstance(raw, AIMessage) else None)
        parsed = answer.get("parsed") if isinstance(answer, dict) else answer
        if parsed is None:
            failure = answer.get("parsing_error") if isinstance(answer, dict) else None
            if (
                isinstance(raw, AIMessage)
                and raw.response_metadata.get("finish_reason") == "length"
            ):
                last = _CUT_OFF
            else:
                last = "empty or malformed answer" + (f" ({_describe(failure)})" if failure else "")
            continue
        problems = check(parsed) if check is not None else []
        if not problems:
            return parsed  # type: ignore[no-any-return]
        last = "; ".join(problems)
        messages = [
            *messages,
            HumanMessage(feedback.format(problems=last)),
        ]
    spend.problems.append(last)
    return None
