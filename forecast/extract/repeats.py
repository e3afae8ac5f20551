"""A figure told twice in one article: a rate standing apart from its level, a rate a level carries already, a
level repeated rounded or as a bound. Each is proposed once."""

from __future__ import annotations

from dataclasses import replace

from forecast.domain import Aggregation, Kind, Period, Qualifier
from forecast.extract.model import Guess, Proposal


def without_repeats(proposals: list[Proposal]) -> list[Proposal]:
    """The article's proposals with each figure once: rates joined to their levels, repeats left out."""
    return _without_rounded_repeats(_without_repeated_rates(_rates_told_apart(proposals)))


def _rates_told_apart(proposals: list[Proposal]) -> list[Proposal]:
    """A rate on its own next to a level of the same period and subject told in the sentence just before or after
    ("exports jumped 30.5 percent in the first two months. A total of 822,000 vehicles were exported during the
    period") is that level's rate."""
    found = list(proposals)
    # the finest rate first: a headline's "rose 64%" is the body's 63.7% rounded
    for rate in sorted((p for p in proposals if p.kind is not Kind.LEVEL), key=lambda p: -_significant_digits(p.value)):
        name = "yoy_pct" if rate.kind is Kind.YOY_PCT else "mom_pct"
        level = next((p for p in found if _next_to(p, rate) and getattr(p, name) is None), None)
        why = Guess(name, "the rate stands in the sentence next to the level's, with the same period")
        if level is None:  # else the one level of that period and series in the article without such a rate
            alike = [p for p in found if _next_to(p, rate, anywhere=True) and getattr(p, name) is None]
            level = alike[0] if len(alike) == 1 else None
            why = Guess(name, "the rate stands apart from the only level of the same period and series")
        if level is not None:
            yoy, mom = (rate.value, level.mom_pct) if rate.kind is Kind.YOY_PCT else (level.yoy_pct, rate.value)
            found[found.index(level)] = replace(level, yoy_pct=yoy, mom_pct=mom, uncertain=(*level.uncertain, *rate.uncertain, why))
            found.remove(rate)
    return found


def _next_to(level: Proposal, rate: Proposal, anywhere: bool = False) -> bool:
    same = (level.period, level.aggregation) == (rate.period, rate.aggregation) and rate.subject.entity in ("", level.subject.entity)
    same = same and rate.subject.series_id in ("", level.subject.series_id) and level.kind is Kind.LEVEL and level.unit != "percent"
    same = same and rate.subject.market == level.subject.market  # a national rate is no one market's
    if anywhere:
        return same and bool(level.subject.series_id)
    first, second = sorted((level.sentence.span, rate.sentence.span), key=lambda span: span.start)
    return same and 0 < second.start - first.end <= 2


def _without_repeated_rates(proposals: list[Proposal]) -> list[Proposal]:
    """A rate on its own ("exports up 28% in the first half", a headline) that a level of the same period carries
    already is the same fact told twice: it is left out. So is a headline's rate for a whole year ("exports rise by
    15% in 2025") that rounds the rate of a level of that year so far (14.8% in the first nine months): the headline
    names the year the figures belong to, not a whole year's figure."""
    carried = {(p.period, Kind.YOY_PCT, p.yoy_pct, p.subject.market) for p in proposals if p.yoy_pct is not None}
    carried |= {(p.period, Kind.MOM_PCT, p.mom_pct, p.subject.market) for p in proposals if p.mom_pct is not None}

    def same_or_so_far(period: Period, rate: Proposal) -> bool:
        so_far = rate.aggregation is Aggregation.YEAR and period.start == rate.period.start and period.end < rate.period.end
        return period == rate.period or so_far

    def told(p: Proposal) -> bool:  # the same rate, or it rounded ("64%" for 63.7%)
        decimals = max(len(f"{p.value:g}".partition(".")[2]), 0)
        return any(
            kind == p.kind and market == p.subject.market and same_or_so_far(period, p) and round(value, decimals) == p.value
            for period, kind, value, market in carried
        )

    return [p for p in proposals if p.kind is Kind.LEVEL or not told(p)]


def _without_rounded_repeats(proposals: list[Proposal]) -> list[Proposal]:
    """Two levels of one period and series within 5% of each other are one figure told twice ("almost half a
    million cars ... 487,900 cars", "308,000 vehicles ... the first time exports exceeded 300,000"): the one given
    with fewer significant digits is left out, and of two equal ones the later."""
    levels = [p for p in proposals if p.kind is Kind.LEVEL]

    def finer(p: Proposal) -> list[Proposal]:
        return [
            q
            for q in levels
            if _same_subject_and_period(p, q)
            and (
                abs(q.value - p.value) <= 0.05 * max(q.value, p.value)
                and (_significant_digits(q.value), -q.span.start) > (_significant_digits(p.value), -p.span.start)
                or _within_bound(p, q)
            )
        ]

    kept = [p for p in proposals if p.kind is not Kind.LEVEL or not finer(p)]
    for dropped in (p for p in proposals if p not in kept):  # its rates go to the figure it repeats where that has none
        for q in [q for q in kept if q in finer(dropped)][:1]:
            yoy = q.yoy_pct if q.yoy_pct is not None else dropped.yoy_pct
            mom = q.mom_pct if q.mom_pct is not None else dropped.mom_pct
            if (yoy, mom) != (q.yoy_pct, q.mom_pct):
                why = Guess("yoy_pct", "given with another mention of the same figure")
                kept[kept.index(q)] = replace(q, yoy_pct=yoy, mom_pct=mom, uncertain=(*q.uncertain, why))
    return kept


def _within_bound(bound: Proposal, q: Proposal) -> bool:
    """ "Car exports exceed 600,000 in September" and "652,000 units in September": the bound is the figure told
    loosely, when the figure meets it and lies within a fifth of it."""
    if q.qualifier in (Qualifier.LOWER_BOUND, Qualifier.UPPER_BOUND) or abs(q.value - bound.value) > 0.2 * bound.value:
        return False
    return (bound.qualifier is Qualifier.LOWER_BOUND and q.value >= bound.value) or (
        bound.qualifier is Qualifier.UPPER_BOUND and q.value <= bound.value
    )


def _same_subject_and_period(p: Proposal, q: Proposal) -> bool:
    """One period, unit, entity and measure, and the same segment ("passenger vehicle exports" are not "vehicle
    exports"), basis and series where both name one."""
    key = (p.period, p.aggregation, p.unit, p.subject.entity, p.subject.measure, p.subject.market)
    if key != (q.period, q.aggregation, q.unit, q.subject.entity, q.subject.measure, q.subject.market):
        return False
    named = ((p.subject.segment, q.subject.segment), (p.subject.basis, q.subject.basis), (p.subject.series_id, q.subject.series_id))
    return all(a == b or "" in (a, b) for a, b in named)


def _significant_digits(value: float) -> int:
    return len(f"{value:.6f}".replace(".", "").strip("0"))
