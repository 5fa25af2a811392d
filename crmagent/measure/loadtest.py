"""``crmagent loadtest``: N concurrent clients against a running ``crmagent serve``, on this
machine only, bounded in count and time; reports throughput, latency percentiles and errors."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def check_loopback(url: str) -> None:
    """Refuse any target but this machine: a load test never leaves it."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise ValueError(
            f"{url}: load tests run against loopback addresses only (127.0.0.1, localhost, ::1)"
        )


async def _run(
    url: str,
    payloads: list[dict[str, Any]],
    concurrency: int,
    headers: dict[str, str],
    deadline_s: float,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:

        async def one(payload: dict[str, Any]) -> None:
            async with gate:
                if time.perf_counter() - started > deadline_s:
                    errors["skipped: deadline"] = errors.get("skipped: deadline", 0) + 1
                    return
                sent = time.perf_counter()
                try:
                    response = await client.post(url, json={"input": payload})
                    if response.status_code != 200:
                        key = f"HTTP {response.status_code}"
                        errors[key] = errors.get(key, 0) + 1
                        return
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    return
                latencies.append(1000 * (time.perf_counter() - sent))

        await asyncio.gather(*(one(p) for p in payloads))
    elapsed = time.perf_counter() - started
    ok = len(latencies)
    return {
        "requests": len(payloads),
        "succeeded": ok,
        "errors": errors,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "throughput_per_s": round(ok / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if ok else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 1) if ok else None,
        "p99_ms": round(float(np.percentile(latencies, 99)), 1) if ok else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if ok else None,
    }


def load_test(
    base_url: str,
    payloads: list[dict[str, Any]],
    *,
    concurrency: int = 50,
    api_key: str | None = None,
    deadline_s: float = 600,
) -> dict[str, Any]:
    """Send every payload to ``base_url``/crmagent/invoke, ``concurrency`` at a time."""
    check_loopback(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url.rstrip("/") + "/crmagent/invoke"
    return asyncio.run(_run(url, payloads, concurrency, headers, deadline_s))
