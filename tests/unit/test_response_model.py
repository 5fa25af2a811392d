"""The response model's predicted conversion and its 90% interval: what a merchant reads
next to the new text."""

from __future__ import annotations

import math

import pytest

from tools.crm.response_model import ResponseModel

MODEL = ResponseModel(
    base=0.02,
    coefficients={"cta": math.log(1.3), "emoji": math.log(1.1)},
    shares={"cta": 0.5, "emoji": 0.5},
    variances={"cta": 0.01, "emoji": 0.09},
    spread=0.25,
)


def test_the_interval_holds_the_prediction_and_is_a_90_percent_one() -> None:
    features = {"cta": True, "emoji": False}
    low, high = MODEL.interval(features)
    assert low < MODEL.predict(features) < high
    # Only the segment's spread and the two coefficients: sd of the log is their root sum.
    sd = math.sqrt(0.25 + 0.01 * 0.25 + 0.09 * 0.25)
    assert math.log(high / low) == pytest.approx(2 * 1.6449 * sd, rel=1e-3)


def test_a_merchants_own_sends_narrow_it_and_an_unsure_lift_widens_it() -> None:
    features = {"cta": True, "emoji": True}
    segment = MODEL.interval(features)
    own = MODEL.interval(features, base=0.03, sends=20_000)
    assert own[1] / own[0] < segment[1] / segment[0]
    sure = ResponseModel(**{**MODEL.__dict__, "variances": {"cta": 0.0, "emoji": 0.0}})
    assert sure.interval(features)[1] < MODEL.interval(features)[1]
