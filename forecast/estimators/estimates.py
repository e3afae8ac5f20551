"""A fitted model's estimates, kept to start the same model's next fit on more of the series (a warm start)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimates:
    """What one model estimated, and for which of its terms: a start applies only to a fit of the same terms.

    Small and picklable, unlike a statsmodels results object that carries its data:
    a backtest run in one process hands its last origin's estimates to the
    forecast fitted in another (bench/accuracy.py).
    """

    model: str
    terms: str
    values: tuple[float, ...]

    @classmethod
    def of(cls, model: str, terms: str, values: object) -> Estimates:
        return cls(model, terms, tuple(float(v) for v in np.ravel(np.asarray(values, dtype=float))))


def start_from(warm: Estimates | None, model: str, terms: str) -> np.ndarray | None:
    """`warm`'s values as a start for `model` with `terms`; None (a cold start) when they are another
    model's, other terms', or not all finite (a start at NaN fails where a cold start would not)."""
    if warm is None or warm.model != model or warm.terms != terms:
        return None
    start = np.array(warm.values, dtype=float)
    return start if np.all(np.isfinite(start)) else None
