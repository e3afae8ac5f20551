"""Growth rates in a sentence: "up 14.5% year-on-year", "a month-on-month increase of 6.6%", "1.2 times", "more than doubled".

An "increase of N times" is ambiguous in English translated from Chinese (增长N倍 is +N x 100%, while "N times
the level" is +(N-1) x 100%). data/observations.csv reads small multiples as increases ("an increase of 1.2 times"
is +120%) and large ones as multiples of the base ("17.8 times" is +1680%): the extractor does the same and always
flags the reading as uncertain. A rate that names no base is read as year-on-year, and flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forecast.domain import Kind, Qualifier
from forecast.extract.language import Language
from forecast.extract.model import Guess, Sentence, Span

_CLAUSE_END = re.compile(r"[,;:]|\band\b|$")


@dataclass(frozen=True)
class Growth:
    kind: Kind
    pct: float
    qualifier: Qualifier
    span: Span
    guesses: tuple[Guess, ...] = ()
    a_year_before: bool = False  # "the 66% increase seen during the same period last year": the rate of a year earlier


def growth_mentions(sentence: Sentence, language: Language) -> list[Growth]:
    taken: list[tuple[int, int]] = []
    found: list[Growth] = []
    for pattern in language.growth:
        for match in pattern.finditer(sentence.text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            found.append(_growth(match, sentence, language))
    return sorted(found, key=lambda growth: growth.span.start)


def _growth(match: re.Match[str], sentence: Sentence, language: Language) -> Growth:
    groups = {name: value for name, value in match.groupdict().items() if value}
    guesses: list[Guess] = []
    if "word" in groups:
        pct = language.growth_words[groups["word"].lower()]
    else:
        number = float((groups.get("num") or groups["also"]).replace(",", ""))
        pct = number
        if "times" in groups:
            pct = number * 100 if number < 2 else (number - 1) * 100
            reading = "an increase of N x 100%" if number < 2 else "N times the earlier level"
            guesses.append(Guess("yoy_pct", f"'{number:g} times' read as {reading}"))
    if "down" in groups or ("also" in groups and _last_direction(sentence.text[: match.start()], language) == "down"):
        pct = -pct
    qualifier = Qualifier(language.qualifiers.get(groups.get("qual", "").lower(), "exact"))
    kind, why = _kind(match, groups.get("kind", ""), sentence.text, language)
    if why:
        guesses.append(Guess(kind.value, why))
    span = Span(sentence.span.start + match.start(), sentence.span.start + match.end())
    earlier = bool(language.rate_of_year_before.match(sentence.text[match.end() :]))
    return Growth(kind, round(pct, 6), qualifier, span, tuple(guesses), a_year_before=earlier)


def _last_direction(text: str, language: Language) -> str:
    """'up' or 'down': the direction word nearest before a rate listed after another."""
    last = next(reversed(list(language.direction.finditer(text))), None)
    return "down" if last is not None and last.group("down") else "up"


def _kind(match: re.Match[str], kind_words: str, text: str, language: Language) -> tuple[Kind, str]:
    """Month-on-month or year-on-year, from the words of the match or else the rest of its clause."""
    if kind_words:
        return (Kind.MOM_PCT if language.month_on_month.search(kind_words) else Kind.YOY_PCT), ""
    rest = text[match.end() :]
    end = _CLAUSE_END.search(rest)
    clause = rest[: end.start() if end else len(rest)]
    if language.month_on_month.search(clause):
        return Kind.MOM_PCT, ""
    if language.year_on_year.search(clause):
        return Kind.YOY_PCT, ""
    return Kind.YOY_PCT, "no base named: read as year-on-year"
