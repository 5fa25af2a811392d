"""``crmagent batch --ray``: the same batch, answered by a pool of Ray actors.

Requests are grouped by merchant and segment (a shard) and every shard goes to one actor,
so the caches an actor builds for a merchant's segment (its history read, its wordings
parsed) serve every request of that segment. Each actor builds its own graph once and
answers chunks of its shards through ``generate_batch``, each request in its checkpointed
thread as in one process. A killed actor is restarted by Ray and its chunk retried.

The output is the single-process output: the same lines in input order. Chunks finish out
of order, so each chunk's answers are first appended to a journal beside the output
(``OUT.parts``: the input line number, the run and the result, a line each) and the output
then grows by the longest run of lines, in order, that the journal holds. A rerun (with or
without Ray) skips the lines the output holds; with Ray it also takes the journal's lines
of the same run, so a killed driver loses at most the chunks in flight, and no line is
ever written twice. The journal is deleted once the output is complete.

Ray is the ``ray`` extra, imported only here and only when a batch runs on it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from crmagent.api import PAUSED, BatchError, generate_batch
from crmagent.batch import (
    BatchReport,
    answered,
    complete_lines,
    namespace,
    read_requests,
    settle,
    tally,
)
from graph.context import Context, check_models
from tools.domain import GenerationResult
from tools.models import open_budget

if TYPE_CHECKING:
    from ray import ObjectRef
    from ray.actor import ActorHandle

Line = tuple[int, dict[str, Any]]
"""A request and its input line number."""

RESTARTS = 3
"""How often Ray restarts a killed actor (and retries its chunk) before the run stops."""
IN_FLIGHT = 2
"""Chunks queued on an actor at once: one running, one ready to start."""


class BatchWorker:
    """One actor of the pool: answers chunks of requests with its own graph and caches."""

    def __init__(self, context: Context, max_concurrency: int, max_calls: int | None) -> None:
        key = open_budget(max_calls) if max_calls is not None else ""
        self._context = dataclasses.replace(context, call_budget=key) if key else context
        self._concurrency = max_concurrency

    def answer(
        self, requests: list[dict[str, Any]], threads: list[str]
    ) -> list[GenerationResult | BatchError]:
        """The answers to a chunk, in its order (an error in a request's place)."""
        return list(
            generate_batch(
                requests,
                max_concurrency=self._concurrency,
                context=self._context,
                thread_ids=threads,
            )
        )

    def settle(self, settled: list[str], paused: list[str]) -> None:
        """Once the driver has written a chunk's lines: its threads' checkpoints go (those
        paused for review go to the review queue), where this actor keeps them."""
        settle(Path(self._context.home).resolve(), settled, paused)


def shards(lines: list[Line]) -> list[list[Line]]:
    """The requests grouped by merchant and segment, each group in input order."""
    groups: dict[tuple[str, str], list[Line]] = {}
    for number, item in lines:
        key = (str(item.get("merchant_id")), str(item.get("segment")))
        groups.setdefault(key, []).append((number, item))
    return list(groups.values())


def assign(groups: list[list[Line]], workers: int) -> list[list[list[Line]]]:
    """The shards dealt to ``workers`` actors, each whole to one, the largest first to the
    least loaded (so that one big merchant does not leave the others idle)."""
    loads = [0] * workers
    dealt: list[list[list[Line]]] = [[] for _ in range(workers)]
    for group in sorted(groups, key=lambda g: (-len(g), g[0][0])):
        actor = loads.index(min(loads))
        dealt[actor].append(group)
        loads[actor] += len(group)
    return dealt


def chunks(dealt: list[list[Line]], size: int) -> deque[list[Line]]:
    """An actor's shards, the earliest first (so the output's in-order prefix grows early),
    one after another in chunks of ``size``: a big shard over several chunks, small ones
    (a merchant's segment asked for once) together, so that a chunk's requests run
    ``max_concurrency`` at a time."""
    lines = [line for group in sorted(dealt, key=lambda g: g[0][0]) for line in group]
    return deque(lines[i : i + size] for i in range(0, len(lines), size))


class Journal:
    """The answers that finished out of order, beside the output until it is complete."""

    def __init__(self, target: Path, run: str) -> None:
        self.path = target.with_name(target.name + ".parts")
        self._run = run
        self.offsets: dict[int, int] = {}
        """Where each answered line's result starts in the journal, by input line number."""
        position = 0
        for record in complete_lines(self.path).splitlines(keepends=True):
            number, run_of, _ = record.split(b"\t", 2)
            if run_of.decode() == run and int(number) not in self.offsets:
                self.offsets[int(number)] = position + len(number) + len(run_of) + 2
            position += len(record)
        self._handle = self.path.open("ab")
        self._reader = self.path.open("rb")  # the file only grows: what it read stays true

    def add(self, answers: list[tuple[int, str]]) -> None:
        """Append these results (their JSON, by input line number), durably."""
        for number, text in answers:
            prefix = f"{number}\t{self._run}\t".encode()
            self.offsets.setdefault(number, self._handle.tell() + len(prefix))
            self._handle.write(prefix + text.encode() + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def result(self, number: int) -> bytes:
        """The result line of an input line, as written."""
        self._reader.seek(self.offsets[number])
        return self._reader.readline()

    def close(self, complete: bool) -> None:
        """Close the journal; delete it once the output holds every line."""
        self._handle.close()
        self._reader.close()
        if complete:
            self.path.unlink()


@contextmanager
def _cluster(
    address: str,
    workers: int | None,
    context: Context,
    max_concurrency: int,
    max_calls: int | None,
) -> Iterator[list[ActorHandle[BatchWorker]]]:
    """A pool of ``workers`` actors (default: one per CPU of the cluster) on the Ray cluster
    at ``address`` (``auto``: ``RAY_ADDRESS``, else the cluster started on this machine,
    else a new local one, shut down after), spread over its nodes. Each has its share of
    the call budget and this process's CRMAGENT_* settings (the store, the index, the
    models), so every worker reads the store the driver names."""
    import ray

    if workers is not None and workers < 1:
        raise ValueError(f"workers is {workers}; give 1 or more")
    started = not ray.is_initialized()
    if started:
        ray.init(address=None if address == "auto" else address, logging_level=logging.WARNING)
    cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
    count = workers or max(1, int(cpus))
    actor = ray.remote(max_restarts=RESTARTS, max_task_retries=RESTARTS)(BatchWorker)
    settings = {k: v for k, v in os.environ.items() if k.startswith("CRMAGENT_")}
    shares = [
        None if max_calls is None else max_calls // count + (i < max_calls % count)
        for i in range(count)
    ]
    pool = [
        cast(
            "ActorHandle[BatchWorker]",
            actor.options(scheduling_strategy="SPREAD", runtime_env={"env_vars": settings}).remote(
                context, max_concurrency, share
            ),
        )
        for share in shares
    ]
    try:
        yield pool
    finally:
        for handle in pool:
            ray.kill(handle)
        if started:
            ray.shutdown()


class _Output:
    """The output file, grown in input order from the journal."""

    def __init__(self, target: Path, journal: Journal, order: list[int]) -> None:
        self._handle = target.open("ab")
        self.journal = journal
        self._order = order
        self._next = 0

    @property
    def complete(self) -> bool:
        """Whether every line is written."""
        return self._next == len(self._order)

    def advance(self) -> None:
        """Write, durably, the lines that the journal holds next in order."""
        while not self.complete and self._order[self._next] in self.journal.offsets:
            self._handle.write(self.journal.result(self._order[self._next]))
            self._next += 1
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def _dispatch(
    pool: list[ActorHandle[BatchWorker]], queues: list[deque[list[Line]]], run: str
) -> Iterator[tuple[int, list[Line], list[GenerationResult | BatchError]]]:
    """Each chunk's answers as it finishes (with its actor's index), ``IN_FLIGHT`` chunks
    queued on each actor at a time."""
    import ray
    from ray.exceptions import RayError

    running: dict[ObjectRef[list[GenerationResult | BatchError]], tuple[int, list[Line]]] = {}

    def submit(actor: int) -> None:
        if queues[actor]:
            part = queues[actor].popleft()
            threads = [f"{run}:{n}" for n, _ in part]
            requests = [item for _, item in part]
            running[pool[actor].answer.remote(requests, threads)] = (actor, part)

    for actor in range(len(pool)):
        for _ in range(IN_FLIGHT):
            submit(actor)
    while running:
        ready, _ = ray.wait(list(running), num_returns=1)
        actor, part = running.pop(ready[0])
        try:
            answers = ray.get(ready[0])
        except RayError as exc:
            reason = str(exc).strip().splitlines()[0]
            raise RuntimeError(
                f"lines {', '.join(str(n) for n, _ in part)}: {type(exc).__name__}: {reason} "
                "(the lines answered so far are kept: rerun the same command for the rest)"
            ) from exc
        yield actor, part, answers
        submit(actor)


def _answer(
    todo: list[Line],
    run: str,
    pool: list[ActorHandle[BatchWorker]],
    chunk: int,
    output: _Output,
    progress: Callable[[int], None] | None,
) -> Counter[str]:
    """Answer ``todo`` on the pool, each chunk journaled and the output advanced as it
    finishes; what the answers cost, and how many are errors."""
    import ray

    queues = [chunks(dealt, chunk) for dealt in assign(shards(todo), len(pool))]
    spent: Counter[str] = Counter()
    settling: list[ObjectRef[None]] = []
    for actor, part, answers in _dispatch(pool, queues, run):
        lines = list(zip((n for n, _ in part), answers, strict=True))
        output.journal.add([(n, answer.model_dump_json()) for n, answer in lines])
        output.advance()
        settled: list[str] = []
        paused: list[str] = []
        for n, answer in lines:
            spent["errors"] += isinstance(answer, BatchError)
            tally(spent, answer)
            stopped = isinstance(answer, BatchError) and answer.error == PAUSED
            (paused if stopped else settled).append(f"{run}:{n}")
        settling.append(pool[actor].settle.remote(settled, paused))
        if progress:
            progress(len(part))
    ray.get(settling)
    return spent


def run_on_ray(
    source: Path,
    target: Path,
    *,
    context: Context,
    address: str,
    workers: int | None,
    max_concurrency: int,
    chunk: int,
    progress: Callable[[int], None] | None,
    max_calls: int | None,
) -> BatchReport:
    """``run_batch`` on a Ray cluster: the same output, resumable the same way. A restarted
    actor starts its share of ``max_calls`` afresh.

    Without Ray installed, raises ``ModuleNotFoundError`` naming the extra to install."""
    if importlib.util.find_spec("ray") is None:
        raise ModuleNotFoundError("a batch on Ray needs the ray extra: pip install 'crmagent[ray]'")
    check_models(context)
    items = list(read_requests(source))
    done = answered(target)
    run = f"batch:{namespace(source, target, context)}"
    journal = Journal(target, run)
    output = _Output(target, journal, [n for n, _ in items[done:]])
    fresh = [(n, item) for n, item in items[done:] if n not in journal.offsets]
    todo = [(n, item) for n, item in fresh if isinstance(item, dict)]
    bad = [(n, item.model_dump_json()) for n, item in fresh if isinstance(item, BatchError)]
    journal.add(bad)
    output.advance()
    if progress:
        progress(len(items) - len(todo))
    spent: Counter[str] = Counter(errors=len(bad))
    try:
        if todo:
            with _cluster(address, workers, context, max_concurrency, max_calls) as pool:
                spent.update(_answer(todo, run, pool, chunk, output, progress))
    finally:
        output.close()
        journal.close(complete=output.complete)
    return BatchReport(
        total=len(items), skipped=len(items) - len(fresh), written=len(fresh), **spent
    )
