"""The monthly family's seams: any member is something that returns sample paths, so a fake can stand in."""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast.engine.arrays import MonthlyArray
from forecast.engine.borrowing import Prior
from forecast.engine.monthly import SeasonalInput, SeasonalMember, fit_monthly, mixture
from forecast.estimators.estimates import Estimates
from forecast.estimators.paths import Paths


class Flat:
    """A fake seasonal model: every month ahead is the last month it saw."""

    name, min_months, parameters = "flat", 1, {}  # type: ignore[var-annotated]

    def fit(self, values: np.ndarray, warm: Estimates | None = None) -> Flat:
        self.last_ = float(values[-1])
        return self

    def estimates(self) -> Estimates:
        return Estimates.of(self.name, "last", [self.last_])

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        return np.full((n_paths, horizon), self.last_)


class Constant:
    """A fake member of any kind: every path is `value` every month."""

    def __init__(self, name: str, value: float) -> None:
        self.name, self.value = name, value

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> Paths:
        months = np.full((n_paths, horizon), self.value)
        return {"month": months, "ytd": np.cumsum(months, axis=1), "qtd": np.cumsum(months, axis=1)}


def test_a_fake_seasonal_member_is_fitted_simulated_and_cumulated_from_the_totals_so_far() -> None:
    values = np.arange(1.0, 31.0)  # January 2000 to June 2002, exact months
    array = MonthlyArray.of(values, in_logs=False)
    fits = fit_monthly(
        array.figures(30),
        "array",
        Prior(),
        8,
        5,
        np.random.default_rng(0),
        wanted=lambda name: name == "flat",
        logs=False,
        plain=True,
        family=lambda: [Flat()],
    )
    assert set(fits.paths) == {"flat"} and set(fits.seasonal) == {"flat"}
    paths = fits.paths["flat"]
    np.testing.assert_array_equal(paths["month"], 30.0)
    so_far = values[24:].sum()  # January to June 2002
    np.testing.assert_array_equal(paths["ytd"][0], [so_far + 30 * h for h in range(1, 7)] + [30.0, 60.0])  # resets in January 2003
    np.testing.assert_array_equal(paths["qtd"][0, :3], [30.0, 60.0, 90.0])  # July starts a quarter


def test_a_member_whose_months_are_not_finite_is_refused() -> None:
    source = SeasonalInput(np.array([1.0, 2.0]), date(2024, 2, 1), {"ytd": 3.0, "qtd": 3.0})
    member = SeasonalMember(Flat().fit(np.array([np.nan])), source, in_logs=False)
    try:
        member.sample_paths(3, 2, np.random.default_rng(0))
    except ValueError as error:
        assert "not finite" in str(error)
    else:
        raise AssertionError("a member with months that are not finite must not join the mixture")


def test_the_mixture_draws_whole_paths_from_each_member_in_proportion_to_its_weight() -> None:
    rng = np.random.default_rng(1)
    members = [Constant("low", 1.0), Constant("high", 2.0)]
    paths = {m.name: m.sample_paths(12, 4000, rng) for m in members}
    mixed = mixture(paths, {"low": 0.25, "high": 0.75}, 4000, rng)
    first = mixed["month"][:, 0]
    assert abs(np.mean(first == 2.0) - 0.75) < 0.03
    assert np.all(mixed["month"] == first[:, None])  # each path comes whole from one member
