"""Goals stated in a text: "aims to sell over 1.2 million vehicles annually in overseas markets by 2030",
"a target to achieve 10 percent of China's total annual vehicle exports by 2027"."""

from __future__ import annotations

import re

from forecast.domain import Qualifier
from forecast.extract.language import Language
from forecast.extract.model import Guess, Sentence, Span, Subject, TargetProposal
from forecast.extract.numbers import quantities

_SHARE = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*(?:%|percent|per cent)\s+of\b(?P<of>[^.,;]*)", re.IGNORECASE)
_COMPARATORS = {Qualifier.LOWER_BOUND: ">", Qualifier.UPPER_BOUND: "<=", Qualifier.APPROX: ">=", Qualifier.EXACT: ">="}


def read_targets(sentence: Sentence, subject: Subject, language: Language) -> list[TargetProposal]:
    goal = language.target.search(sentence.text)
    if goal is None:
        return []
    deadline = int(goal.group("year"))
    found: list[TargetProposal] = []
    for share in _SHARE.finditer(sentence.text):
        span = Span(sentence.span.start + share.start(), sentence.span.start + share.end())
        metric = f"share of{share.group('of').rstrip()}"
        found.append(TargetProposal(subject, metric, ">=", float(share.group("num")) / 100, "ratio", deadline, span, sentence))
    for quantity in quantities(sentence, language):
        if not quantity.unit:
            continue
        annual = bool(language.target_annual.search(sentence.text))
        measure = subject.measure if subject.measure else "vehicle exports"
        metric = f"annual {measure}" if annual else measure
        guesses = () if annual else (Guess("metric", "the text does not say the goal is a yearly figure"),)
        found.append(
            TargetProposal(
                subject, metric, _COMPARATORS[quantity.qualifier], quantity.value, quantity.unit, deadline, quantity.span, sentence, guesses
            )
        )
    return found
