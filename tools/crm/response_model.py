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
from dataclasses import dataclass, field

from tools.crm.history import (
    LEARNED,
    per_data_version,
    segment_columns,
    segment_history,
    segment_lifts,
)
from tools.crm.store import Store
from tools.statistics import Z90, certainty, log_se


@dataclass(frozen=True)
class ResponseModel:
    """Conversion per send as a function of copy features, for one segment."""

    base: float
    coefficients: dict[str, float]
    shares: dict[str, float]
    variances: dict[str, float] = field(default_factory=dict)
    """Each coefficient's variance (from its lift's interval)."""
    spread: float = 0.0
    """The variance of a template's log rate around the segment's (the fitted prior's)."""

    def predict(self, features: Mapping[str, bool], base: float | None = None) -> float:
        """Expected conversion rate of a message with these features."""
        log_rate = math.log(base if base is not None else self.base)
        for feature, beta in self.coefficients.items():
            log_rate += beta * (float(features.get(feature, False)) - self.shares[feature])
        return min(max(math.exp(log_rate), 0.0), 1.0)

    def interval(
        self, features: Mapping[str, bool], base: float | None = None, sends: float | None = None
    ) -> tuple[float, float]:
        """A 90% interval around ``predict``, on the log scale (the delta method): how sure
        the base rate is (a merchant's own rate from its ``sends``; else the spread of
        templates' rates in the segment) and each coefficient's uncertainty."""
        # A beta's variance over its mean squared: the variance of its log, to first order.
        own = base is not None and sends
        spread = (1 - base) / (base * (sends + 1)) if own else self.spread  # type: ignore[operator]
        variance = spread + sum(
            v * (float(features.get(f, False)) - self.shares[f]) ** 2
            for f, v in self.variances.items()
        )
        rate, margin = self.predict(features, base), Z90 * math.sqrt(variance)
        return min(rate * math.exp(-margin), 1.0), min(rate * math.exp(margin), 1.0)


def segment_model(store: Store, segment: str) -> ResponseModel:
    """The response model of a segment, from all merchants' history in it; fitted once per
    segment and data version (every request of a batch reuses it)."""
    return per_data_version(store, "response_model", segment, lambda: _fit(store, segment))


def _fit(store: Store, segment: str) -> ResponseModel:
    prior, _ = segment_history(store, segment)
    lifts = segment_lifts(store, segment)
    has = segment_columns(store, segment).features
    coefficients, shares, variances = {}, {}, {}
    for feature, lift in lifts.items():
        weight = certainty(lift.confidence)
        coefficients[feature] = weight * math.log(lift.ratio)
        variances[feature] = (weight * log_se(lift)) ** 2
        shares[feature] = float(has[:, LEARNED.index(feature)].mean()) if len(has) else 0.0
    # A beta's variance over its mean squared: the variance of log rate, to first order.
    total = prior.alpha + prior.beta
    spread = prior.beta / (prior.alpha * (total + 1))
    return ResponseModel(prior.mean, coefficients, shares, variances, spread)
