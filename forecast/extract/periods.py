"""Periods named in a sentence: "in May", "from January to May", "the first three quarters of this year", "in 2023".

The aggregation follows data/observations.csv: a span from 1 January is a year-to-date total (the first quarter
included, as CAAM and customs report it), the first or second half is a half, a later quarter is a quarter (the
extractor then gives January-March and January-June the aggregation the counter uses). A period without its year
takes it from the words ("this year"), else from a month named with its year before it in the sentence (a running
total: "In November 2023 ... in the first eleven months"), else from a bare year in the same sentence ("into
2024, ... in the first nine months"), else from the publication date: the latest such period that had ended when
the article appeared. The last three are guesses and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from forecast.domain import Aggregation, Period, add_months, month_end
from forecast.extract.language import Language
from forecast.extract.model import Guess, Sentence, Span


@dataclass(frozen=True)
class PeriodMention:
    period: Period
    aggregation: Aggregation
    span: Span
    guesses: tuple[Guess, ...] = ()


@dataclass(frozen=True)
class _Months:
    """Months first..last of a year not yet known, as the words gave them."""

    first: int
    last: int
    aggregation: Aggregation
    year_words: str
    span: Span
    why: str = ""  # set when the months and year were computed rather than read ("last month")


def period_mentions(
    sentence: Sentence,
    language: Language,
    published: date | None,
    article_year: int | None = None,
    month_before: Period | None = None,
    published_guessed: bool = False,
    reported_year: int | None = None,
) -> list[PeriodMention]:
    """Every period the sentence names, in text order; periods whose year cannot be known are left out.

    `article_year` is the year the article named last before this sentence: the year of a period that names none
    when the publication date is unknown. `month_before` is the last month the article named before this sentence:
    "last month" when the publication date is unknown ("exports in June hit a record ... 158,000 vehicles last month"). Also when the publication date is only
    `published_guessed` (from the address, which dates a reposted page later than its text). `reported_year`: the
    latest year the article names, when it names it as a whole year ("in 2008"): "last year" with no publication
    date (a report on 2008 published in 2009)."""
    blocked = [(m.start(), m.end()) for m in language.not_a_period.finditer(sentence.text)]
    found: list[_Months] = []
    for pattern in language.periods:
        for match in pattern.finditer(sentence.text):
            if any(match.start() < end and start < match.end() for start, end in blocked):
                continue
            span = Span(sentence.span.start + match.start(), sentence.span.start + match.end())
            relative = _relative(match, None if published_guessed and month_before else published, span, month_before, reported_year)
            if relative is not None or match.groupdict().get("lastmonth") or match.groupdict().get("lastyear"):
                found.extend([relative] if relative else [])
                blocked.append((match.start(), match.end()))
                continue
            months = _months(match, language)
            if months is not None:
                found.append(_Months(*months, span))
                blocked.append((match.start(), match.end()))
    found.sort(key=lambda item: item.span.start)
    compared = language.compared_year.search(sentence.text)
    after_compared = int(compared.group("year")) + 1 if compared else None
    mentions = _resolve_years(found, language, published, article_year, after_compared, sentence)
    if compared is None or not compared.groupdict().get("base"):
        return mentions
    # "up 59% compared to the first nine months of 2024": that span is the rate's base; the figure's is a year later
    start, end = sentence.span.start + compared.start(), sentence.span.start + compared.end()
    why = Guess("period", "a year after the period the rate is compared with")
    return [
        replace(m, period=m.period.shifted_years(1), guesses=(*m.guesses, why)) if start <= m.span.start and m.span.end <= end else m
        for m in mentions
    ]


def _relative(
    match: re.Match[str], published: date | None, span: Span, month_before: Period | None, reported_year: int | None
) -> _Months | None:
    """'last month' and 'last year', against the publication date; without one, 'last month' is the month named
    before and 'last year' the whole year the article reports on."""
    if published is None:
        if match.groupdict().get("lastyear") and reported_year is not None:
            why = f"'{match.group(0)}' with no publication date: {reported_year}, the latest year the article names as a whole year"
            return _Months(1, 12, Aggregation.YEAR, str(reported_year), span, why)
        if month_before is None or not match.groupdict().get("lastmonth"):
            return None
        why = f"'{match.group(0)}' with no publication date: the month the article named before"
        return _Months(month_before.start.month, month_before.start.month, Aggregation.MONTH, str(month_before.start.year), span, why)
    why = f"'{match.group(0)}' read against the publication date {published.isoformat()}"
    if match.groupdict().get("lastmonth"):
        month = add_months(published, -1)
        return _Months(month.month, month.month, Aggregation.MONTH, str(month.year), span, why)
    if match.groupdict().get("lastyear"):
        return _Months(1, 12, Aggregation.YEAR, str(published.year - 1), span, why)
    return None


def _months(match: re.Match[str], language: Language) -> tuple[int, int, Aggregation, str] | None:
    groups = {name: value for name, value in match.groupdict().items() if value}
    year = groups.get("year", "")
    if "start" in groups:
        first, last = language.months[groups["start"].lower()], language.months[groups["end"].lower()]
        return (first, last, _aggregation_of(first, last), year) if first <= last else None
    if "months" in groups:
        last = language.count(groups["months"])
        return (1, last, _aggregation_of(1, last), year) if 1 <= last <= 12 else None
    if "quarters" in groups:
        last = 3 * language.count(groups["quarters"])
        return (1, last, _aggregation_of(1, last), year) if 3 <= last <= 12 else None
    if "quarter" in groups:
        number = language.count(groups["quarter"])
        return (3 * number - 2, 3 * number, Aggregation.YTD if number == 1 else Aggregation.QUARTER, year)
    if "half" in groups:
        number = language.count(groups["half"])
        return (6 * number - 5, 6 * number, Aggregation.HALF, year)
    if "month" in groups:
        month = language.months[groups["month"].lower()]
        return (month, month, Aggregation.MONTH, year)
    return (1, 12, Aggregation.YEAR, year)


def _aggregation_of(first: int, last: int) -> Aggregation:
    if first == last:
        return Aggregation.MONTH
    if first == 1:
        return Aggregation.YEAR if last == 12 else Aggregation.YTD
    if last - first == 2 and first % 3 == 1:
        return Aggregation.QUARTER
    return Aggregation.WINDOW


def _resolve_years(
    found: list[_Months],
    language: Language,
    published: date | None,
    article_year: int | None,
    after_compared: int | None,
    sentence: Sentence,
) -> list[PeriodMention]:
    bare_years = [
        item for item in found if item.aggregation is Aggregation.YEAR and item.year_words.isdigit() and item.last == 12 and not item.why
    ]
    used: set[int] = set()
    mentions: list[PeriodMention] = []
    for item in found:
        if item in bare_years:
            continue
        year: int | None
        guesses: tuple[Guess, ...]
        running = _running_total_of(item, found, bare_years)
        if not item.year_words and after_compared is not None:
            year, guesses = after_compared, (Guess("period", f"year {after_compared}: a year after the period it is compared with"),)
        elif running is not None:
            year, guesses = int(running.year_words), (Guess("period", f"year {running.year_words} of the month named before it"),)
        else:
            taken = set(used)
            year, guesses = _year(item, bare_years, used, language, published, article_year)
            used -= {index for index in used - taken if _across_clauses(bare_years[index], item, language, sentence)}
        if item.why:
            guesses = (*guesses, Guess("period", item.why))
        if year is not None:
            mentions.append(_mention(item, year, guesses))
    mentions.extend(_mention(item, int(item.year_words), ()) for index, item in enumerate(bare_years) if index not in used)
    return sorted(mentions, key=lambda mention: mention.span.start)


def _running_total_of(item: _Months, found: list[_Months], bare_years: list[_Months]) -> _Months | None:
    """ "In November 2023 ... in the first eleven months": a yearless span from January ending by a month named with
    its year before it in the sentence is that year's running total."""
    if item.year_words or item.first != 1 or item.aggregation is Aggregation.MONTH:
        return None
    dated = [
        other
        for other in found
        if other.year_words.isdigit() and other not in bare_years and other.span.end <= item.span.start and item.last <= other.last
    ]
    return dated[-1] if dated else None


