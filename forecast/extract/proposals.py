"""One sentence's figures as proposals: amounts with their periods, growth rates, conversions and differences.

Which period: the nearest the sentence names. Which growth rate: "grew 34 percent to 31.7 billion yuan" gives
the rate to the amount after "to"; otherwise a rate belongs to the amount just before it unless that amount
already has a rate of that kind ("..., with NEV exports soaring 131.9 percent" is a figure of its own); rates
listed together ("17.8 times and 39.6 times") go respectively to as many amounts before them. An amount in
brackets after another is a currency conversion of it (same period, no rates). "by nearly 1 million" after a
total, with "previous year" or "same period", gives the total a year earlier (a difference, not a level).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date

from forecast.domain import Aggregation, Kind, Period, Qualifier
from forecast.extract.growth import Growth
from forecast.extract.language import Language
from forecast.extract.model import Guess, Proposal, Sentence, Span, Subject
from forecast.extract.numbers import Quantity
from forecast.extract.periods import PeriodMention

_LISTED = re.compile(r"^\s*(?:and|,)\s*$")
_MARK_GAP = re.compile(r"^\s*,\s*$")
_MONEY = ("cny", "usd")


@dataclass
class Figure:
    """An amount on its way to a proposal."""

    quantity: Quantity
    period: PeriodMention
    subject: Subject
    guesses: list[Guess] = field(default_factory=list)
    rates: dict[Kind, Growth] = field(default_factory=dict)
    converted_from: Figure | None = None
    imports: bool = False  # "the total import of automobiles was 110,000 units": kept to take its rates, not proposed


@dataclass(frozen=True)
class SentenceReading:
    sentence: Sentence
    text: str  # the whole article
    periods: list[PeriodMention]
    amounts: list[Quantity]
    rates: list[Growth]
    language: Language


def nearest_period(periods: list[PeriodMention], start: int, end: int, text: str, language: Language) -> PeriodMention | None:
    """The period nearest the words [start, end), one in the same clause (no ';' or 'while' between) first: "exports
    in January-September totaled 1.758 million units, while in September alone ..." is January-September's."""

    def gap(mention: PeriodMention) -> tuple[bool, int]:
        before = mention.span.end <= start
        between = text[mention.span.end : start] if before else text[end : mention.span.start]
        return bool(language.clause_break.search(between)), start - mention.span.end if before else max(mention.span.start - end, 0)

    periods = [mention for mention in periods if not _in_an_aside_without(mention, start, text, language)]
    return min(periods, key=gap) if periods else None


def _in_an_aside_without(mention: PeriodMention, start: int, text: str, language: Language) -> bool:
    """The period stands in a relative clause the words at `start` are not in: ", which stopped making fossil
    fuel-powered cars in 2022," dates that, not the figure."""
    opened = language.aside_open.search(text, max(0, mention.span.start - 200), mention.span.start)
    while opened is not None and language.aside_open.search(text, opened.end(), mention.span.start):
        opened = language.aside_open.search(text, opened.end(), mention.span.start)
    if opened is None or re.search(r"[,;.]", text[opened.end() : mention.span.start]):
        return False
    closed = re.search(r"[,;]|\.(?:\s|$)", text[mention.span.end :])
    aside_end = mention.span.end + (closed.start() if closed else len(text) - mention.span.end)
    return not opened.start() <= start < aside_end


def read_amounts(reading: SentenceReading, subject_at: dict[int, Subject]) -> tuple[list[Figure], list[Proposal]]:
    """Levels (with their conversions) and the differences between them, in text order."""
    figures: list[Figure] = []
    derived: list[Proposal] = []
    previous_end = reading.sentence.span.start
    for amount in reading.amounts:
        before = reading.text[previous_end : amount.span.start]
        last = next((f for f in reversed(figures) if f.converted_from is None), None)
        if last is not None and amount.unit in _MONEY and reading.language.conversion.search(before):
            figures.append(Figure(amount, last.period, replace(last.subject, series_id=""), list(last.guesses), converted_from=last))
        elif last is not None and _is_difference(reading, amount):
            derived.extend(_prior_year(reading, last, amount))
        elif last is not None and _a_mark_passed(reading, last.quantity, amount, before):
            pass
        elif amount.unit and not amount.per_period:
            period = nearest_period(reading.periods, amount.span.start, amount.span.end, reading.text, reading.language)
            period = _running_total(reading, before, _base_period(reading, amount, before, period))
            if period is not None:
                figure = Figure(amount, period, subject_at[amount.span.start], list(period.guesses), imports=_imports(reading, amount))
                figures.append(figure)
        previous_end = amount.span.end
    return figures, derived


