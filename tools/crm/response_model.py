"""The agent's own response model, fitted on the visible history (never the arena's hidden
one): a segment's prior conversion rate, moved by each copy feature's within-campaign lift,
weighted by how sure the lift is.

    predicted = base x exp( sum_f  w_f * log(lift_f) * (x_f - share_f) )

where ``share_f`` is how common the feature is in the segment (so an average template is
predicted at the base rate) and ``w_f`` the lift's confidence that it is not chance, scaled
to 0 at a coin flip.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tools.crm.history import (
    LEARNED,
    per_data_version,
    segment_columns,
    segment_history,
    segment_lifts,
)
from tools.crm.store import Store
from tools.statistics import certainty


@dataclass(frozen=True)
class ResponseModel:
    """Conversion per send as a function of copy features, for one segment."""

    base: float
    coefficients: dict[str, float]
    shares: dict[str, float]

    def predict(self, features: Mapping[str, bool], base: float | None = None) -> float:
        """Expected conversion rate of a message with these features."""
        log_rate = math.log(base if base is not None else self.base)
        for feature, beta in self.coefficients.items():
            log_rate += beta * (float(features.get(feature, False)) - self.shares[feature])
        return min(max(math.exp(log_rate), 0.0), 1.0)


def segment_model(store: Store, segment: str) -> ResponseModel:
    """The response model of a segment, from all merchants' history in it; fitted once per
    segment and data version (every request of a batch reuses it)."""
    return per_data_version(store, "response_model", segment, lambda: _fit(store, segment))


def _fit(store: Store, segment: str) -> ResponseModel:
    prior, _ = segment_history(store, segment)
    lifts = segment_lifts(store, segment)
    has = segment_columns(store, segment).features
    coefficients, shares = {}, {}
    for feature, lift in lifts.items():
        coefficients[feature] = certainty(lift.confidence) * math.log(lift.ratio)
        shares[feature] = float(has[:, LEARNED.index(feature)].mean()) if len(has) else 0.0
    return ResponseModel(prior.mean, coefficients, shares)
