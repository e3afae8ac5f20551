"""An article -> proposals: the sentences read one by one, carrying who they are about to the next.

A text in another language than the rules' is not read (forecast.extract.detect): no proposals and why. After the
sentences: January-March and January-June take the aggregation their counter reports (a company: quarter, half;
CAAM and customs: ytd); a rate alone in the sentence next to a level of the same period becomes that level's; a
rate a level carries already (a headline) is not proposed twice (forecast.extract.repeats).

Kept out: periods not over on the publication date (forecasts), amounts with no period in their sentence (photo captions, "100 units delivered on November 5"), amounts
in money in a sentence that says nothing of exports or overseas sales (R&D spending), rates of their own in such
a sentence ("Changan's NEV sales surged 69.2 percent"), and every amount in a sentence stating a goal, which is
proposed as a target instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from forecast.domain import Aggregation, Basis, Kind, Series, month_end
from forecast.extract.dates import date_in_address
from forecast.extract.detect import reads_as
from forecast.extract.english import ENGLISH
from forecast.extract.growth import Growth, growth_mentions
from forecast.extract.language import Language
from forecast.extract.matching import (
    Context,
    Entities,
    Known,
    basis_in,
    entities,
    entity_before,
    listed_segments,
    match_series,
    segment_in,
    without_segments,
)
from forecast.extract.model import Article, Guess, Proposal, Sentence, Span, Subject, TargetProposal
from forecast.extract.numbers import quantities
from forecast.extract.periods import PeriodMention, period_mentions
from forecast.extract.proposals import Figure, SentenceReading, attach_rates, for_one_market, nearest_period, read_amounts
from forecast.extract.repeats import without_repeats
from forecast.extract.sentences import sentences
from forecast.extract.targets import read_targets

LANGUAGES: dict[str, Language] = {ENGLISH.code: ENGLISH}
_MONEY = ("cny", "usd")
_WERE = re.compile(r"\s+(?:were|was)\b.*", re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    proposals: tuple[Proposal, ...]
    targets: tuple[TargetProposal, ...]
    language: str = ENGLISH.code  # the language the text was read as, or the one it was found to be written in
    not_read: str = ""  # why nothing was read: the text is in a language the rules were not written for


def extract(
    article: Article,
    series: Mapping[str, Series],
    language: Language = ENGLISH,
    check_language: bool = True,
    cited: Mapping[str, int] | None = None,
) -> Extraction:
    """The article's figures and targets; nothing, and why, when the text is in another language than `language`.

    `cited`: how many stored figures each series has; when the text does not say who counts and two series remain
    (CAAM's and customs' national totals), the one publishers cite most is proposed, and flagged."""
    other = reads_as(article.text, language.code) if check_language else None
    if other is not None:
        why = (
            f"the text reads as language '{other.code}' ({other.share:.0%} by langdetect), not '{language.code}': "
            f"rules exist for {', '.join(sorted(LANGUAGES))}; no figures proposed"
        )
        return Extraction((), (), language=other.code, not_read=why)
    return _read(article, Known(series, cited or {}), language)


def _read(article: Article, known: Known, language: Language) -> Extraction:
    published, dated_by_address = article.published_date, None
    if published is None:
        published = date_in_address(article.url)
        dated_by_address = Guess("published_date", f"{published} read from the address") if published else None
    names = entities(known.series, language)
    context = Context(publisher_basis=basis_in(article.publisher, language))
    latest_named, reported_year = _latest_year_named(article, language)
    proposals: list[Proposal] = []
    targets: list[TargetProposal] = []
    for sentence in sentences(article.text, language):
        paragraph = article.text.rfind("\n", 0, sentence.span.start)
        if paragraph != context.paragraph_start:
            context.basis, context.paragraph_start, context.exports_before = "", paragraph, False
        context.basis = basis_in(sentence.text, language) or context.basis
        month_before = context.period.period if context.period and context.period.aggregation is Aggregation.MONTH else None
        periods = period_mentions(
            sentence, language, published, context.year or latest_named, month_before, dated_by_address is not None, reported_year
        )
        periods = periods or _same_period(sentence, context, language)
        context.period = periods[-1] if periods else context.period
        reading = SentenceReading(
            sentence,
            article.text,
            periods,
            quantities(sentence, language),
            growth_mentions(sentence, language),
            language,
        )
        if periods and reading.amounts:  # of a sentence naming two periods ("Q2 ... while Q1 ..."), which one is a guess
            context.amount_period = periods[-1] if len({(m.period, m.aggregation) for m in periods}) == 1 else None
        subjects = _subjects(reading, context, names)
        if language.target.search(sentence.text):
            targets.extend(read_targets(sentence, subjects.get(-1, Subject()), language))
        else:
            proposals.extend(_proposals(reading, subjects, known, context.exports_before))
        # a sentence with no amount ("The growing speed increased 1.7 percentage points") keeps the exports before
        context.exports_before = _about_exports(sentence, context, language) or (context.exports_before and not reading.amounts)
        context.segment = segment_in(sentence.text, language) or context.segment
        context.entity = entity_before(sentence.text, names, language) or context.entity
        context.year = max([m.period.end.year for m in reading.periods] + ([context.year] if context.year else []), default=None)
        context.company = entity_before(sentence.text, names, language, names.companies) or context.company
    proposals = without_repeats(proposals)
    if article.published_date is not None:  # a period not over when the article appeared is an expectation, not a figure
        proposals = [p for p in proposals if p.period.end <= article.published_date]
    if dated_by_address is not None:
        proposals = [replace(p, uncertain=(*p.uncertain, dated_by_address)) for p in proposals]
    return Extraction(tuple(proposals), tuple(targets), language=language.code)


def _same_period(sentence: Sentence, context: Context, language: Language) -> list[PeriodMention]:
    """'during the period' in a sentence naming none: the period the sentence before ended on. So too a sentence
    about exports that names no period and no date of another kind ("since 2001", "to date") takes the period of the
    last amount before it: "Passenger vehicle exports reached 369,000 units" after January's total is January's."""
    reference = language.same_period.search(sentence.text)
    carried = context.period if reference is not None else context.amount_period
    if carried is None:
        return []
    if reference is not None:
        span = Span(sentence.span.start + reference.start(), sentence.span.start + reference.end())
        why = Guess("period", f"'{reference.group(0)}': the period of the sentence before")
    elif (
        _about_exports(sentence, context, language)
        and all(amount.unit == "vehicles" for amount in quantities(sentence, language))
        and not language.no_period.search(sentence.text)
        and not any(pattern.search(language.not_a_period.sub(" ", sentence.text)) for pattern in language.periods)
    ):
        span = Span(sentence.span.start, sentence.span.start)
        why = Guess("period", "the sentence names no period: that of the last amount before it")
    else:
        return []
    return [PeriodMention(carried.period, carried.aggregation, span, (*carried.guesses, why))]


def _about_exports(sentence: Sentence, context: Context, language: Language) -> bool:
    """The sentence speaks of exports, or breaks down those the sentence before spoke of ("As seen by type, the
    passenger cars reached 61,000 units")."""
    return bool(language.export_words.search(sentence.text) or (context.exports_before and language.breakdown.match(sentence.text)))


def _latest_year_named(article: Article, language: Language) -> tuple[int | None, int | None]:
    """The latest year the article names with a period: the year of "this year" when nothing else dates it; and
    that year again when the article names it as a whole year ("in 2008"): the year of "last year" then."""
    read = [s for s in sentences(article.text, language) if not language.expectation.search(s.text)]  # "its 2026 outlook, projecting"
    named = [m for s in read for m in period_mentions(s, language, None) if not m.guesses]
    latest = max((m.period.end.year for m in named), default=None)
    whole = any(m.aggregation is Aggregation.YEAR and m.period.end.year == latest for m in named)
    return latest, latest if whole else None


def _subjects(reading: SentenceReading, context: Context, names: Entities) -> dict[int, Subject]:
    """The subject of each amount and rate by its start offset; -1 is the sentence's own."""
    language, sentence = reading.language, reading.sentence
    found: dict[int, Subject] = {}
    amount_starts = {a.span.start for a in reading.amounts}
    clause_start = amount_clause_start = sentence.span.start
    for start, end in sorted([(a.span.start, a.span.end) for a in reading.amounts] + [(r.span.start, r.span.end) for r in reading.rates]):
        local = reading.text[sentence.span.start : start]
        entity = entity_before(local, names, language)
        if not entity:
            entity = context.company if context.company and language.company_reference.search(local) else context.entity
        # an amount's segment may stand before the rate that led to it ("NEV exports almost doubled ... to 499,000 units")
        clause = reading.text[amount_clause_start if start in amount_starts else clause_start : end]
        named_after = _WERE.match(reading.text, end, sentence.span.end)  # "11,000 were electric passenger vehicles"
        clause += language.words_end.split(named_after.group(0), maxsplit=1)[0] if named_after else ""
        basis, why = (context.basis, "") if context.basis else (context.publisher_basis, "read from the publisher's name")
        segment = segment_in(clause, language) or (context.segment if language.segment_reference.search(clause) else "")
        found[start] = Subject(entity=entity, basis=basis, segment=segment, basis_guess=why if basis else "")
        clause_start = end
        amount_clause_start = end if start in amount_starts else amount_clause_start
    for start, segment in listed_segments(
        reading.text, [a.span for a in reading.amounts], [r.span for r in reading.rates], sentence.span.start, language
    ).items():
        found[start] = replace(found[start], segment=segment)
    entity = entity_before(sentence.text, names, language, first=True) or context.entity
    found[-1] = Subject(entity=entity, measure="overseas sales" if "overseas" in sentence.text.lower() else "vehicle exports")
    return found


def _proposals(reading: SentenceReading, subjects: dict[int, Subject], known: Known, exports_before: bool) -> list[Proposal]:
    """`exports_before`: the sentence before, in the same paragraph, is about exports; then "Sales grew by 96.6% ..."
    opening this one are those exports' (the sales abroad it spoke of), not domestic sales."""
    language, text = reading.language, reading.sentence.text
    if language.other_measures.search(text) and not language.export_words.search(text):
        # "Sales grew ..." after a sentence about exports; "The figure represents a rise from the 910,000 vehicles sold ..."
        if not (exports_before and language.sales_as_exports.match(text)) and not language.figure_reference.match(text):
            return []
    figures, derived = read_amounts(reading, subjects)
    alone = attach_rates(reading, figures)
    about_exports = bool(
        language.export_words.search(text) or language.figure_reference.match(text) or (exports_before and language.breakdown.match(text))
    )
    kept = {item.segment for item in known.series.values()} | {""}
    kept |= set(language.vehicle_segments)  # a part of the total no series keeps is proposed all the same, with no series
    markets = {id(f): for_one_market(reading, f.quantity.span, [f.quantity.span for f in figures]) for f in figures}
    found = [
        _of_market(_level(reading, figure, known), markets[id(figure)])
        for figure in figures
        if (about_exports or figure.quantity.unit not in _MONEY)
        and not figure.imports
        and figure.subject.segment in kept
        and markets[id(figure)] != ""  # another country's exports
        and not _of_another_measure(reading, figure.quantity.span)
        and not _expected(reading, figure.quantity.span)
        and not _money_of_no_series(figure, known)
    ]
    if about_exports:
        rates = [
            rate
            for rate in alone
            if subjects[rate.span.start].segment in kept
            and for_one_market(reading, rate.span, [f.quantity.span for f in figures]) is None
            and not _of_another_measure(reading, rate.span)
        ]
        found.extend(p for p in (_rate_alone(reading, rate, subjects[rate.span.start], known) for rate in rates) if p)
    found.extend(_matched(reading, proposal, known) for proposal in derived if proposal.subject.segment in kept)
    return sorted((_as_counted(_unfiled(proposal, language)) for proposal in found), key=lambda proposal: proposal.span.start)


def _of_market(proposal: Proposal, market: str | None) -> Proposal:
    """What one destination market took ("730,000 vehicles to Russia"): proposed with the market, in no series."""
    if not market:
        return proposal
    why = Guess("series_id", f"what {market} took: no series of ours keeps one market")
    kept = tuple(guess for guess in proposal.uncertain if guess.field != "series_id")
    return replace(proposal, subject=replace(proposal.subject, market=market, series_id=""), uncertain=(*kept, why))


def _unfiled(proposal: Proposal, language: Language) -> Proposal:
    """A figure of a segment no series keeps ("commercial vehicle exports"): proposed, filed in no series."""
    segment = proposal.subject.segment
    if segment not in language.vehicle_segments:
        return proposal
    why = Guess("series_id", f"no series of ours keeps {segment} apart")
    kept = tuple(guess for guess in proposal.uncertain if guess.field != "series_id")
    return replace(proposal, subject=replace(proposal.subject, series_id=""), uncertain=(*kept, why))


def _of_another_measure(reading: SentenceReading, span: Span) -> bool:
    """In a sentence about exports, the words of the amount or rate count something else: "auto sales in China
    totaled 21.9 million cars last year while exports jumped to 4.1 million", "NEV sales soared 92 percent to 890,000
    and exports 53 percent to 400,000". Its words: from the amount or rate before it (or a clause's start) to it, and
    after it up to the next comma, 'and' or clause ("sold 1.76 million automobiles in foreign markets")."""
    language, sentence = reading.language, reading.sentence
    if not language.export_words.search(sentence.text):
        return False
    at, end = span.start - sentence.span.start, span.end - sentence.span.start
    is_rate = any(r.span == span for r in reading.rates)  # an amount's words take in the rate before it ("soared 92 percent to")
    spans = [a.span for a in reading.amounts] + ([r.span for r in reading.rates] if is_rate else [])
    marks = [s.end - sentence.span.start for s in spans if s.end <= span.start]
    marks += [m.end() for m in language.clause_break.finditer(sentence.text, 0, at)]
    before = sentence.text[max(marks, default=0) : at]
    following = [
        s.start - sentence.span.start for s in (*(a.span for a in reading.amounts), *(r.span for r in reading.rates)) if s.start >= span.end
    ]
    after = language.words_end.split(sentence.text[end : min(following, default=len(sentence.text))], maxsplit=1)[0]
    return bool(language.other_measures.search(before)) and not language.export_words.search(before + after)


def _expected(reading: SentenceReading, span: Span) -> bool:
    """An amount after "expects" or "will" in its sentence is a forecast, not a figure."""
    return bool(reading.language.expectation.search(reading.text[reading.sentence.span.start : span.start]))


def _money_of_no_series(figure: Figure, known: Known) -> bool:
    """An amount of money about an entity none of whose series is kept in that currency ("the export revenue ... $71.3
    billion" about China): nothing of ours it could be filed in."""
    entity, unit = figure.subject.entity, figure.quantity.unit
    return bool(entity) and unit in _MONEY and not any(item.entity == entity and item.unit == unit for item in known.series.values())


def _as_counted(proposal: Proposal) -> Proposal:
    """January to March and January to June as the counter keeps them (data/observations.csv): a company reports a
    quarter and a half; CAAM and customs count year-to-date, so their first quarter and first half are `ytd`."""
    period = proposal.period
    if period.start != date(period.start.year, 1, 1) or period.end not in (month_end(period.end.year, 3), month_end(period.end.year, 6)):
        return proposal
    if period.end.year != period.start.year or proposal.aggregation not in (Aggregation.YTD, Aggregation.QUARTER, Aggregation.HALF):
        return proposal
    by_company = proposal.subject.basis == Basis.COMPANY.value
    wanted = (Aggregation.QUARTER if period.end.month == 3 else Aggregation.HALF) if by_company else Aggregation.YTD
    if wanted is proposal.aggregation:
        return proposal
    why = Guess("aggregation", f"{wanted.value}: how {'the company' if by_company else 'CAAM and customs'} report this span")
    return replace(proposal, aggregation=wanted, uncertain=(*proposal.uncertain, why))


def _level(reading: SentenceReading, figure: Figure, known: Known) -> Proposal:
    subject, matched = match_series(figure.subject, figure.quantity.unit, without_segments(reading.sentence.text, reading.language), known)
    yoy, mom = figure.rates.get(Kind.YOY_PCT), figure.rates.get(Kind.MOM_PCT)
    guesses = [*figure.guesses, *(g for rate in (yoy, mom) if rate for g in rate.guesses), *matched, *_basis_guess(figure.subject)]
    if figure.converted_from is not None:
        guesses.append(Guess("value", "in brackets after another amount: read as the publisher's conversion of it"))
    if figure.quantity.unit_guessed:
        guesses.append(Guess("unit", figure.quantity.unit_guessed))
    return Proposal(
        subject=subject,
        period=figure.period.period,
        aggregation=figure.period.aggregation,
        kind=Kind.LEVEL,
        value=figure.quantity.value,
        unit=figure.quantity.unit,
        qualifier=figure.quantity.qualifier,
        span=figure.quantity.span,
        sentence=reading.sentence,
        yoy_pct=yoy.pct if yoy else None,
        mom_pct=mom.pct if mom else None,
        uncertain=tuple(dict.fromkeys(guesses)),
    )


def _rate_alone(reading: SentenceReading, rate: Growth, subject: Subject, known: Known) -> Proposal | None:
    period = nearest_period(reading.periods, rate.span.start, rate.span.end, reading.text, reading.language)
    if period is None:
        return None
    if rate.a_year_before:
        why = Guess("period", "the rate of the same period a year earlier, as the words after it say")
        period = replace(period, period=period.period.shifted_years(-1), guesses=(*period.guesses, why))
    matched: tuple[Guess, ...] = (*_basis_guess(subject),)
    if not reading.language.figure_reference.match(reading.sentence.text):  # "This figure was up 2.1%": the figure before's
        subject, found = match_series(subject, "percent", without_segments(reading.sentence.text, reading.language), known)
        matched = (*found, *matched)
    return Proposal(
        subject=subject,
        period=period.period,
        aggregation=period.aggregation,
        kind=rate.kind,
        value=rate.pct,
        unit="percent",
        qualifier=rate.qualifier,
        span=rate.span,
        sentence=reading.sentence,
        uncertain=tuple(dict.fromkeys([*period.guesses, *rate.guesses, *matched])),
        note="a growth rate with no level given",
    )


def _matched(reading: SentenceReading, proposal: Proposal, known: Known) -> Proposal:
    subject, matched = match_series(proposal.subject, proposal.unit, without_segments(reading.sentence.text, reading.language), known)
    return replace(proposal, subject=subject, uncertain=tuple(dict.fromkeys([*proposal.uncertain, *matched])))


def _basis_guess(subject: Subject) -> list[Guess]:
    return [Guess("basis", subject.basis_guess)] if subject.basis_guess else []
