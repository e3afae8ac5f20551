"""What the extractor proposes: a figure or a target read from an article, with where it was read and what was guessed.

Plain values; the review against the store's figures is added by `forecast.extract.review`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from forecast.domain import Aggregation, Kind, Period, Qualifier


@dataclass(frozen=True)
class Article:
    """The text and what the caller knows about where it appeared."""

    text: str
    publisher: str = ""
    url: str = ""
    published_date: date | None = None
    source_file: str = ""


@dataclass(frozen=True)
class Span:
    """Character offsets [start, end) of the words a field was read from, in the article's text."""

    start: int
    end: int

    def cut(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Sentence:
    span: Span
    text: str


@dataclass(frozen=True)
class Guess:
    """A field that was inferred rather than read, and why."""

    field: str
    why: str


@dataclass(frozen=True)
class Subject:
    """Who and what a figure is about, as the sentence names it; `series_id` is filled when one of ours matches."""

    entity: str = ""
    measure: str = "vehicle exports"
    basis: str = ""
    segment: str = "all vehicles"
    series_id: str = ""
    market: str = ""  # the one destination market the figure is of ("730,000 vehicles to Russia"), else all
    basis_guess: str = ""  # why, when the basis was not read from the text (taken from the publisher's name)


@dataclass(frozen=True)
class Proposal:
    """One figure: the columns of data/observations.csv the text determines, and where they came from."""

    subject: Subject
    period: Period
    aggregation: Aggregation
    kind: Kind
    value: float
    unit: str
    qualifier: Qualifier
    span: Span
    sentence: Sentence
    yoy_pct: float | None = None
    mom_pct: float | None = None
    uncertain: tuple[Guess, ...] = ()
    note: str = ""
    review: str = ""
    review_status: str = ""  # new | same | conflict | basis_mixup


@dataclass(frozen=True)
class TargetProposal:
    """A goal stated in the text: `metric comparator threshold unit` by `deadline_year`."""

    subject: Subject
    metric: str
    comparator: str
    threshold: float
    unit: str
    deadline_year: int
    span: Span
    sentence: Sentence
    uncertain: tuple[Guess, ...] = field(default=())
