"""The reviewed picture of what was reported, as known on one day.

A Catalog is built from the store's figures as of a date: reported figures,
figures derived from growth rates, the consistency review, and targets.
Pure: it takes values in and gives values out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from forecast.consistency import Review, review
from forecast.data import derive_base_observations
from forecast.domain import Conflict, Kind, Observation, ResolvedCell, Series, Target, add_months
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

    def __getstate__(self) -> dict[str, object]:
        """The fields without the cached properties: a reader of a served catalog may add one while it is pickled
        (a dict that grows under the pickler stops it), and they are rebuilt on first use after loading."""
        state = self.__dict__.copy()  # one C call: no reader can add a key halfway through the copy
        state.pop("_positions_by_series", None)
        return state

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

    def fitting_waves(self, series_ids: Iterable[str]) -> list[list[str]]:
        """The ids in waves that can be fitted side by side: the lender alone (the others borrow from its fit), then the rest."""
        order = self.fitting_order(series_ids)
        lender = self.prior_lender()
        first = [sid for sid in order if sid == lender]
        return [wave for wave in (first, [sid for sid in order if sid != lender]) if wave]

    def month_ends_with_news(self, months: int) -> list[date]:
        """The month-ends, of the last `months` months with new figures, before the latest figure's day: the days whose
        as-of answers are precomputed (replays)."""
        firsts = sorted({date(o.vintage.year, o.vintage.month, 1) for o in self.reported})
        ends = [add_months(first, 1) - timedelta(days=1) for first in firsts[-months:]]
        latest = max(o.vintage for o in self.reported)
        return [day for day in ends if day < latest]

    def restricted_to(self, series_id: str) -> Catalog:
        """This catalog with only what a fit of `series_id` reads (its definition and resolved cells): small to send to a worker."""
        cells = list(self._cells_by_series.get(series_id, []))
        return Catalog(self.as_of, {series_id: self.require(series_id)}, (), (), Review(tuple(cells), ()), (), (), {series_id: cells})

    def changed_since(self, earlier: Catalog) -> set[str]:
        """The series whose definition (retirement aside), figures (every version known, derived ones included) or
        resolved cells and conflicts differ from `earlier`'s, and the series new or gone since."""
        ids = set(self.series) | set(earlier.series)
        mine, theirs = self._figures_by_series(), earlier._figures_by_series()
        return {
            series_id
            for series_id in ids
            if _definition(self.series.get(series_id)) != _definition(earlier.series.get(series_id))
            or mine.get(series_id) != theirs.get(series_id)
            or self._cells_by_series.get(series_id) != earlier._cells_by_series.get(series_id)
            or self._conflicts_of(series_id) != earlier._conflicts_of(series_id)
        }

    def depending_on(self, changed: Iterable[str]) -> set[str]:
        """`changed` and every series whose fit reads theirs: all series when the lender changed (every fit borrows
        its prior), and the parts of a changed total (the part-versus-total comparison reads the total's paths).
        A total reads nothing of its parts, so a changed part leaves its total as it was."""
        affected = set(changed) & set(self.series)
        if self.prior_lender() in affected:
            return set(self.series)
        grown = True
        while grown:
            parts = {part for part, total in self.parts().items() if total in affected} - affected
            affected |= parts
            grown = bool(parts)
        return affected

    def targets_changed_since(self, earlier: Catalog) -> set[str]:
        """Targets new, changed (retirement included) or gone since `earlier`, and those a change revises or is revised by."""
        mine, theirs = {t.id: t for t in self.targets}, {t.id: t for t in earlier.targets}
        changed = {target_id for target_id in set(mine) | set(theirs) if mine.get(target_id) != theirs.get(target_id)}
        related = {t.supersedes for t in (*mine.values(), *theirs.values()) if t.id in changed and t.supersedes}
        related |= {t.id for t in mine.values() if t.supersedes in changed}
        return changed | related

    def _figures_by_series(self) -> dict[str, list[Observation]]:
        by_series: dict[str, list[Observation]] = defaultdict(list)
        for observation in (*self.reported, *self.derived):
            by_series[observation.series_id].append(observation)
        return {
            series_id: sorted(figures, key=lambda o: (o.key, o.vintage, o.is_derived, o.value)) for series_id, figures in by_series.items()
        }

    def _conflicts_of(self, series_id: str) -> list[Conflict]:
        return [conflict for conflict in self.review.conflicts if conflict.series_id == series_id]

    def fit_figures(self, series_id: str) -> list[Observation]:
        """One figure per cell, as resolved: what a model of the series is fitted to."""
        self.require(series_id)
        return [cell.chosen for cell in self._cells_by_series.get(series_id, []) if cell.chosen.kind is Kind.LEVEL]

    @cached_property
    def _positions_by_series(self) -> dict[str, list[tuple[int, Observation]]]:
        """Each series' reported then derived figures with their place in that order, built once per catalog: a read of
        one series' figures then costs that series' figures, not a scan of every series' (bench/scale.py)."""
        by_series: dict[str, list[tuple[int, Observation]]] = defaultdict(list)
        for position, observation in enumerate((*self.reported, *self.derived)):
            by_series[observation.series_id].append((position, observation))
        return dict(by_series)

    def figures_of(self, series_ids: Iterable[str]) -> list[Observation]:
        """The reported then derived figures of `series_ids`, in the catalog's order (reported first, each as stored)."""
        found = [item for series_id in set(series_ids) for item in self._positions_by_series.get(series_id, [])]
        return [observation for _, observation in sorted(found, key=lambda item: item[0])]

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


def _definition(series: Series | None) -> Series | None:
    """What a fit reads of a series' definition: all of it but its retirement."""
    return None if series is None else replace(series, retired_on="", retired_reason="")
