"""The reviewed picture of what was reported, as known on one day.

A Catalog is built from the store's figures as of a date: reported figures,
figures derived from growth rates, the consistency review, and targets.
Pure: it takes values in and gives values out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from forecast.consistency import Review, review
from forecast.data import derive_base_observations
from forecast.domain import Conflict, Kind, Observation, ResolvedCell, Series, Target
from forecast.errors import UnknownSeries


@dataclass(frozen=True)
class Catalog:
    as_of: date | None
    series: Mapping[str, Series]
    reported: tuple[Observation, ...]
    derived: tuple[Observation, ...]
    review: Review
    targets: tuple[Target, ...] = ()
    retired: tuple[Observation, ...] = ()  # figures retired with a reason: shown with the others, never reviewed or fitted
    _cells_by_series: dict[str, list[ResolvedCell]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        series: Mapping[str, Series],
        reported: Sequence[Observation],
        targets: Sequence[Target] = (),
        as_of: date | None = None,
    ) -> Catalog:
        retired = tuple(o for o in reported if o.retired)
        reported = [o for o in reported if not o.retired]
        derived = derive_base_observations(reported)
        checked = review(reported, derived, series)
        by_series: dict[str, list[ResolvedCell]] = defaultdict(list)
        for cell in checked.cells:
            by_series[cell.chosen.series_id].append(cell)
        return cls(as_of, series, tuple(reported), tuple(derived), checked, tuple(targets), retired, dict(by_series))

    def require(self, series_id: str) -> Series:
        if series_id not in self.series:
            raise UnknownSeries(series_id)
        return self.series[series_id]

    def prior_lender(self) -> str | None:
        """The series whose fit sparse series borrow from (`lends_prior` in series.csv), if one has the role."""
        return next((item.id for item in self.series.values() if item.lends_prior), None)

    def parts(self) -> dict[str, str]:
        """Part -> the total it is a part of (`part_of` in series.csv), for every series that is a part."""
        return {item.id: item.part_of for item in self.series.values() if item.part_of}

    def fitting_order(self, series_ids: Iterable[str] | None = None) -> list[str]:
        """The ids (all series by default) in the order to fit them: the lender, its parts by name, the rest by name.

        The lender comes first because the others borrow from its fit. Its parts
        follow so that the part-versus-total comparison has both fits early.
        """
        ids = set(self.series if series_ids is None else series_ids)
        lender = self.prior_lender()
        first = [lender] if lender is not None and lender in ids else []
        parts = sorted(part for part, total in self.parts().items() if total == lender and part in ids)
        return [*first, *parts, *sorted(ids - {*first, *parts})]

    def fit_figures(self, series_id: str) -> list[Observation]:
        """One figure per cell, as resolved: what a model of the series is fitted to."""
        self.require(series_id)
        return [cell.chosen for cell in self._cells_by_series.get(series_id, []) if cell.chosen.kind is Kind.LEVEL]

    def observations(self, series_id: str) -> list[Observation]:
        """Reported, retired and derived figures, by period."""
        self.require(series_id)
        figures = [o for o in (*self.reported, *self.retired, *self.derived) if o.series_id == series_id]
        return sorted(figures, key=lambda o: (o.period.end, o.period.start, o.is_derived, o.source.publisher))

    def used_keys(self) -> set[str]:
        return {cell.chosen.key for cell in self.review.cells}

    def conflicts_for(self, observation: Observation) -> list[Conflict]:
        keys = {observation.key, *observation.derived_from} if not observation.is_derived else set()
        return [c for c in self.review.conflicts if keys & set(c.observation_keys)]

    def last_observation(self, series_id: str) -> Observation | None:
        figures = [o for o in self.reported if o.series_id == series_id and o.kind is Kind.LEVEL]
        return max(figures, key=lambda o: (o.period.end, o.vintage), default=None)