def for_one_market(reading: SentenceReading, span: Span, amounts: list[Span]) -> str | None:
    """The destination market the amount or rate at `span` is of: named just after it ("730,000 vehicles to Russia")
    or before it in its clause, since the amount before ("exports to Russia more than tripled"); "" when it is what
    another country exported ("surpassing Japan's 4.42 million vehicles") or when the words name several markets;
    None when it is of no one market."""
    after = reading.text[span.end : reading.sentence.span.end]
    before = sorted((a for a in amounts if a.end <= span.start), key=lambda a: a.end)
    end = span.start
    while before and _LISTED.match(reading.text[before[-1].end : end]):  # "(357,708 units and 233,748 units)": the words before the first
        end = before.pop().start
    start = before[-1].end if before else reading.sentence.span.start
    language, words = reading.language, reading.text[start : span.start]
    if language.other_exporter_before.search(words):
        return ""
    found = language.market_after.match(after) or language.market_before.search(words)
    if found is None:
        return None
    if found.re is language.market_after:
        names = language.market_name.findall(found.group(0))
        return names[0] if names else ""
    names = language.market_name.findall(words)
    return names[0] if len(set(names)) == 1 else ""  # "Belgium and Spain took third and fourth place": which is whose is a guess


def _imports(reading: SentenceReading, amount: Quantity) -> bool:
    """The sentence before the amount names imports ("import and export" too) and no export after them."""
    before = reading.text[reading.sentence.span.start : amount.span.start]
    last = next(reversed(list(reading.language.imports.finditer(before))), None)
    if last is None:
        return False
    return bool(last.group("both")) or not reading.language.export_words.search(before[last.end() :])


def _base_period(reading: SentenceReading, amount: Quantity, before: str, period: PeriodMention | None) -> PeriodMention | None:
    """ "1.36 million vehicles between January and September, compared with 620,000 in the same period in 2020": the
    amount a rate is measured against is the same span in the year the words name (a year earlier if none)."""
    after = reading.language.base_period_after.match(reading.text[amount.span.end : reading.sentence.span.end])
    if period is None or after is None or not reading.language.base_amount_before.search(before):
        return period
    years = int(after.group("year")) - period.period.end.year if after.group("year") else -1
    why = Guess("period", f"'{after.group(0).strip()}': the base the figure is compared with")
    return replace(period, period=period.period.shifted_years(years), guesses=(*period.guesses, why))


def _running_total(reading: SentenceReading, before: str, period: PeriodMention | None) -> PeriodMention | None:
    """ "532,000 vehicles in November, bringing the total for the year to 5.33 million": January to that month."""
    if period is None or period.aggregation is not Aggregation.MONTH or not reading.language.running_total_before.search(before):
        return period
    why = Guess("period", "a running total up to the month the sentence names")
    span = Period(date(period.period.start.year, 1, 1), period.period.end)
    return replace(
        period,
        period=span,
        aggregation=Aggregation.YTD if span.start != period.period.start else Aggregation.MONTH,
        guesses=(*period.guesses, why),
    )


def _a_mark_passed(reading: SentenceReading, last: Quantity, amount: Quantity, before: str) -> bool:
    """ "totaled 753,000 units, exceeding 700,000 units again": a bound right after an amount that meets it is the
    mark that amount passed, not a figure."""
    if not _MARK_GAP.match(before) or amount.unit != last.unit:
        return False
    return (amount.qualifier is Qualifier.LOWER_BOUND and last.value >= amount.value) or (
        amount.qualifier is Qualifier.UPPER_BOUND and last.value <= amount.value
    )


def _is_difference(reading: SentenceReading, amount: Quantity) -> bool:
    before = reading.text[reading.sentence.span.start : amount.span.start]
    return bool(reading.language.difference.search(before) or reading.language.difference_down.search(before))


