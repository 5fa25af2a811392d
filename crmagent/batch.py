"""``crmagent batch``: a JSONL file of requests in, one result (or error) line per request
out, in order, resumable after a kill.

Lines are written in input order and flushed one by one, so after a kill the output holds
a prefix of the answers (at most one torn last line, which is dropped on resume); a rerun
skips the requests already answered. Each request runs in its own checkpointed thread
(SQLite under ``$CRMAGENT_HOME``), so one killed mid-graph resumes from its last step.
With ``ray=`` the requests are answered by a pool of Ray actors (``crmagent.distributed``)
into the same output, in the same order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmagent import reviews
from crmagent.api import PAUSED, BatchError, generate_batch
from graph.checkpoint import forget
from graph.context import Context
from tools.crm.resources import store_for, store_url
from tools.crm.store import store_exists
from tools.domain import GenerationResult
from tools.models import close_budget, open_budget


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did."""

    total: int
    skipped: int
    written: int
    errors: int
    calls: int = 0
    """Model calls of the requests answered in this run (pattern readings and drafts,
    retries included)."""
    judge_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    degraded: int = 0
    """Answers whose model output was replaced by the grounded one (a spent budget too)."""


def read_requests(path: Path) -> Iterator[tuple[int, dict[str, Any] | BatchError]]:
    """Each non-blank input line as a request, or as an error line when it is not one."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    BatchError(id=str(number), error=f"line {number}: not JSON: {exc.msg}"),
                )
                continue
            if not isinstance(item, dict):
                yield (
                    number,
                    BatchError(id=str(number), error=f"line {number}: expected a JSON object"),
                )
                continue
            # An id left out or null is the line number; any other id comes back as text.
            item["id"] = str(number) if item.get("id") is None else str(item["id"])
            yield number, item


def complete_lines(path: Path) -> bytes:
    """The complete lines of a file written line by line; a torn last line (killed
    mid-write) is cut from the file."""
    if not path.exists():
        return b""
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data):
        with path.open("r+b") as handle:
            handle.truncate(complete)
    return data[:complete]


def answered(path: Path) -> int:
    """Complete lines already in the output."""
    return complete_lines(path).count(b"\n")


def tally(spent: Counter[str], answer: GenerationResult | BatchError) -> None:
    """Add what an answer cost (model calls, tokens, a degraded answer) to a run's totals."""
    if isinstance(answer, GenerationResult):
        usage = answer.usage
        spent["calls"] += usage.calls
        spent["judge_calls"] += usage.judge_calls
        spent["input_tokens"] += usage.input_tokens or 0
        spent["output_tokens"] += usage.output_tokens or 0
        spent["degraded"] += answer.degraded


def settle(home: Path, settled: list[str], paused: list[str]) -> None:
    """After their lines are written: put the threads paused for review in the review
    queue (they keep their checkpoints, to resume on approval) and delete the others'
    checkpoints. A written line is the request's record; its checkpoints (about 80 KB a
    request) would otherwise pile up, gigabytes a night for a nightly batch."""
    for thread in paused:
        reviews.record(home, thread)
    if settled:
        forget(home, settled)


def namespace(source: Path, target: Path, context: Context) -> str:
    """What a run's threads are named by: this input and output file, the store's data and
    merchant profiles, and the run's settings. The same run again (after a kill) resumes its
    threads; after an import or a profile change, or with another model or threshold, it
    answers afresh instead of handing back what the old data or settings wrote."""
    digest = hashlib.sha1(str(target.resolve()).encode())
    digest.update(source.read_bytes())
    if store_exists(store_url(context.home)):
        store = store_for(context.home)
        for key in ("data_version", "profiles_version"):
            digest.update((store.get_meta(key) or "").encode())
    settings = dataclasses.asdict(context)
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def run_batch(
    source: Path,
    target: Path,
    *,
    context: Context,
    max_concurrency: int = 2,
    chunk: int = 16,
    progress: Callable[[int], None] | None = None,
    max_calls: int | None = None,
    ray: str | None = None,
    workers: int | None = None,
) -> BatchReport:
    """Answer every request of ``source`` into ``target``, resuming where it stopped.
    ``max_calls`` caps the model calls of this run (``generate_batch``): past it, requests
    get the grounded answer, flagged. The report totals the calls and tokens spent.

    ``ray`` (``"auto"`` or a cluster address) answers on a Ray cluster, ``workers`` actors
    (default: one per CPU of the cluster), ``max_calls`` split evenly between them."""
    if ray is not None:
        from crmagent.distributed import run_on_ray

        return run_on_ray(
            source,
            target,
            context=context,
            address=ray,
            workers=workers,
            max_concurrency=max_concurrency,
            chunk=chunk,
            progress=progress,
            max_calls=max_calls,
        )
    items = list(read_requests(source))
    done = answered(target)
    run = f"batch:{namespace(source, target, context)}"
    home = Path(context.home).resolve()
    written = errors = 0
    spent: Counter[str] = Counter()
    key = open_budget(max_calls) if max_calls is not None else ""
    budgeted = dataclasses.replace(context, call_budget=key) if key else context
    try:
        with target.open("a", encoding="utf-8") as out:
            pending = items[done:]
            if progress:
                progress(done)
            for start in range(0, len(pending), chunk):
                batch = pending[start : start + chunk]
                requests = [(n, item) for n, item in batch if isinstance(item, dict)]
                # One checkpointed thread per input line: a run killed mid-graph resumes there.
                threads = {n: f"{run}:{n}" for n, _ in requests}
                answers = iter(
                    generate_batch(
                        [item for _, item in requests],
                        max_concurrency=max_concurrency,
                        context=budgeted,
                        thread_ids=list(threads.values()),
                    )
                    if requests
                    else ()
                )
                settled: list[str] = []
                paused: list[str] = []
                for number, item in batch:
                    answer: GenerationResult | BatchError = (
                        item if isinstance(item, BatchError) else next(answers)
                    )
                    errors += isinstance(answer, BatchError)
                    tally(spent, answer)
                    out.write(answer.model_dump_json() + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                    written += 1
                    if number in threads:
                        stopped = isinstance(answer, BatchError) and answer.error == PAUSED
                        (paused if stopped else settled).append(threads[number])
                settle(home, settled, paused)
                if progress:
                    progress(len(batch))
    finally:
        if key:
            close_budget(key)
    return BatchReport(total=len(items), skipped=done, written=written, errors=errors, **spent)
