"""Who a figure is about and which of our series it belongs to.

The entity is the nearest name before the figure among the entities in series.csv (a full name or its first
word: "Changan" for "Changan Automobile"), else the one the previous sentences were about ("The city exported...").
Who counts (the basis) is read from an attribution ("according to the China Association of Automobile
Manufacturers"), else carried from earlier in the paragraph. A series matches when entity, unit and, where the
text says them, segment and basis leave exactly one; otherwise `series_id` stays empty and the guess says why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from forecast.domain import Basis, Series
from forecast.extract.language import Language
from forecast.extract.model import Guess, Span, Subject
from forecast.extract.periods import PeriodMention

_GENERIC_SEGMENTS = frozenset({"all vehicles", "all", "whole port", "group (broad definition)", "all markets"})
_WORD = re.compile(r"[a-z][a-z-]{3,}")
_COMMON_STEMS = frozenset({"vehic", "cars", "expor", "port", "only", "whole", "stated", "value", "units"})
_LISTED = re.compile(r"^\s*(?:,\s*)?(?:and|,)\s*$")
_LIST_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


@dataclass
class Context:
    """What earlier sentences said: carried into sentences that name no entity or source."""

    entity: str = ""
    company: str = ""
    basis: str = ""
    publisher_basis: str = ""  # who counts, as the publisher's name says ("CAAM (English site)")
    paragraph_start: int = -1
    year: int | None = None  # the latest year the article has named so far
    period: PeriodMention | None = None  # the last period of the sentence before
    amount_period: PeriodMention | None = None  # the last period of the last sentence with an amount
    exports_before: bool = False  # the sentence before, in this paragraph, spoke of exports
    segment: str = ""  # the segment named last before: "these vehicles" in a sentence that names none


@dataclass(frozen=True)
class Known:
    """Our series, and how many stored figures each has (which counter publishers cite most)."""

    series: Mapping[str, Series]
    cited: Mapping[str, int]


@dataclass(frozen=True)
class Entities:
    """The names of our series' entities as patterns; `companies` are those counted by the company itself."""

    patterns: tuple[tuple[re.Pattern[str], str], ...]
    companies: frozenset[str]


def entities(series: Mapping[str, Series], language: Language) -> Entities:
    """Full names, and first words as short names ("Changan"), given to the entity with the most series."""
    count = Counter(item.entity for item in series.values())
    ordered = sorted(count, key=lambda entity: (-count[entity], entity))
    names = {entity: entity for entity in ordered}
    for entity in ordered:
        first = entity.split()[0]
        if first != entity and first.lower() not in language.not_names:
            names.setdefault(first, entity)
    patterns = tuple((re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), names[name]) for name in sorted(names, key=len, reverse=True))
    companies = frozenset(e for e in count if all(s.basis is Basis.COMPANY for s in series.values() if s.entity == e))
    return Entities(patterns, companies)


def entity_before(text: str, found: Entities, language: Language, only: frozenset[str] | None = None, first: bool = False) -> str:
    """The entity named last (or `first`) in `text`, the longest name where two start together, adjectives aside."""
    best: tuple[int, int, str] | None = None
    for pattern, entity in found.patterns:
        if only is not None and entity not in only:
            continue
        for match in pattern.finditer(text):
            if language.not_an_entity_after.search(text[: match.start()]):
                continue
            candidate = (-match.start() if first else match.start(), match.end() - match.start(), entity)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else ""


def basis_in(text: str, language: Language) -> str:
    for pattern, basis in language.attributions:
        if pattern.search(text):
            return basis
    return ""


def segment_in(text: str, language: Language) -> str:
    text = language.segment_aside.sub(" ", text)
    for pattern, segment in language.segments:
        if pattern.search(text):
            return segment
    return ""


