"""Amounts in a sentence: "2.49 million vehicles", "551,000 units", "33.17 billion yuan ($4.58 billion)", "nearly 1 million"."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from forecast.domain import Qualifier
from forecast.extract.language import Language
from forecast.extract.model import Sentence, Span

_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class Quantity:
    """A number with its scale applied; `unit` is "" when the words around it name none."""

    value: float
    unit: str
    qualifier: Qualifier
    span: Span  # in the article's text
    number_span: Span  # the digits and scale only, without the qualifier words
    qualifier_words: str = ""
    per_period: bool = False  # "100,000 vehicles annually": a rate or a capacity, not a period's total
    unit_guessed: str = ""  # why, when the unit was not written after the number ("exports hit 5.26 million in 2023")


def quantities(sentence: Sentence, language: Language) -> list[Quantity]:
    found: list[Quantity] = []
    base = sentence.span.start
    for match in language.quantity.finditer(sentence.text):
        digits = match.group("num")
        after = sentence.text[match.end() :]
        if not match.group("noun") and not match.group("cur") and (_YEAR.match(digits) or language.not_a_figure.match(after)):
            continue
        if match.group("noun") is None and language.not_a_figure.match(after):
            continue
        if language.not_a_figure_after.search(sentence.text[: match.start()]):
            continue
        if _inside_word(sentence.text, match.start("num"), match.end("num")):
            continue
        scale = language.scales.get((match.group("scale") or "").lower(), 1.0)
        number = language.amount_words.get(digits.lower()) or float(digits.replace(",", ""))
        value = round(number * scale, 6)
        words = (match.group("qual") or "").lower()
        found.append(
            Quantity(
                value=value,
                unit=_unit(match, language),
                qualifier=Qualifier(language.qualifiers.get(words, "exact")),
                span=Span(base + match.start(), base + match.end()),
                number_span=Span(base + match.start("num"), base + (match.end("scale") if match.group("scale") else match.end("num"))),
                qualifier_words=words,
                per_period=bool(language.per_period.match(after)),
            )
        )
    return _bare_counts(found, sentence, language)


def _bare_counts(found: list[Quantity], sentence: Sentence, language: Language) -> list[Quantity]:
    """A count with no unit word in a sentence about vehicle exports ("car exports climbed to 491,000 in September",
    "NEV exports rose 6.7% to 1.28 million", "exports were 592,000"): the unit of the amount before it in the
    sentence, else vehicles."""
    if not language.export_words.search(sentence.text):
        return found
    read: list[Quantity] = []
    for amount in found:
        start, end = amount.span.start - sentence.span.start, amount.span.end - sentence.span.start
        before, after = sentence.text[:start], sentence.text[end:]
        bare = not amount.unit and amount.value >= 1000 and language.bare_count_end.match(after)
        # vehicles named before it, or exports of no size money could have ("exports were 592,000, an increase of ...")
        counted = language.vehicle_words.search(before) or (language.export_words.search(before) and amount.value < 5e7)
        if bare and not language.not_a_count_before.search(before) and counted:
            unit = next((a.unit for a in reversed(read) if a.unit and a.unit not in ("cny", "usd")), "vehicles")
            amount = replace(amount, unit=unit, unit_guessed=f"no unit after the number: {unit}, as the sentence counts them")
        read.append(amount)
    return read


def _unit(match: re.Match[str], language: Language) -> str:
    currency = (match.group("cur") or "").strip().lower()
    if currency:
        return language.currencies.get(currency, "")
    return language.nouns.get((match.group("noun") or "").lower(), "")


def _inside_word(text: str, start: int, end: int) -> bool:
    """'M9', 'S60', 'Avatr 11' models, '2022-' ranges and the month of a date ('2021-09') are not amounts."""
    before = text[start - 1 : start]
    after = text[end : end + 1]
    in_a_date = before == "-" and text[start - 2 : start - 1].isdigit()
    return before.isalpha() or in_a_date or (after.isalpha() and after.lower() not in ("m", "k", "b"))
