"""`forecast extract FILE.txt --publisher ... --published-date ...`: an article's proposed figures as a table,
and with --csv as rows for `forecast ingest` (after a person has checked them and filled any empty series_id)."""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from forecast.config import Settings
from forecast.errors import DataError, InvalidParameter

HEADERS = ("#", "series_id", "period", "agg", "kind", "value", "unit", "qualifier", "yoy", "mom", "review", "words")


def add_extract_parser(commands: Any) -> None:
    parser = commands.add_parser("extract", help="propose the figures of an article (a .txt file) as rows; --csv writes them for ingest")
    parser.add_argument("file", type=Path)
    parser.add_argument("--publisher", required=True, help="who published the article (source_publisher)")
    parser.add_argument("--published-date", dest="published_date", required=True, help="YYYY-MM-DD: fixes what 'this year' means")
    parser.add_argument("--url", default="", help="the article's address (source_url)")
    parser.add_argument("--csv", type=Path, default=None, help="write the proposed rows (columns of data/observations.csv) to this file")
    parser.add_argument(
        "--any-language",
        dest="check_language",
        action="store_false",
        help="read the text with the English rules even if it reads as another language",
    )


def extract_command(args: argparse.Namespace, settings: Settings) -> int:
    from forecast.cli import _service, table
    from forecast.data import OBSERVATION_COLUMNS
    from forecast.definitions import SEED_FILE
    from forecast.extract import Article, extract
    from forecast.extract.review import reviewed
    from forecast.extract.rows import observation_row

    if not args.file.is_file():
        raise DataError(args.file.name, 0, "file", f"no such file: {args.file}")
    try:
        published = date.fromisoformat(args.published_date)
    except ValueError:
        raise InvalidParameter("published_date", f"'{args.published_date}' is not a date (YYYY-MM-DD)") from None
    article = Article(
        args.file.read_text(encoding="utf-8"),
        args.publisher,
        args.url,
        published,
        source_file=args.file.name if SEED_FILE.fullmatch(args.file.name) else "",
    )
    catalog = _service(settings).catalog()
    cited = Counter(figure.series_id for figure in catalog.reported)
    extraction = reviewed(
        extract(article, catalog.series, check_language=args.check_language, cited=cited), catalog.series, catalog.reported
    )
    if extraction.not_read:
        print(extraction.not_read)
        return 1
    rows = [
        (
            index,
            p.subject.series_id or "?",
            f"{p.period.start}..{p.period.end}",
            p.aggregation.value,
            p.kind.value,
            f"{p.value:,.0f}" if p.value == int(p.value) else f"{p.value:g}",
            p.unit,
            p.qualifier.value,
            "-" if p.yoy_pct is None else f"{p.yoy_pct:g}",
            "-" if p.mom_pct is None else f"{p.mom_pct:g}",
            p.review_status,
            p.span.cut(article.text),
        )
        for index, p in enumerate(extraction.proposals, start=1)
    ]
    print(table(HEADERS, rows))
    for target in extraction.targets:
        print(
            f"target: {target.subject.entity} {target.metric} {target.comparator} {target.threshold:,.10g} {target.unit} by {target.deadline_year}"
        )
    if args.csv is not None:
        with args.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=OBSERVATION_COLUMNS)
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in observation_row(p, article).items()} for p in extraction.proposals)
        print(f"{len(extraction.proposals)} rows written to {args.csv}; fill any empty series_id before `forecast ingest`")
    return 0


def _cell(value: object) -> object:
    """As data/observations.csv writes it: true/false in lower case, nothing for a missing rate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value