def listed_segments(text: str, amounts: list[Span], rates: list[Span], start: int, language: Language) -> dict[int, str]:
    """Amounts listed together after as many subjects listed together take their segments in order: "auto exports and
    NEV exports were 2.02 million and 310,000 units, respectively" (by each amount's start)."""
    found: dict[int, str] = {}
    index = 0
    while index < len(amounts):
        run = [amounts[index]]
        while index + len(run) < len(amounts) and _LISTED.match(text[run[-1].end : amounts[index + len(run)].start]):
            run.append(amounts[index + len(run)])
        if len(run) > 1:
            begin = amounts[index - 1].end if index else start
            stop = min([r.start for r in rates if begin <= r.start < run[0].start], default=run[0].start)  # "rose 101.1 percent and ..."
            before = text[begin:stop]
            parts = [part for part in _LIST_SPLIT.split(before) if part.strip()]
            if len(parts) >= len(run):
                named = [segment_in(part, language) for part in parts[-len(run) :]]
                if any(named):
                    found.update({amount.start: segment for amount, segment in zip(run, named, strict=True)})
        index += len(run)
    return found


def without_segments(text: str, language: Language) -> str:
    """The text less the words the language reads as a segment: those count only near their figure."""
    for pattern, _ in language.segments:
        text = pattern.sub(" ", text)
    return text


def match_series(subject: Subject, unit: str, clause: str, known: Known) -> tuple[Subject, tuple[Guess, ...]]:
    """`subject` with the one series it can belong to, or with none and a guess naming the candidates."""
    series = known.series
    if not subject.entity and subject.basis:  # "the auto export was 83,000 units", by CAAM: the entities that counter counts
        entities = {item.entity for item in series.values() if item.basis.value == subject.basis}
        if len(entities) == 1:
            subject = replace(subject, entity=entities.pop())
    candidates = [item for item in series.values() if item.entity == subject.entity and _unit_fits(item.unit, unit)]
    if not candidates:
        return subject, (
            Guess("series_id", f"no series of ours for {subject.entity or 'this entity'} in {unit}"),
        ) if subject.entity else ()
    candidates = _by_segment(candidates, subject.segment, _stems(clause))
    if len(candidates) > 1 and subject.basis:
        candidates = [item for item in candidates if item.basis.value == subject.basis] or candidates
    guesses: tuple[Guess, ...] = ()
    if len(candidates) > 1 and not subject.basis:
        candidates, guesses = _most_cited(candidates, known.cited)
    if len(candidates) == 1:
        found = candidates[0]
        if not subject.basis and not guesses:
            guesses = (Guess("basis", f"the text names no source; {found.basis.value} is the basis of the only matching series"),)
        return Subject(subject.entity, found.measure, found.basis.value, found.segment, found.id), guesses
    names = ", ".join(sorted(item.id for item in candidates))
    return subject, (Guess("series_id", f"the text does not decide between {names}"),)


def _most_cited(candidates: list[Series], cited: Mapping[str, int]) -> tuple[list[Series], tuple[Guess, ...]]:
    """Series that differ only by who counts, and a text that does not say: the one with the most stored figures when
    it has at least three times the next one's (CAAM's 197 national totals against customs' 38)."""
    if len({(item.segment, item.unit) for item in candidates}) != 1:
        return candidates, ()
    ranked = sorted(candidates, key=lambda item: cited.get(item.id, 0), reverse=True)
    first, second = cited.get(ranked[0].id, 0), cited.get(ranked[1].id, 0)
    if first < 3 * max(second, 1):
        return candidates, ()
    why = f"the text names no source: {ranked[0].id} is the series publishers cite most ({first} stored figures against {second})"
    return [ranked[0]], (Guess("series_id", why), Guess("basis", why))


def _unit_fits(series_unit: str, unit: str) -> bool:
    if unit == "percent":
        return True
    return series_unit == unit


def _stems(text: str) -> set[str]:
    return {word[:5] for word in _WORD.findall(text.lower())} - _COMMON_STEMS


def _by_segment(candidates: list[Series], segment: str, clause_stems: set[str]) -> list[Series]:
    """The series whose segment the text names: the language's segment word, else distinctive words of the clause."""
    if segment:
        named = [item for item in candidates if item.segment == segment or _stems(item.segment) & _stems(segment)]
        return named or candidates
    overlap = {item.id: len(_stems(item.segment) & clause_stems) for item in candidates if item.segment not in _GENERIC_SEGMENTS}
    most = max(overlap.values(), default=0)
    specific = [item for item in candidates if most and overlap.get(item.id) == most]
    generic = [item for item in candidates if item.segment in _GENERIC_SEGMENTS]
    return specific or generic or candidates
