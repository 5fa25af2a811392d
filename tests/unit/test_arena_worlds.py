"""World kinds: a contrarian world's structure is drawn per seed, part of it against trade
best practice (read here, in a test, never by the arena), phrasings the agent's features do
not name move its customers, and a default world stays exactly as it was."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from arena.grammar import Facts
from arena.hidden import DRAWN_FEATURES, HiddenWorld, draw_hidden
from arena.response import Campaign, expected_cvr, phrases
from arena.runner import TaskScore, consistency, good_original_figures
from tools.message.best_practice import SEGMENT_PRACTICE

MERCHANTS = ["m1", "m2", "m3"]


def world(seed: int, kind: str = "default") -> HiddenWorld:
    return draw_hidden(np.random.default_rng(seed), seed, MERCHANTS, kind)


def against_practice(found: HiddenWorld) -> set[tuple[str, str]]:
    """Segment x feature effects whose sign contradicts best practice's advice."""
    out = set()
    for segment, advice in SEGMENT_PRACTICE.items():
        weights = found.segments[segment].weights
        out |= {(segment, f) for f in advice.use if f in weights and weights[f] < 0}
        out |= {(segment, f) for f in advice.avoid if f in weights and weights[f] > 0}
    return out


def test_a_default_world_is_drawn_as_before_and_has_no_drawn_effects() -> None:
    before = draw_hidden(np.random.default_rng(7), 7, MERCHANTS)
    assert before == world(7, "default")
    assert before.kind == "default" and not before.effects and not before.reversed_effects


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_contrarian_world_redraws_about_half_its_structure(seed: int) -> None:
    default, contrarian = world(seed), world(seed, "contrarian")
    cells = [(s, f) for s in default.segments for f in DRAWN_FEATURES]
    redrawn = sum(
        contrarian.segments[s].weights[f] != default.segments[s].weights[f] for s, f in cells
    )
    assert 0.3 <= redrawn / len(cells) <= 0.65
    # Base rates and framing are the seed's own: only the structure of response changes.
    assert contrarian.framing == default.framing
    assert contrarian.merchants["m1"].base_conv == default.merchants["m1"].base_conv
    # Merchants' tastes spread several times wider than the default's small effects.
    spread = [
        np.std(list(w.merchants[m].weights.values()))
        for w in (default, contrarian)
        for m in MERCHANTS
    ]
    assert np.mean(spread[len(MERCHANTS) :]) > 2 * np.mean(spread[: len(MERCHANTS)])


def test_contrarian_structure_differs_across_seeds_with_effects_against_best_practice() -> None:
    found = {seed: world(seed, "contrarian") for seed in (1, 2, 3)}
    against = {seed: against_practice(w) for seed, w in found.items()}
    for seed, w in found.items():
        assert len(against[seed]) >= 5
        assert len(against[seed]) > len(against_practice(world(seed)))
        assert w.reversed_effects
        # One segment is drawn for which emoji help an e-mail, against the channel's advice.
        fond = [k for k in w.effects if k[0] == "segment_channel"]
        assert len(fond) == 1 and fond[0][1].endswith("|email") and w.effects[fond[0]] > 0
    assert len({frozenset(a) for a in against.values()}) == 3
    assert len({w.reversed_effects for w in found.values()}) == 3


def test_mixed_sits_between_default_and_contrarian() -> None:
    counts = {
        kind: sum(len(world(seed, kind).reversed_effects) for seed in (1, 2, 3, 4))
        for kind in ("default", "mixed", "contrarian")
    }
    assert counts["default"] == 0 < counts["mixed"] < counts["contrarian"]


def test_unknown_world_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown world kind 'upside'"):
        world(1, "upside")


FACTS = Facts("vip", "im", "Aero Trail Runner", "percent_off", 20.0, None, date(2026, 12, 31), None)
SHOP = "Thank you, {first_name}. Take 20% off the Aero Trail Runner. Shop now: {link}"
CLAIM = SHOP.replace("Shop now", "Claim it")  # as long: only the wording differs


def test_phrasing_the_features_do_not_name_moves_only_a_drawn_world() -> None:
    assert phrases(None, SHOP)["cta_shop_now"] and phrases(None, CLAIM)["cta_claim"]
    campaign = Campaign("m1", FACTS, 80.0)
    default = world(1)
    assert expected_cvr(default, campaign, None, SHOP) == expected_cvr(
        default, campaign, None, CLAIM
    )
    contrarian = world(1, "contrarian")
    assert expected_cvr(contrarian, campaign, None, SHOP) != expected_cvr(
        contrarian, campaign, None, CLAIM
    )


def score(original: float, new: float, oracle: float, kept: bool = False) -> TaskScore:
    return TaskScore(
        "t", "rewrite_best", "vip", 10, "group", original, new, oracle, True, True, None, None, kept
    )


def test_good_original_figures_split_tasks_by_whether_an_improvement_exists() -> None:
    full = [
        score(0.010, 0.012, 0.015),  # improvable, improved
        score(0.010, 0.009, 0.015),  # improvable, worse
        score(0.020, 0.020, 0.020, kept=True),  # settled, rightly kept
        score(0.020, 0.018, 0.020),  # settled, changed and worse
    ]
    rules = [replace(s, new=s.original) for s in full]
    again = [replace(s) for s in full]
    figures = good_original_figures(
        {"full": full, "rules_only": rules, "full:drafts=1": again}, random.Random(1)
    )
    assert figures["improvable_tasks"] == 2 and figures["improved_share"] == 0.5
    assert figures["settled_tasks"] == 2 and figures["kept_share"] == 0.5
    assert figures["worse_share"] == 0.5 and figures["worst_lift"] == pytest.approx(-0.1)
    low, high = figures["mean_lift_interval"]
    assert low <= figures["mean_lift"] <= high
    assert figures["consistency"] == {
        "k": 2,
        "drafts": [6, 1],
        "tasks": 4,
        "pass_k": 1.0,
        "better_share": [0.25, 0.25],
    }


def test_pass_k_counts_tasks_whose_verdicts_all_agree() -> None:
    first = [score(0.01, 0.02, 0.03), score(0.01, 0.02, 0.03), score(0.01, 0.005, 0.03)]
    second = [score(0.01, 0.02, 0.03), score(0.01, 0.01, 0.03), score(0.01, 0.004, 0.03)]
    found = consistency([first, second], (6, 1))
    assert found["pass_k"] == pytest.approx(2 / 3, abs=1e-4)
    assert found["better_share"] == [pytest.approx(2 / 3, abs=1e-4), pytest.approx(1 / 3, abs=1e-4)]
