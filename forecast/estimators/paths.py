"""Arithmetic on simulated monthly paths: months cumulated into the totals so far, months rescaled to their years.

Paths are dicts of (n_paths, horizon) arrays: 'month', 'ytd' (the year's total so far) and
'qtd' (the quarter's), the first column the month after `last_month`.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast.domain import add_months, month_index
from forecast.estimators.seasonal import SEASON

Paths = dict[str, np.ndarray]  # 'month', 'ytd', 'qtd' -> (n_paths, horizon)


def cumulate(months: np.ndarray, last_month: date, ytd_now: float | np.ndarray, qtd_now: float | np.ndarray) -> dict[str, np.ndarray]:
    """Year- and quarter-to-date totals of simulated months, continuing the totals so far (one, or one per path)."""
    ytd, qtd = np.empty_like(months), np.empty_like(months)
    running_year = np.zeros(len(months)) + (0.0 if last_month.month == 12 else ytd_now)
    running_quarter = np.zeros(len(months)) + (0.0 if last_month.month % 3 == 0 else qtd_now)
    for h in range(months.shape[1]):
        month = add_months(last_month, h + 1).month
        if month == 1:
            running_year = np.zeros(len(months))
        if month % 3 == 1:
            running_quarter = np.zeros(len(months))
        running_year = running_year + months[:, h]
        running_quarter = running_quarter + months[:, h]
        ytd[:, h], qtd[:, h] = running_year, running_quarter
    return {"month": months, "ytd": ytd, "qtd": qtd}


def months_following_years(paths: Paths, last_month: date, years: np.ndarray, year_paths: np.ndarray) -> tuple[Paths, int | None]:
    """Months of the years the annual curves carry, rescaled path by path to sum to the curves' year.

    Without it a year's months and quarters come from the monthly model and the year itself
    from the curves, and need not add up (docs/decisions.md, 'Annual curves'). Each
    path keeps its own months' shape (the median path's where it has a month at or below zero),
    so the months stay as uneven as the monthly model made them. `years` are the curves' own
    (not the year under way or the bridge year, whose totals are the monthly model's); years
    not wholly ahead of `last_month` are left. Returns the paths and the first year rescaled.
    """
    months = paths["month"].copy()
    first_year = None
    for column, year in enumerate(np.asarray(years, dtype=int)):
        january = month_index(date(year, 1, 1)) - month_index(last_month) - 1
        if january < 0 or january + SEASON > months.shape[1]:
            continue
        block = months[:, january : january + SEASON]
        typical = np.maximum(np.median(block, axis=0), 0.0)
        typical = typical / typical.sum() if typical.sum() > 0 else np.full(SEASON, 1 / SEASON)
        positive = np.all(block > 0, axis=1)
        shape = np.where(positive[:, None], block / np.where(positive, block.sum(axis=1), 1.0)[:, None], typical[None, :])
        months[:, january : january + SEASON] = shape * year_paths[:, column, None]
        first_year = int(year) if first_year is None else first_year
    if first_year is None:
        return paths, None
    start = month_index(date(first_year, 1, 1)) - month_index(last_month) - 1
    rebuilt = cumulate(months[:, start:], date(first_year - 1, 12, 1), 0.0, 0.0)  # both totals restart in January
    return {key: np.concatenate([paths[key][:, :start], rebuilt[key]], axis=1) for key in ("month", "ytd", "qtd")}, first_year


def trailing_years(months: np.ndarray) -> np.ndarray:
    """Totals of consecutive 12-month blocks ending at the last month, oldest first (older odd months left out)."""
    whole = len(months) // SEASON * SEASON
    totals: np.ndarray = np.asarray(months[len(months) - whole :], dtype=float).reshape(-1, SEASON).sum(axis=1)
    return totals


def block_medians(months: np.ndarray, n_blocks: int) -> list[float]:
    """Median over paths of each of the first `n_blocks` whole 12-month totals ahead."""
    whole = min(n_blocks, months.shape[1] // SEASON)
    return [float(np.median(months[:, SEASON * block : SEASON * (block + 1)].sum(axis=1))) for block in range(whole)]


def months_pulled_toward(months: np.ndarray, targets: np.ndarray, weight: float) -> np.ndarray:
    """Each 12-month block ahead rescaled, every path alike, so that its median total moves `weight`
    of the way to the block's target. Blocks without a positive target or median, and a last
    block the paths do not reach whole, are left as they are."""
    pulled = months.copy()
    for block, (own, target) in enumerate(zip(block_medians(months, len(targets)), np.asarray(targets, dtype=float), strict=False)):
        if own > 0 and target > 0:
            pulled[:, SEASON * block : SEASON * (block + 1)] *= 1 + weight * (target / own - 1)
    return pulled


def pulled_toward(paths: Paths, last_month: date, targets: np.ndarray, weight: float) -> Paths:
    """`months_pulled_toward` on paths; their year- and quarter-to-date totals move with their months."""
    months = months_pulled_toward(paths["month"], targets, weight)
    change = cumulate(months - paths["month"], last_month, 0.0, 0.0)
    return {"month": months, "ytd": paths["ytd"] + change["ytd"], "qtd": paths["qtd"] + change["qtd"]}


def with_positive_years(paths: Paths, last_month: date, rng: np.random.Generator, years: int = 2) -> tuple[Paths, float]:
    """The paths whose first `years` year totals are positive, and the share of paths that were not.

    A model in levels has symmetric errors, so some paths of a small or volatile series end a year
    at zero or below, which a count or a value cannot. Those paths are replaced by paths drawn at
    random from the others: the model's distribution conditioned on the totals being positive.
    Clipping at zero instead would put that mass on a total of zero and, as the anchor of the
    annual curves, keep it there for every later year. Only the years that anchor the curves (the year
    under way and the next) are conditioned on: later months follow the curves' years
    (months_following_years), and conditioning on them would select the paths that drift upward.
    No path is drawn when none needs replacing.
    """
    year_ends = [h for h in range(paths["ytd"].shape[1]) if add_months(last_month, h + 1).month == 12][:years]
    if not year_ends:
        return paths, 0.0
    possible = np.all(paths["ytd"][:, year_ends] > 0, axis=1)
    if possible.all() or not possible.any():
        return paths, float(np.mean(~possible))
    rows = np.arange(len(possible))
    rows[~possible] = rng.choice(np.flatnonzero(possible), size=int((~possible).sum()))
    return {key: values[rows] for key, values in paths.items()}, float(np.mean(~possible))
