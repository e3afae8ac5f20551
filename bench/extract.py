"""Extraction against labelled articles: precision and recall of whole rows and per field, extractor against a baseline.

    python -m bench.extract            the held-aside third (the score to report)
    python -m bench.extract --dev      the other two thirds (the texts rules may be written on)

Cases: bench/extract_cases/cases.csv (address, publication date, held-aside flag, sha256 of the text) and
labels.csv (the data/observations.csv rows citing each address). The held-aside third is fixed by the address:
sha256(url) % 3 == 0, decided before any text was read. The texts are page excerpts retrieved with the search
tool (corpus "pages"); they are kept in bench/extract_cases/texts/, which is not committed (the tool's terms ask
not to copy the material verbatim), so a case whose text is missing or differs from its sha256 is skipped and
counted as such. The publisher's name is passed as a caller would (it can name who counts), and so are the
store's counts of figures per series (which counter publishers cite most). The seed articles (data/seeds/) are
scored too: every figure data/ takes from them.

Columns: `extractor` every case, whatever its language; `english` the cases whose text reads as English
(forecast.extract.detect; the extractor proposes nothing for the others and says the language is not read);
`extractor_dated` the cases with a publication date; `never_scored` the held-aside cases no earlier report
scored (not listed in scored.csv: add a case there once its score has been reported).

Labels are of two kinds (column `recorded`, bench/extract_cases/README.md has the labelling guide): `recorded`
rows are what data/ took from the page; `stated` rows are figures the text states that data/ did not record (a
segment's, a carmaker's in a ranking, a market's, a quarter, a prior year). `row_recall` and `row_precision` score
against the recorded rows only (the measure of earlier reports, kept for continuity); `row_recall_all` and
`row_precision_all` against all stated figures (recorded + stated): a proposal reading a true figure of the text
that data/ left out is right there.

A whole row is right when period, aggregation, kind, value and unit all equal a label's (one proposal per label).
Per field: each label is paired with the proposal of the same value and unit (a rate: same kind of value); among
the labels so paired, the share whose field is right. The baseline is what a generic quantity reader gives: every
amount with a unit word, dated to the calendar year of publication.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from forecast.data import load_directory
from forecast.domain import Aggregation, Kind, Period, Series
from forecast.extract import Article, Proposal, Subject, extract
from forecast.extract.detect import reads_as
from forecast.extract.english import ENGLISH
from forecast.extract.numbers import quantities
from forecast.extract.sentences import sentences

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "bench" / "extract_cases"
SEEDS = ROOT / "data" / "seeds"
# extractor: every case; english: the cases the extractor reads (not another language); never_scored: held-aside
# cases not in scored.csv, whose score no earlier report saw
NAMES = ("extractor", "baseline", "extractor_dated", "english", "never_scored", "seeds")
FIELDS = ("period", "aggregation", "kind", "unit", "yoy_pct", "mom_pct", "qualifier", "series_id")

Row = Mapping[str, str]
Key = tuple[str, str, str, str, float, str]


@dataclass
class Score:
    labels: int = 0
    labels_all: int = 0
    proposals: int = 0
    rows_right: int = 0
    rows_right_all: int = 0
    paired: int = 0
    field_right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def add(self, every_label: Sequence[Row], proposals: Sequence[Proposal]) -> None:
        labels = [label for label in every_label if _recorded(label)]
        self.labels += len(labels)
        self.labels_all += len(every_label)
        self.proposals += len(proposals)
        self.rows_right += _rows_right(labels, proposals)
        self.rows_right_all += _rows_right(every_label, proposals)
        for label in labels:
            pair = next((p for p in proposals if _same_figure(label, p)), None)
            if pair is not None:
                self.paired += 1
                for name in FIELDS:
                    self.field_right[name] += _field_right(name, label, pair)

    def summary(self) -> dict[str, float | int]:
        found: dict[str, float | int] = {
            "labels": self.labels,
            "proposals": self.proposals,
            "row_recall": _ratio(self.rows_right, self.labels),
            "row_precision": _ratio(self.rows_right, self.proposals),
            "labels_all": self.labels_all,
            "row_recall_all": _ratio(self.rows_right_all, self.labels_all),
            "row_precision_all": _ratio(self.rows_right_all, self.proposals),
            "value_recall": _ratio(self.paired, self.labels),
        }
        for name, right in self.field_right.items():
            found[f"{name}_right"] = _ratio(right, self.paired)
        return found


def _recorded(label: Row) -> bool:
    """A label data/ took from the page (seed rows and labels without the column are recorded)."""
    return label.get("recorded", "true") == "true"


def _rows_right(labels: Sequence[Row], proposals: Sequence[Proposal]) -> int:
    """Labels matched whole by a proposal, each proposal used once."""
    keys = [_proposal_key(p) for p in proposals]
    free = list(range(len(proposals)))
    right = 0
    for label in labels:
        hit = next((i for i in free if keys[i] == _label_key(label)), None)
        if hit is not None:
            right += 1
            free.remove(hit)
    return right


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else float("nan")


def _label_key(row: Row) -> Key:
    return (row["period_start"], row["period_end"], row["aggregation"], row["kind"], round(float(row["value"]), 6), row["unit"])


def _proposal_key(p: Proposal) -> Key:
    return (p.period.start.isoformat(), p.period.end.isoformat(), p.aggregation.value, p.kind.value, round(p.value, 6), p.unit)


def _same_figure(row: Row, p: Proposal) -> bool:
    value = float(row["value"])
    close = abs(p.value - value) <= 0.005 * abs(value) if value else p.value == 0
    return close and (p.unit == row["unit"] or (row["unit"] == "percent") == (p.unit == "percent") and p.kind.value == row["kind"])


def _field_right(name: str, row: Row, p: Proposal) -> bool:
    if name == "period":
        return (p.period.start.isoformat(), p.period.end.isoformat()) == (row["period_start"], row["period_end"])
    if name in ("yoy_pct", "mom_pct"):
        stated = row[name]
        got = getattr(p, name)
        return (got is None) if not stated else (got is not None and abs(got - float(stated)) < 1e-6)
    if name == "series_id":
        return p.subject.series_id == row["series_id"]
    got = {"aggregation": p.aggregation.value, "kind": p.kind.value, "unit": p.unit, "qualifier": p.qualifier.value}[name]
    return got == row[name]


def baseline(article: Article) -> list[Proposal]:
    """A generic quantity reader: amounts with a unit, dated to the year of publication (nothing when it is unknown)."""
    if article.published_date is None:
        return []
    year = article.published_date.year
    period = Period(date(year, 1, 1), date(year, 12, 31))
    found = []
    for sentence in sentences(article.text, ENGLISH):
        for amount in quantities(sentence, ENGLISH):
            if amount.unit and not amount.unit_guessed:  # a unit word after the number, as a generic reader needs
                found.append(
                    Proposal(
                        subject=Subject(),
                        period=period,
                        aggregation=Aggregation.YEAR,
                        kind=Kind.LEVEL,
                        value=amount.value,
                        unit=amount.unit,
                        qualifier=amount.qualifier,
                        span=amount.span,
                        sentence=sentence,
                    )
                )
    return found


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _cases(held_out: bool) -> tuple[list[tuple[Article, Sequence[Row]]], list[str]]:
    labels = _read_csv(CASES / "labels.csv")
    chosen: list[tuple[Article, Sequence[Row]]] = []
    skipped: list[str] = []
    for case in _read_csv(CASES / "cases.csv"):
        if (case["held_out"] == "true") != held_out:
            continue
        path = CASES / "texts" / case["file"]
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if hashlib.sha256(text.encode()).hexdigest() != case["sha256"]:
            skipped.append(case["file"])
            continue
        published = date.fromisoformat(case["published_date"]) if case["published_date"] else None
        mine = [row for row in labels if row["source_url"] == case["url"]]
        article = Article(text, publisher=mine[0]["source_publisher"], url=case["url"], published_date=published, source_file=case["file"])
        chosen.append((article, mine))
    return chosen, skipped


def _seed_cases() -> list[tuple[Article, Sequence[Row]]]:
    rows = _read_csv(ROOT / "data" / "observations.csv")
    found: list[tuple[Article, Sequence[Row]]] = []
    for name in sorted({row["source_file"] for row in rows if row["source_file"]}):
        mine = [row for row in rows if row["source_file"] == name]
        published = date.fromisoformat(next(row["published_date"] for row in mine if row["published_date"]))
        found.append((Article((SEEDS / name).read_text(encoding="utf-8"), published_date=published), mine))
    return found


def _never_scored() -> set[str]:
    """Held-aside cases whose score was never reported before: not in scored.csv (added after the last report)."""
    scored = {row["file"] for row in _read_csv(CASES / "scored.csv")}
    return {case["file"] for case in _read_csv(CASES / "cases.csv") if case["held_out"] == "true" and case["file"] not in scored}


def run(held_out: bool, series: Mapping[str, Series], cited: Mapping[str, int]) -> dict[str, Any]:
    cases, skipped = _cases(held_out)
    fresh = _never_scored()
    scores = {name: Score() for name in NAMES}
    not_read: dict[str, str] = {}
    for article, labels in cases:
        extraction = extract(article, series, cited=cited)
        other = reads_as(article.text, ENGLISH.code)
        if other is not None:
            not_read[article.source_file] = other.code
        scores["extractor"].add(labels, extraction.proposals)
        scores["baseline"].add(labels, baseline(article))
        if article.published_date is not None:
            scores["extractor_dated"].add(labels, extraction.proposals)
        if other is None:
            scores["english"].add(labels, extraction.proposals)
        if held_out and article.source_file in fresh:
            scores["never_scored"].add(labels, extraction.proposals)
    for article, labels in _seed_cases():
        scores["seeds"].add(labels, extract(article, series, cited=cited).proposals)
    return {
        "set": "held_out" if held_out else "dev",
        "articles": len(cases),
        "dated_articles": sum(article.published_date is not None for article, _ in cases),
        "never_scored_articles": sorted(fresh) if held_out else [],
        "not_english": not_read,
        "skipped": skipped,
        **{name: score.summary() for name, score in scores.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="score the two thirds rules may be written on, not the held-aside third")
    args = parser.parse_args()
    series, stored, _ = load_directory(ROOT / "data")
    result = run(not args.dev, series, Counter(figure.series_id for figure in stored))
    metrics = list(result["extractor"])
    print(
        f"set {result['set']}: {result['articles']} articles ({result['dated_articles']} with a publication date), skipped {result['skipped']}"
    )
    print(f"not read (another language): {len(result['not_english'])} {sorted(set(result['not_english'].values()))}")
    if args.dev is False:
        print(f"never scored before: {len(result['never_scored_articles'])} articles")
    print(f"{'metric':<18}" + "".join(f"{name:>16}" for name in NAMES))
    for metric in metrics:
        print(f"{metric:<18}" + "".join(f"{result[name][metric]:>16}" for name in NAMES))
    ratio = result["extractor"]["row_recall"] / result["baseline"]["row_recall"] if result["baseline"]["row_recall"] else None
    print(json.dumps({**result, "row_recall_vs_baseline": ratio}))


if __name__ == "__main__":
    main()
