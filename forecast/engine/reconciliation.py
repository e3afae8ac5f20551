"""Temporal reconciliation: a rich series' next two 12-month totals move toward the annual family's forecast of them.

The monthly models read a year's momentum only through a few smoothing
parameters; the annual curves read it from the years themselves. THieF
(Athanasopoulos et al. 2017, "Forecasting with temporal hierarchies"), with the
annual level only: the annual family forecasts the totals of the 12-month blocks
that end at the last month, and the monthly mixture's next two blocks move
TRAILING_YEAR_WEIGHT of the way toward them (THieF's structural scaling would move
halfway). The same pull is applied at every backtest origin, so the backtests
score what is served. How the weight was chosen: docs/decisions.md, "Temporal reconciliation".
"""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast.engine.annual import plain_annual_paths
from forecast.engine.borrowing import Prior
from forecast.engine.report import Reconciliation
from forecast.estimators.paths import Paths, block_medians, pulled_toward, trailing_years
from forecast.estimators.seasonal import SEASON

TRAILING_YEAR_WEIGHT = 0.2
MIN_TRAILING_YEARS = 4  # the annual family needs a few totals to backtest and weigh its curves
TARGET_PATHS = 500


def trailing_year_targets(months: np.ndarray, prior: Prior) -> np.ndarray | None:
    """The annual family's median forecast of the next two 12-month totals, from the totals of the
    12-month blocks ending at the last month (trailing_years); None with fewer than
    MIN_TRAILING_YEARS blocks or a block that is not positive.

    Without the saturating curves, whose least squares took 95% of the time (a target cost
    200 ms with them, 11 ms without).
    """
    blocks = trailing_years(months)
    if len(blocks) < MIN_TRAILING_YEARS or not np.all(blocks > 0):
        return None
    paths, _ = plain_annual_paths(blocks, 2, prior, None, TARGET_PATHS, 0, saturating=False)
    medians: np.ndarray = np.percentile(paths, 50.0, axis=0)
    return medians


def reconciled(mixture: Paths, months_read: np.ndarray, last_month: date, prior: Prior) -> tuple[Paths, Reconciliation | None]:
    """The mixture pulled toward the trailing-year targets of the months the seasonal models read, and what was done."""
    targets = trailing_year_targets(months_read, prior)
    if targets is None:
        return mixture, None
    before = block_medians(mixture["month"], len(targets))
    report = Reconciliation(TRAILING_YEAR_WEIGHT, len(months_read) // SEASON, [float(t) for t in targets], before)
    return pulled_toward(mixture, last_month, targets, TRAILING_YEAR_WEIGHT), report