def _across_clauses(bare: _Months, item: _Months, language: Language, sentence: Sentence) -> bool:
    """ "In 2025, exports amounted to 7.098 million units, while in December alone ...": the year dates December
    and stays a period of its own, its clause's."""
    first, second = sorted((bare.span, item.span), key=lambda span: span.start)
    return bool(language.clause_break.search(sentence.text[first.end - sentence.span.start : second.start - sentence.span.start]))


def _year(
    item: _Months, bare_years: list[_Months], used: set[int], language: Language, published: date | None, article_year: int | None
) -> tuple[int | None, tuple[Guess, ...]]:
    words = item.year_words.lower()
    if words.isdigit():
        return int(words), ()
    if words and published is not None:
        year = published.year - (1 if words in language.last_year else 0)
        return year, (Guess("period", f"'{item.year_words}' read against the publication date {published.isoformat()}"),)
    if words in language.last_year:
        return None, ()
    possible = [i for i, bare in enumerate(bare_years) if published is None or month_end(int(bare.year_words), item.last) <= published]
    if possible:  # a year that would put the period after the publication is another period's (an expectation)
        index = min(possible, key=lambda i: (bare_years[i].span.start > item.span.start, abs(bare_years[i].span.start - item.span.start)))
        used.add(index)
        return int(bare_years[index].year_words), (Guess("period", f"year {bare_years[index].year_words} taken from the same sentence"),)
    if published is None:
        if article_year is None:
            return None, ()
        return article_year, (Guess("period", f"year {article_year}: no publication date, the year the article named last before"),)
    year = published.year if month_end(published.year, item.last) <= published else published.year - 1
    return year, (
        Guess("period", f"year {year} taken from the publication date {published.isoformat()}: the latest such period then ended"),
    )


def _mention(item: _Months, year: int, guesses: tuple[Guess, ...]) -> PeriodMention:
    period = Period(date(year, item.first, 1), month_end(year, item.last))
    return PeriodMention(period, item.aggregation, item.span, guesses)
