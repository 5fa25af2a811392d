"""Plots for merchants: where a generated template stands against the merchant's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt

from tools.crm.history import segment_history
from tools.crm.resources import store_url
from tools.crm.store import Store
from tools.domain import GenerationResult


def plot_standing(home: Path, request: dict[str, Any], result: GenerationResult, out: Path) -> Path:
    """A histogram of the merchant's templates in the segment by conversion rate (shrunk
    toward the segment), the segment's other merchants behind it, and the new template's
    predicted rate marked."""
    with Store(store_url(home)) as store:
        _, scored = segment_history(store, request["segment"])
    own = [100 * s.shrunk_cvr for s in scored if s.record.merchant_id == request["merchant_id"]]
    others = [100 * s.shrunk_cvr for s in scored if s.record.merchant_id != request["merchant_id"]]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(others, bins=30, alpha=0.4, label=f"other merchants (n={len(others)})", density=True)
    if own:
        axis.hist(own, bins=15, alpha=0.7, label=f"your templates (n={len(own)})", density=True)
    predicted = 100 * result.scores.predicted_cvr
    axis.axvline(
        predicted, color="crimson", linewidth=2, label=f"new template, predicted {predicted:.2f}%"
    )
    axis.set_xlabel(f"conversion per send in {request['segment']}, % (shrunk)")
    axis.set_ylabel("share of templates")
    axis.legend(fontsize=8)
    axis.set_title(f"{request['merchant_id']}: the new template against your history")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
