"""Experiments between messages read as a Bayesian multi-armed bandit: each arm's posterior,
the probability that it is best and what choosing it would cost if it is not, the split of
the next sends by Thompson sampling, when to stop, and the unsubscribe guardrail.

Pure numbers: arms in, readings out, the same for the same seed. Every figure is a Monte
Carlo average over posterior draws from a seeded ``numpy`` generator.

- Conversion rate: Beta(1 + conversions, 1 + sends - conversions), a uniform prior.
- Revenue per send (``objective="revenue"``): the conversion rate times the mean revenue of
  an order. Order values are taken as exponential (a spread as wide as their mean, about
  what shop baskets show), so that, given an arm's orders and their revenue, the inverse of
  its mean order value is Gamma(2 + conversions, rate = pooled mean order value + revenue):
  a prior worth one order at the mean order value of all arms, and a mean that exists even
  for an arm with no order yet.
- The unsubscribe rate: Beta(1 + unsubscribes, 1 + sends - unsubscribes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Objective = Literal["conversion", "revenue"]
DRAWS = 20_000
"""Posterior draws behind every figure: P(best) to about +-0.004 at 0.5."""
CONTROL_FLOOR = 0.10
"""The share of the next sends the control keeps, however far behind it is: the baseline
goes on being measured, so a drift in the audience shows in every arm alike."""
LOSS_THRESHOLD = 0.001
"""Stop when choosing the leader would cost, in expectation, less than this conversion rate
(0.1 percentage point); with revenue as the objective, this times the mean order value."""
MIN_SENDS = 1_000
"""No arm is judged on fewer sends than this (early luck is loud)."""
GUARDRAIL_BOUND = 0.002
"""How much higher than the control's an arm's unsubscribe rate may be (0.2 point)."""
GUARDRAIL_CONFIDENCE = 0.95
"""How sure the posterior must be that the bound is crossed before an arm is stopped."""
INTERVAL = (0.05, 0.95)
"""The credible interval shown for a rate: 90%."""


@dataclass(frozen=True)
class Arm:
    """One message of an experiment and what it did so far."""

    name: str
    sends: int
    conversions: int
    revenue: float | None = None
    unsubscribes: int | None = None


@dataclass(frozen=True)
class ArmReading:
    """What the posterior says of one arm."""

    name: str
    sends: int
    conversions: int
    rate: float
    """Observed conversion rate (0 with no sends)."""
    rate_low: float
    """The 90% credible interval of the conversion rate: its 5th percentile ..."""
    rate_high: float
    """... and its 95th."""
    value_per_send: float | None
    """Posterior mean revenue per send (revenue objective only)."""
    p_best: float
    """Probability that the arm is the best of the arms still running (0 when stopped)."""
    expected_loss: float
    """E[best arm - this arm] in the objective's unit: what shipping it would cost, on
    average, against the best of the running arms."""
    unsubscribe_rate: float | None
    p_unsubscribes_over: float | None
    """Probability that the arm's unsubscribe rate exceeds the control's by more than the
    bound (None: unsubscribes not known for it or the control; the control itself)."""
    guardrail_stopped: bool


@dataclass(frozen=True)
class Analysis:
    """An experiment read at one moment: its arms, the leader and whether to stop."""

    objective: Objective
    control: int
    arms: list[ArmReading]
    leader: int
    """The running arm with the least expected loss."""
    threshold: float
    min_sends: int
    stop: bool
    """The leader's expected loss is under ``threshold`` and the leader and the control
    have ``min_sends`` each: ship the leader."""
    reason: str
    seed: int
    draws: int

    @property
    def running(self) -> list[int]:
        """The arms not stopped by the guardrail, in order."""
        return [i for i, arm in enumerate(self.arms) if not arm.guardrail_stopped]


def _checked(arms: Sequence[Arm], control: int, objective: Objective) -> None:
    if len(arms) < 2:
        raise ValueError(f"an experiment needs two arms or more, got {len(arms)}")
    if not 0 <= control < len(arms):
        raise ValueError(f"control arm {control} is not one of the {len(arms)} arms")
    for arm in arms:
        if arm.sends < 0 or arm.conversions < 0:
            raise ValueError(f"arm {arm.name}: sends and conversions cannot be negative")
        if arm.conversions > arm.sends:
            raise ValueError(
                f"arm {arm.name}: conversions ({arm.conversions}) > sends ({arm.sends})"
            )
        if arm.unsubscribes is not None and not 0 <= arm.unsubscribes <= arm.sends:
            raise ValueError(
                f"arm {arm.name}: unsubscribes ({arm.unsubscribes}) must be between 0 and "
                f"sends ({arm.sends})"
            )
        if objective == "revenue" and (arm.revenue is None or arm.revenue < 0):
            raise ValueError(
                f"arm {arm.name}: no revenue on record; record or import its revenue, or "
                "use the conversion objective"
            )


def _mean_order_value(arms: Sequence[Arm]) -> float:
    orders = sum(arm.conversions for arm in arms)
    revenue = sum(arm.revenue or 0.0 for arm in arms)
    return revenue / orders if orders and revenue > 0 else 1.0


def _beta(rng: np.random.Generator, hits: np.ndarray, trials: np.ndarray, draws: int) -> np.ndarray:
    return rng.beta(1 + hits, 1 + trials - hits, size=(draws, hits.size))


def analyse(
    arms: Sequence[Arm],
    *,
    control: int = 0,
    objective: Objective = "conversion",
    seed: int = 0,
    draws: int = DRAWS,
    threshold: float | None = None,
    min_sends: int = MIN_SENDS,
    guardrail_bound: float = GUARDRAIL_BOUND,
    guardrail_confidence: float = GUARDRAIL_CONFIDENCE,
) -> Analysis:
    """Read an experiment: each arm's rate with its 90% interval, P(best) and expected
    loss among the arms the guardrail has not stopped, and whether to stop (``threshold``
    defaults to ``LOSS_THRESHOLD``, times the mean order value for revenue)."""
    _checked(arms, control, objective)
    rng = np.random.default_rng(seed)
    sends = np.array([arm.sends for arm in arms], dtype=float)
    conversions = np.array([arm.conversions for arm in arms], dtype=float)
    rates = _beta(rng, conversions, sends, draws)
    order_value = _mean_order_value(arms)
    values = rates
    if objective == "revenue":
        revenue = np.array([arm.revenue or 0.0 for arm in arms], dtype=float)
        inverse = rng.gamma(2 + conversions, 1 / (order_value + revenue), size=(draws, len(arms)))
        values = rates / inverse
    if threshold is None:
        threshold = LOSS_THRESHOLD * (order_value if objective == "revenue" else 1.0)

    over = _guardrail(rng, arms, control, draws, guardrail_bound)
    stopped = [p is not None and p >= guardrail_confidence for p in over]
    running = [i for i in range(len(arms)) if not stopped[i]]
    best = values[:, running].max(axis=1)
    winner = np.asarray(running)[values[:, running].argmax(axis=1)]
    p_best = np.bincount(winner, minlength=len(arms)) / draws
    loss = (best[:, None] - values).mean(axis=0)
    low, high = np.quantile(rates, INTERVAL, axis=0)

    readings = [
        ArmReading(
            name=arm.name,
            sends=arm.sends,
            conversions=arm.conversions,
            rate=arm.conversions / arm.sends if arm.sends else 0.0,
            rate_low=float(low[i]),
            rate_high=float(high[i]),
            value_per_send=float(values[:, i].mean()) if objective == "revenue" else None,
            p_best=float(p_best[i]),
            expected_loss=max(0.0, float(loss[i])),
            unsubscribe_rate=None
            if arm.unsubscribes is None or not arm.sends
            else arm.unsubscribes / arm.sends,
            p_unsubscribes_over=over[i],
            guardrail_stopped=stopped[i],
        )
        for i, arm in enumerate(arms)
    ]
    leader = min(running, key=lambda i: (readings[i].expected_loss, -readings[i].p_best, i))
    # The leader and the control are judged on their own sends; an arm Thompson sampling
    # starves is starved for being behind, and what is left unknown of it is in the
    # leader's expected loss already.
    judged = sorted({leader, control} & set(running))
    short = [arms[i].name for i in judged if arms[i].sends < min_sends]
    unit = "per send" if objective == "revenue" else "conversion rate"
    lead = readings[leader]
    if short:
        stop = False
        reason = (
            f"keep testing: {', '.join(short)} ha{'s' if len(short) == 1 else 've'} fewer "
            f"than {min_sends:,} sends"
        )
    elif lead.expected_loss >= threshold:
        stop = False
        reason = (
            f"keep testing: choosing {lead.name} now could cost {lead.expected_loss:.5f} "
            f"{unit} on average, the bound is {threshold:.5f}"
        )
    else:
        stop = True
        reason = (
            f"stop: ship {lead.name} (P(best) {lead.p_best:.1%}; choosing it costs "
            f"{lead.expected_loss:.5f} {unit} on average, under {threshold:.5f})"
        )
    return Analysis(
        objective=objective,
        control=control,
        arms=readings,
        leader=leader,
        threshold=threshold,
        min_sends=min_sends,
        stop=stop,
        reason=reason,
        seed=seed,
        draws=draws,
    )


def _guardrail(
    rng: np.random.Generator, arms: Sequence[Arm], control: int, draws: int, bound: float
) -> list[float | None]:
    """Each arm's probability that its unsubscribe rate exceeds the control's by more than
    ``bound`` (None where a count is missing, and for the control)."""
    known = [i for i, arm in enumerate(arms) if arm.unsubscribes is not None]
    if control not in known or len(known) < 2:
        return [None] * len(arms)
    hits = np.array([arms[i].unsubscribes or 0 for i in known], dtype=float)
    trials = np.array([arms[i].sends for i in known], dtype=float)
    rates = _beta(rng, hits, trials, draws)
    base = rates[:, known.index(control)]
    over: list[float | None] = [None] * len(arms)
    for column, i in enumerate(known):
        if i != control:
            over[i] = float(np.mean(rates[:, column] - base > bound))
    return over


def split(analysis: Analysis, sends: int, floor: float = CONTROL_FLOOR) -> list[int]:
    """The next ``sends`` shared out by Thompson sampling: each send goes to an arm with
    the probability that the arm is best (its share is its P(best)); the control keeps at
    least ``floor`` of them and an arm stopped by the guardrail gets none. Whole sends, by
    largest remainder, summing to ``sends``."""
    if sends < 0:
        raise ValueError(f"sends ({sends}) cannot be negative")
    if not 0 <= floor <= 1:
        raise ValueError(f"the control's floor ({floor}) must be between 0 and 1")
    control = analysis.control
    shares = np.array(
        [0.0 if arm.guardrail_stopped else arm.p_best for arm in analysis.arms], dtype=float
    )
    shares[control] = 0.0
    others = float(shares.sum())
    if others == 0:  # nothing else running: the control gets every send
        shares[control] = 1.0
        return [int(sends * s) for s in shares]
    kept = max(floor, analysis.arms[control].p_best)
    counts = np.zeros(len(shares), dtype=int)
    counts[control] = min(sends, math.ceil(kept * sends - 1e-9))  # a floor, rounded up
    exact = shares / others * (sends - counts[control])
    rest = np.floor(exact).astype(int)
    # Largest remainder first; among equal remainders, the earlier arm.
    order = sorted(
        (i for i in range(len(shares)) if i != control), key=lambda i: (-(exact[i] - rest[i]), i)
    )
    for i in order[: sends - int(counts[control]) - int(rest.sum())]:
        rest[i] += 1
    counts += rest
    return [int(c) for c in counts]


def plan(analysis: Analysis, sends: int, floor: float = CONTROL_FLOOR) -> list[int]:
    """The next ``sends`` as the experiment stands: while it runs, the Thompson ``split``
    with the control's floor; once it may stop, every send to the leader (the test has
    taught what it could, and the floor's price is no longer worth paying)."""
    if not analysis.stop:
        return split(analysis, sends, floor)
    counts = [0] * len(analysis.arms)
    counts[analysis.leader] = sends
    return counts
