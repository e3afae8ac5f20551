"""Proposals as rows with the columns of data/observations.csv and data/targets.csv, ready for `forecast ingest`
or POST /v1/observations once a person has filled what the text left open (a series id, say)."""

from __future__ import annotations

import re

from forecast.data import OBSERVATION_COLUMNS
from forecast.definitions import TARGET_COLUMNS, TARGET_OPTIONAL_COLUMNS
from forecast.extract.extractor import Extraction
from forecast.extract.model import Article, Proposal, TargetProposal

_NOT_ID = re.compile(r"[^a-z0-9]+")


def figure_columns(proposal: Proposal) -> dict[str, object]:
    """What the text says of the figure itself: its period, aggregation, kind, value, unit and growth rates."""
    return {
        "period_start": proposal.period.start.isoformat(),
        "period_end": proposal.period.end.isoformat(),
        "aggregation": proposal.aggregation.value,
        "kind": proposal.kind.value,
        "value": proposal.value,
        "unit": proposal.unit,
        "qualifier": proposal.qualifier.value,
        "yoy_pct": proposal.yoy_pct,
        "mom_pct": proposal.mom_pct,
    }


def observation_row(proposal: Proposal, article: Article) -> dict[str, object]:
    quoted = proposal.sentence.text if len(proposal.sentence.text) <= 300 else proposal.sentence.text[:297] + "..."
    note = "; ".join(part for part in (f"extracted from: '{quoted}'", proposal.note) if part)
    row: dict[str, object] = {
        "series_id": proposal.subject.series_id,
        **figure_columns(proposal),
        "source_publisher": article.publisher,
        "source_url": article.url,
        "source_file": article.source_file,
        "published_date": article.published_date.isoformat() if article.published_date else "",
        "published_date_estimated": False,
        "disputed": False,
        "note": note,
    }
    return {column: row[column] for column in OBSERVATION_COLUMNS}


def target_row(target: TargetProposal, article: Article) -> dict[str, object]:
    entity_id = _NOT_ID.sub("_", target.subject.entity.lower()).strip("_") or "target"
    metric_id = _NOT_ID.sub("_", target.metric.lower()).strip("_")[:40]
    row: dict[str, object] = {
        "target_id": f"{entity_id}_{metric_id}_{target.deadline_year}",
        **_stated(target),
        "stated_on": article.published_date.isoformat()[:7] if article.published_date else "",
        "series_id": target.subject.series_id,
        "denominator_series_id": "",
        "supersedes": "",
        "source_publisher": article.publisher,
        "source_url": article.url,
        "source_file": article.source_file,
        "note": f"extracted from: '{target.sentence.text}'",
    }
    return {column: row[column] for column in TARGET_COLUMNS if column not in TARGET_OPTIONAL_COLUMNS}  # a new target is not retired


def span_dict(proposal: Proposal | TargetProposal, article: Article) -> dict[str, object]:
    sentence = proposal.sentence
    return {
        "start": proposal.span.start,
        "end": proposal.span.end,
        "text": proposal.span.cut(article.text),
        "sentence": sentence.text,
        "sentence_start": sentence.span.start,
        "sentence_end": sentence.span.end,
    }


def proposal_dict(proposal: Proposal, article: Article) -> dict[str, object]:
    subject = proposal.subject
    return {
        "series_id": subject.series_id,
        "entity": subject.entity,
        "measure": subject.measure,
        "basis": subject.basis,
        "segment": subject.segment,
        "market": subject.market,
        **figure_columns(proposal),
        "note": proposal.note,
        "span": span_dict(proposal, article),
        "uncertain": [{"field": guess.field, "why": guess.why} for guess in proposal.uncertain],
        "review": {"status": proposal.review_status or "new", "detail": proposal.review},
        "row": observation_row(proposal, article),
    }


def _stated(target: TargetProposal) -> dict[str, object]:
    """What the text states of a target: the same columns in its row and in its proposal."""
    return {
        "entity": target.subject.entity,
        "metric": target.metric,
        "comparator": target.comparator,
        "threshold": target.threshold,
        "unit": target.unit,
        "deadline_year": target.deadline_year,
    }


def target_dict(target: TargetProposal, article: Article) -> dict[str, object]:
    return {
        **_stated(target),
        "span": span_dict(target, article),
        "uncertain": [{"field": guess.field, "why": guess.why} for guess in target.uncertain],
        "row": target_row(target, article),
    }


def extraction_body(extraction: Extraction, article: Article) -> dict[str, object]:
    return {
        "proposals": [proposal_dict(proposal, article) for proposal in extraction.proposals],
        "targets": [target_dict(target, article) for target in extraction.targets],
        "language": extraction.language,
        "not_read": extraction.not_read,
    }
