"""The extraction benchmark's scoring (bench/extract.py): recorded labels alone, and every stated figure."""

from __future__ import annotations

from datetime import date

import pytest

from bench.extract import Score
from forecast.domain import Aggregation, Kind, Period, Qualifier
from forecast.extract import Proposal, Subject
from forecast.extract.model import Sentence, Span

MAY = Period(date(2025, 5, 1), date(2025, 5, 31))


def _label(value: float, recorded: bool) -> dict[str, str]:
    return {
        "series_id": "",
        "period_start": "2025-05-01",
        "period_end": "2025-05-31",
        "aggregation": "month",
        "kind": "level",
        "value": str(value),
        "unit": "vehicles",
        "qualifier": "exact",
        "yoy_pct": "",
        "mom_pct": "",
        "recorded": "true" if recorded else "false",
    }


def _proposal(value: float) -> Proposal:
    return Proposal(
        subject=Subject(),
        period=MAY,
        aggregation=Aggregation.MONTH,
        kind=Kind.LEVEL,
        value=value,
        unit="vehicles",
        qualifier=Qualifier.EXACT,
        span=Span(0, 1),
        sentence=Sentence(Span(0, 1), "x"),
    )


def test_a_true_figure_data_did_not_record_counts_as_right_only_against_all_stated_figures() -> None:
    score = Score()
    # recorded: China's 551,000; stated, not recorded: NEV 212,000; 99 is read wrong
    score.add([_label(551000, True), _label(212000, False)], [_proposal(551000), _proposal(212000), _proposal(99)])
    found = score.summary()
    assert (found["labels"], found["labels_all"], found["proposals"]) == (1, 2, 3)
    assert found["row_recall"] == 1.0
    assert found["row_precision"] == pytest.approx(0.333)
    assert found["row_recall_all"] == 1.0
    assert found["row_precision_all"] == pytest.approx(0.667)


def test_a_stated_figure_left_unread_lowers_recall_against_all_stated_figures_only() -> None:
    score = Score()
    score.add([_label(551000, True), _label(212000, False)], [_proposal(551000)])
    found = score.summary()
    assert (found["row_recall"], found["row_precision"]) == (1.0, 1.0)
    assert (found["row_recall_all"], found["row_precision_all"]) == (0.5, 1.0)


def test_one_proposal_matches_one_label() -> None:
    score = Score()
    score.add([_label(551000, True), _label(551000, False)], [_proposal(551000)])
    assert score.summary()["row_recall_all"] == 0.5
