"""``crmagent batch``: a JSONL file of requests in, one result (or error) line per request
out, in order, resumable after a kill.

Lines are written in input order and flushed one by one, so after a kill the output holds
a prefix of the answers (at most one torn last line, which is dropped on resume); a rerun
skips the requests already answered. Each request runs in its own checkpointed thread
(SQLite under ``$CRMAGENT_HOME``), so one killed mid-graph resumes from its last step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmagent.api import PAUSED, BatchError, generate_batch
from graph.checkpoint import forget
from graph.context import Context
from tools.domain import GenerationResult
from tools.resources import store_for


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did."""

    total: int
    skipped: int
    written: int
    errors: int


def _requests(path: Path) -> Iterator[tuple[int, dict[str, Any] | BatchError]]:
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


def _answered(path: Path) -> int:
    """Complete lines already in the output; a torn last line (killed mid-write) is cut."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data):
        with path.open("r+b") as handle:
            handle.truncate(complete)
    return data[:complete].count(b"\n")


def _namespace(source: Path, target: Path, context: Context) -> str:
    """What a run's threads are named by: this input and output file, the store's data and
    merchant profiles, and the run's settings. The same run again (after a kill) resumes its
    threads; after an import or a profile change, or with another model or threshold, it
    answers afresh instead of handing back what the old data or settings wrote."""
    digest = hashlib.sha1(str(target.resolve()).encode())
    digest.update(source.read_bytes())
    if (Path(context.home) / "crm.sqlite").exists():
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
) -> BatchReport:
    """Answer every request of ``source`` into ``target``, resuming where it stopped."""
    items = list(_requests(source))
    done = _answered(target)
    namespace = f"batch:{_namespace(source, target, context)}"
    written = errors = 0
    with target.open("a", encoding="utf-8") as out:
        pending = items[done:]
        if progress:
            progress(done)
        for start in range(0, len(pending), chunk):
            batch = pending[start : start + chunk]
            requests = [(n, item) for n, item in batch if isinstance(item, dict)]
            # One checkpointed thread per input line: a run killed mid-graph resumes there.
            threads = {n: f"{namespace}:{n}" for n, _ in requests}
            answers = iter(
                generate_batch(
                    [item for _, item in requests],
                    max_concurrency=max_concurrency,
                    context=context,
                    thread_ids=list(threads.values()),
                )
                if requests
                else ()
            )
            settled = []
            for number, item in batch:
                answer: GenerationResult | BatchError = (
                    item if isinstance(item, BatchError) else next(answers)
                )
                errors += isinstance(answer, BatchError)
                out.write(answer.model_dump_json() + "\n")
                out.flush()
                os.fsync(out.fileno())
                written += 1
                if number in threads and not (
                    isinstance(answer, BatchError) and answer.error == PAUSED
                ):
                    settled.append(threads[number])
            # A written line is the request's record: its checkpoints (about 80 KB a
            # request) would otherwise pile up, gigabytes a night for a nightly batch.
            # A run paused for review keeps its thread.
            if settled:
                forget(Path(context.home).resolve(), settled)
            if progress:
                progress(len(batch))
    return BatchReport(total=len(items), skipped=done, written=written, errors=errors)
