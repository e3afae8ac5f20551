"""Every failure the service names, in one tree.

    ForecastError
    ├── DataError                 a row of data/ or an ingest batch is invalid (file, line, field, reason)
    │   └── ConflictingFigure     a figure sent in contradicts the stored version of the same figure
    ├── InvalidParameter          a query parameter is out of range (field, reason)
    ├── UnknownSeries             no series with that id
    ├── UnknownTarget             no target with that id
    ├── UnknownObservation        no stored figure with that key
    ├── InsufficientHistory       too few figures to fit; says how many are needed
    ├── NotReady                  forecasts are still being computed
    └── ArtifactRejected          a stored model failed its manifest or hash check

The HTTP layer maps each class to a status code in one table (api/errors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecast.domain import Observation


class ForecastError(Exception):
    """Base of every error the service raises on purpose."""


class DataError(ForecastError):
    """An input row is invalid. Names where and why, so the row can be fixed."""

    def __init__(self, source: str, line: int, field: str, reason: str, row: int | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
        self.row = row  # index in an ingest batch, where lines and rows differ (a note may span lines)
        self.problems: list[DataError] = [self]  # every bad row of the batch, this one first
        where = f"row {row}" if row is not None else f"line {line}"
        super().__init__(f"{source}, {where}, field '{field}': {reason}")

    def as_dict(self) -> dict[str, object]:
        found = self._where()
        if len(self.problems) > 1:
            found["problems"] = [problem._where() for problem in self.problems]
        return found

    def _where(self) -> dict[str, object]:
        found: dict[str, object] = {"source": self.source, "line": self.line, "field": self.field, "reason": self.reason}
        if self.row is not None:
            found["row"] = self.row
        return found


class ConflictingFigure(DataError):
    """A figure sent in gives another value for a stored figure (same key) without being a later release of it.

    A later publication date makes a revision (a new version beside the old); the same or an earlier one is
    a contradiction the sender must resolve: mark the batch a correction, or retire the stored figure.
    """

    @classmethod
    def in_batch(cls, source: str, contradicted: Sequence[tuple[int, Observation, tuple[float, date]]]) -> ConflictingFigure:
        """One error for the batch, naming every contradicted figure by its row."""
        problems = [
            cls(
                source,
                0,
                "value",
                f"{sent.value:g} contradicts the stored figure {sent.key} ({stored:g}, known since {since}); a revision "
                'needs a later published_date; to correct a misread figure send the batch with "correction": true '
                "(the stored version stays in its history), or retire the stored figure",
                row=index,
            )
            for index, sent, (stored, since) in contradicted
        ]
        problems[0].problems = list(problems)
        return problems[0]


class InvalidParameter(ForecastError):
    """A request parameter that parses but cannot be answered (a horizon beyond the projection, say)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "reason": self.reason}


class UnknownSeries(ForecastError):
    def __init__(self, series_id: str) -> None:
        self.series_id = series_id
        super().__init__(f"unknown series '{series_id}': see GET /v1/series for the ids")


class UnknownTarget(ForecastError):
    def __init__(self, target_id: str) -> None:
        self.target_id = target_id
        super().__init__(f"unknown target '{target_id}': see GET /v1/targets for the ids")


class UnknownObservation(ForecastError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"no stored figure has the key '{key}': see the `key` of each figure in GET /v1/series/{{id}}/observations")


class InsufficientHistory(ForecastError):
    def __init__(self, series_id: str, have: int, need: int, what: str = "level figures") -> None:
        self.series_id = series_id
        self.have = have
        self.need = need
        super().__init__(f"series '{series_id}' has {have} {what}; at least {need} are needed to fit a model")


class NotReady(ForecastError):
    """Forecasts are still being computed."""


class ArtifactRejected(ForecastError):
    """A stored model did not pass its checks and must be refitted."""
