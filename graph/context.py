"""Runtime settings of one run (``context_schema``): where the data is, which model, the
thresholds of the mode decisions. Every field has a default (environment variables where
they apply); per-run values win. Studio shows these as the assistant's settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal, cast

from tools.config import Settings
from tools.models import StructuredMethod, load_model

ModeName = Literal["group", "retrieval", "rules"]
WriterMode = Literal["auto", "rewrite", "lines"]


def _home() -> str:
    return str(Settings().home)


def _model() -> str:
    return Settings().model


def _model_timeout() -> float:
    return Settings().model_timeout


@dataclass(kw_only=True)
class Context:
    """Settings of one run of the CRMAgent graph."""

    home: str = field(
        default_factory=_home,
        metadata={
            "description": "Data folder with the CRM store and the vector index "
            "($CRMAGENT_HOME, default ./.crmagent)."
        },
    )
    model: str = field(
        default_factory=_model,
        metadata={
            "description": "'offline' (grounded layer only) or a 'provider:model' string "
            "($CRMAGENT_MODEL)."
        },
    )
    writer_model: str = field(
        default_factory=lambda: os.environ.get("CRMAGENT_WRITER_MODEL", ""),
        metadata={
            "description": "Model that writes templates and guidance "
            "($CRMAGENT_WRITER_MODEL; empty: `model`)."
        },
    )
    writer_mode: WriterMode = field(
        default_factory=lambda: cast(WriterMode, os.environ.get("CRMAGENT_WRITER_MODE", "auto")),
        metadata={
            "description": "How the writer model writes: 'rewrite' (the whole message from "
            "the original, the evidence's plan and the facts as slots), 'lines' (it rewords "
            "the grounded draft's lines in place: for small local models) or 'auto' "
            "(rewrite for a provider:model, lines for gguf:) ($CRMAGENT_WRITER_MODE)."
        },
    )
    analyst_model: str = field(
        default_factory=lambda: os.environ.get("CRMAGENT_ANALYST_MODEL", ""),
        metadata={
            "description": "Model that reads the patterns ($CRMAGENT_ANALYST_MODEL; "
            "empty: `model`)."
        },
    )
    judge_model: str = field(
        default_factory=lambda: os.environ.get("CRMAGENT_JUDGE_MODEL", ""),
        metadata={
            "description": "Model that grades the result ($CRMAGENT_JUDGE_MODEL; empty: `model`)."
        },
    )
    structured_method: StructuredMethod = field(
        default_factory=lambda: cast(
            StructuredMethod, os.environ.get("CRMAGENT_STRUCTURED_METHOD", "json_schema")
        ),
        metadata={
            "description": "How structured answers are asked for: json_schema "
            "(response_format), function_calling (tool calls) or "
            "json_mode ($CRMAGENT_STRUCTURED_METHOD)."
        },
    )
    model_timeout: float = field(
        default_factory=_model_timeout,
        metadata={"description": "Seconds a model call may take ($CRMAGENT_MODEL_TIMEOUT, 30)."},
    )
    model_tries: int = field(
        default=3,
        metadata={
            "description": "Tries per model answer (timeouts, 429/5xx, bad JSON, a "
            "broken rule) before the grounded answer is used."
        },
    )
    model_candidates: int = field(
        default=1,
        metadata={
            "description": "Wordings the writer model is asked for in one call (a list in "
            "the answer's schema); each is checked, and the one the patterns predict "
            "converts best is kept. Worth more than 1 where a call is cheap (a server): it "
            "costs output tokens, not calls."
        },
    )
    call_budget: str = field(
        default="",
        metadata={
            "description": "The per-batch model call budget this run draws on (set by "
            "generate_batch's max_calls; empty: none). Once it is spent, requests fall "
            "back to the grounded layer, flagged in degraded_reason."
        },
    )
    modes: list[ModeName] = field(
        default_factory=lambda: ["group", "retrieval", "rules"],
        metadata={
            "description": "Modes this run may use, in fallback order (a leaderboard "
            "variant such as rules only is a subset)."
        },
    )
    min_own_templates: int = field(
        default=6,
        metadata={"description": "Own templates in the segment needed for group learning."},
    )
    min_own_sends: int = field(
        default=3000,
        metadata={"description": "Own sends in the segment needed for group learning."},
    )
    gap_confidence: float = field(
        default=0.9,
        metadata={
            "description": "Confidence that the top group beats the bottom group "
            "(one-sided) needed for group learning."
        },
    )
    min_gap_ratio: float = field(
        default=1.15,
        metadata={"description": "How much better the top group must convert than the bottom."},
    )
    top_fraction: float = field(
        default=0.34,
        metadata={
            "description": "Share of the merchant's templates in the top (and bottom) group."
        },
    )
    similarity_threshold: float = field(
        default=0.5,
        metadata={
            "description": "Least combined similarity (text, voucher, category, "
            "channel) a cross-merchant reference needs."
        },
    )
    max_references: int = field(default=6, metadata={"description": "References retrieval keeps."})
    pattern_confidence: float = field(
        default=0.75,
        metadata={
            "description": "Confidence a pattern needs to be reported as strong "
            "evidence in the guidance (and weighed in audience match)."
        },
    )
    act_confidence: float = field(
        default=0.6,
        metadata={
            "description": "Confidence that a feature helps (or hurts) before the writer "
            "uses (or avoids) it; below it, best practice decides."
        },
    )
    contrary_confidence: float = field(
        default=0.95,
        metadata={
            "description": "Confidence a feature's evidence needs before the writer goes "
            "against best practice for the segment and channel (below it, best practice "
            "stands); at least act_confidence."
        },
    )
    merchant_effect_spread: float = field(
        default=0.15,
        metadata={
            "description": "Between-merchant spread of a feature's log lift: how far a "
            "merchant's own lift may stray from its segment's before its "
            "own data (in the segment, or its lean in its other segments) must show it."
        },
    )
    group_exemplars: int = field(
        default=2,
        metadata={
            "description": "The merchant's best templates in the segment that group learning "
            "writes its drafts from (each phrased `drafts` ways)."
        },
    )
    drafts: int = field(
        default=6,
        metadata={
            "description": "Phrasings the grounded writer tries of each exemplar; the one "
            "the patterns predict converts best is kept (1: one per exemplar)."
        },
    )
    max_retries: int = field(
        default=2,
        metadata={
            "description": "Times a draft that fails a hard rule goes back to the "
            "writer before the rules rewrite takes over."
        },
    )
    require_approval: bool = field(
        default=False,
        metadata={
            "description": "Stop before finishing for the merchant to approve, edit or "
            "reject the draft (needs a checkpointer)."
        },
    )
    sms_max_segments: int = field(
        default=1, metadata={"description": "SMS segments a message may use."}
    )

    def __post_init__(self) -> None:
        for name in ("drafts", "group_exemplars", "sms_max_segments", "model_candidates"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"Context.{name} is {getattr(self, name)}; it counts something the run "
                    "needs at least one of: give 1 or more"
                )
        if self.writer_mode not in ("auto", "rewrite", "lines"):
            raise ValueError(
                f"Context.writer_mode is {self.writer_mode!r}; give 'auto', 'rewrite' or 'lines'"
            )
        if not self.act_confidence <= self.contrary_confidence <= 1:
            raise ValueError(
                f"Context.contrary_confidence is {self.contrary_confidence}; going against "
                f"best practice takes at least act_confidence ({self.act_confidence}) and "
                "at most 1: give a value in between"
            )


Role = Literal["writer", "analyst", "judge"]


def writer_mode_of(context: Context) -> Literal["rewrite", "lines"]:
    """How the writer model writes: as set, or, on 'auto', 'lines' for an in-process GGUF
    model (a small local model copies what it is shown; rewording lines in place is what it
    does reliably) and 'rewrite' for any other."""
    if context.writer_mode != "auto":
        return context.writer_mode
    return "lines" if model_for(context, "writer").startswith("gguf:") else "rewrite"


def model_for(context: Context, role: Role) -> str:
    """The model a role uses: its own setting, else the run's model."""
    own: str = getattr(context, f"{role}_model")
    return own or context.model


def check_models(context: Context) -> None:
    """Build every model the run names, or raise ``ValueError`` naming the role, the model
    and what is wrong (a missing GGUF file, an unknown provider, no API key). A long run
    (a batch, a server) calls this first, so that a wrong setting stops it before the first
    request rather than failing every one."""
    roles: tuple[Role, ...] = ("analyst", "writer", "judge")
    for role in roles:
        spec = model_for(context, role)
        try:
            load_model(spec, context.model_timeout)
        except Exception as error:  # whatever the provider raises, said with the role
            raise ValueError(f"the {role} model {spec!r} cannot be used: {error}") from error
