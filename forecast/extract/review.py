"""Each proposal against the figures the store holds: new, the same as a stored figure, a conflict, a basis mix-up.

"The same" uses the rule the consistency review uses (forecast.domain.agree_within_rounding: rounding steps,
"about" widened to 1%, bounds one-sided). A basis mix-up is a figure credited to one counter (customs) that
equals the other counter's figure for the same cell (CAAM), as seed 000's "4.91 million, according to customs".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from forecast.domain import Observation, Qualifier, Series, Source, agree_within_rounding
from forecast.extract.extractor import Extraction
from forecast.extract.model import Guess, Proposal

Cell = tuple[str, date, date, str, str]


def review_proposals(proposals: Sequence[Proposal], series: Mapping[str, Series], stored: Sequence[Observation]) -> list[Proposal]:
    by_cell: dict[Cell, list[Observation]] = defaultdict(list)
    for figure in stored:
        by_cell[_cell(figure.series_id, figure)].append(figure)
    return [_review(proposal, series, by_cell) for proposal in proposals]


def _cell(series_id: str, figure: Observation | Proposal) -> Cell:
    return (series_id, figure.period.start, figure.period.end, figure.aggregation.value, figure.kind.value)


def _review(proposal: Proposal, series: Mapping[str, Series], by_cell: Mapping[Cell, list[Observation]]) -> Proposal:
    mine = _as_observation(proposal)
    series_id = proposal.subject.series_id
    stored = by_cell.get(_cell(series_id, proposal), []) if series_id else []
    if stored:
        same = [figure for figure in stored if agree_within_rounding(mine, figure)]
        if same:
            return replace(proposal, review_status="same", review=f"the same as the stored figure {_label(same[0])}")
    mixup = _other_basis(proposal, mine, series, by_cell)
    if series_id and stored:
        conflict = _conflict(proposal, stored[0])
        if mixup is not None:
            return replace(proposal, review_status="basis_mixup", review=f"{conflict}; {mixup[1]}")
        return replace(proposal, review_status="conflict", review=conflict)
    if mixup is not None and series_id:
        return replace(proposal, review_status="basis_mixup", review=mixup[1])
    if mixup is not None:
        other, figure = mixup[0], mixup[2]
        why = f"the text does not decide; the value equals the stored figure {_label(figure)} of {other.id}"
        subject = replace(proposal.subject, series_id=other.id, basis=other.basis.value, segment=other.segment, measure=other.measure)
        guesses = tuple(g for g in proposal.uncertain if g.field != "series_id") + (Guess("series_id", why),)
        return replace(
            proposal, subject=subject, uncertain=guesses, review_status="same", review=f"the same as the stored figure {_label(figure)}"
        )
    what = (
        "new: no stored figure for this series and period" if series_id else "new: matches none of our series; choose one before accepting"
    )
    return replace(proposal, review_status="new", review=what)


def _other_basis(
    proposal: Proposal, mine: Observation, series: Mapping[str, Series], by_cell: Mapping[Cell, list[Observation]]
) -> tuple[Series, str, Observation] | None:
    """A stored figure of the same entity, segment and unit but another counter that this value equals."""
    own = series.get(proposal.subject.series_id)
    for other in series.values():
        if other.entity != proposal.subject.entity or other.unit != proposal.unit or other.id == proposal.subject.series_id:
            continue
        if own is not None and (other.segment != own.segment or other.basis == own.basis):
            continue
        for figure in by_cell.get(_cell(other.id, proposal), []):
            if agree_within_rounding(mine, replace(figure, series_id=mine.series_id)):
                credited = f"credited to {own.basis.value} ({own.id}) but " if own else ""
                return other, f"basis mix-up? {credited}equals the stored {other.basis.value} figure {_label(figure)} of {other.id}", figure
    return None


def _conflict(proposal: Proposal, stored: Observation) -> str:
    gap = (proposal.value - stored.value) / stored.value * 100 if stored.value else float("inf")
    return f"conflicts with the stored figure {_label(stored)} by {gap:+.1f}%"


def _label(figure: Observation) -> str:
    value = f"{figure.value:,.0f}" if figure.value == int(figure.value) else f"{figure.value:g}"
    return f"{value} {figure.unit} ({figure.source.publisher}, {figure.source.reference})"


def _as_observation(proposal: Proposal) -> Observation:
    return Observation(
        series_id=proposal.subject.series_id,
        period=proposal.period,
        aggregation=proposal.aggregation,
        kind=proposal.kind,
        value=proposal.value,
        unit=proposal.unit,
        qualifier=Qualifier(proposal.qualifier),
        source=Source("extract"),
        vintage=proposal.period.end,
    )


def reviewed(extraction: Extraction, series: Mapping[str, Series], stored: Sequence[Observation]) -> Extraction:
    """The extraction with each figure's review filled in."""
    return replace(extraction, proposals=tuple(review_proposals(extraction.proposals, series, stored)))
