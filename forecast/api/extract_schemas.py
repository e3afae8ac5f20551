"""Request and response shapes of POST /v1/extract (an article's figures proposed as rows): apart from
schemas.py because they describe the article reader, not the stored figures and forecasts."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forecast.api.schemas import Out

# extract -----------------------------------------------------------------------------------------


class ExtractIn(BaseModel):
    """An article to read figures from; the publication date fixes which year "this year" and "in May" mean."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200_000)
    publisher: str = Field("", max_length=300)
    url: str = Field("", max_length=2000)
    published_date: date | None = Field(None, description="YYYY-MM-DD; without it, periods that name no year are left out")
    language: str = Field("en", description="the language of the text; rules exist for: en")
    check_language: bool = Field(
        True, description="when true, a text that reads as another language than `language` gets no proposals and says why in `not_read`"
    )

    @field_validator("published_date", mode="before")
    @classmethod
    def date_as_text(cls, value: object) -> object:
        """A date is "YYYY-MM-DD" text: pydantic would read a number as seconds since 1970."""
        if value is not None and not isinstance(value, str):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


class SpanOut(Out):
    start: int = Field(description="offset of the first character of the words the figure was read from")
    end: int = Field(description="offset just past the last character")
    text: str
    sentence: str
    sentence_start: int
    sentence_end: int


class GuessOut(Out):
    field: str
    why: str


class ReviewOut(Out):
    status: str = Field(description="new, same, conflict or basis_mixup")
    detail: str


class ProposalOut(Out):
    series_id: str = Field(description="one of ours when the text decides it, else ''")
    entity: str
    measure: str
    basis: str
    segment: str
    market: str = Field(default="", description="the one destination market the figure is of, else ''")
    period_start: date
    period_end: date
    aggregation: str
    kind: str
    value: float
    unit: str
    qualifier: str
    yoy_pct: float | None
    mom_pct: float | None
    note: str
    span: SpanOut
    uncertain: list[GuessOut] = Field(description="fields inferred rather than read, and why")
    review: ReviewOut
    row: dict[str, Any] = Field(description="the row for POST /v1/observations (columns of data/observations.csv)")


class TargetProposalOut(Out):
    entity: str
    metric: str
    comparator: str
    threshold: float
    unit: str
    deadline_year: int
    span: SpanOut
    uncertain: list[GuessOut]
    row: dict[str, Any] = Field(description="the row of data/targets.csv")


class ExtractOut(Out):
    proposals: list[ProposalOut]
    targets: list[TargetProposalOut]
    language: str = Field(description="the language the text was read as, or the one it reads as when no rules exist for it")
    not_read: str = Field(description="'' when the text was read; else why no figure was proposed (a language without rules)")