def _prior_year(reading: SentenceReading, base: Figure, difference: Quantity) -> list[Proposal]:
    """The total a year earlier: base less the difference (plus, for a fall)."""
    if not reading.language.prior_year.search(reading.sentence.text):
        return []
    if (difference.unit_guessed or not difference.unit) and difference.number_span.cut(reading.text).replace(",", "").isdigit():
        return []  # a bare number, no unit or scale word: "an increase of 32.[line break]4 percent" is a rate the page cut
    before = reading.text[reading.sentence.span.start : difference.span.start]
    sign = 1 if reading.language.difference_down.search(before) else -1
    value = base.quantity.value + sign * difference.value
    exact = base.quantity.qualifier is Qualifier.EXACT and difference.qualifier is Qualifier.EXACT
    why = f"derived: {base.quantity.value:,.0f} {'plus' if sign > 0 else 'less'} the difference {difference.value:,.0f} the text gives against a year earlier"
    return [
        Proposal(
            subject=base.subject,
            period=base.period.period.shifted_years(-1),
            aggregation=base.period.aggregation,
            kind=Kind.LEVEL,
            value=value,
            unit=base.quantity.unit,
            qualifier=Qualifier.EXACT if exact else Qualifier.APPROX,
            span=difference.span,
            sentence=reading.sentence,
            uncertain=(*base.period.guesses, Guess("value", why)),
            note=why,
        )
    ]


def attach_rates(reading: SentenceReading, figures: list[Figure]) -> list[Growth]:
    """Give each rate to its amount; the rates that belong to none are returned (figures of their own)."""
    own = [figure for figure in figures if figure.converted_from is None]
    alone: list[Growth] = []
    index = 0
    while index < len(reading.rates):
        run = _listed_run(reading, index)
        if len(run) > 1 and (_respectively(own, run) or _respectively_after(reading, own, run)):
            index += len(run)
            continue
        rate = reading.rates[index]
        target = _rate_owner(reading, own, rate)
        if target is None:
            alone.append(rate)
        else:
            target.rates[rate.kind] = rate
        index += 1
    return alone


def _listed_run(reading: SentenceReading, index: int) -> list[Growth]:
    run = [reading.rates[index]]
    for rate in reading.rates[index + 1 :]:
        gap = reading.text[run[-1].span.end : rate.span.start]
        if rate.kind is not run[0].kind or not _LISTED.match(gap):
            break
        run.append(rate)
    return run


def _respectively(own: list[Figure], run: list[Growth]) -> bool:
    before = [figure for figure in own if figure.quantity.span.end <= run[0].span.start and run[0].kind not in figure.rates]
    if len(before) < len(run):
        return False
    for figure, rate in zip(before[-len(run) :], run, strict=True):
        figure.rates[rate.kind] = rate
        figure.guesses.append(Guess(rate.kind.value, "rates listed together, given to the amounts in the same order"))
    return True


def _respectively_after(reading: SentenceReading, own: list[Figure], run: list[Growth]) -> bool:
    """ "rose 101.1 percent and 304.6 percent to 2.02 million and 310,000 units": listed rates, then as many listed
    amounts they grew to, in the same order."""
    after = [figure for figure in own if figure.quantity.span.start >= run[-1].span.end][: len(run)]
    if len(after) < len(run) or not reading.language.rate_then_amount.match(reading.text[run[-1].span.end : after[0].quantity.span.start]):
        return False
    if not all(_LISTED.match(reading.text[a.quantity.span.end : b.quantity.span.start]) for a, b in itertools.pairwise(after)):
        return False
    for figure, rate in zip(after, run, strict=True):
        figure.rates[rate.kind] = rate
        figure.guesses.append(Guess(rate.kind.value, "rates listed together, given to the amounts listed after them in the same order"))
    return True


def _rate_owner(reading: SentenceReading, own: list[Figure], rate: Growth) -> Figure | None:
    if rate.a_year_before:
        return None
    for figure in own:
        gap = reading.text[rate.span.end : figure.quantity.span.start]
        if figure.quantity.span.start >= rate.span.end and reading.language.rate_then_amount.match(gap):
            return figure if rate.kind not in figure.rates else None
    before = [figure for figure in own if figure.quantity.span.end <= rate.span.start]
    if before and rate.kind not in before[-1].rates:
        return before[-1]
    return None
