"""The command line: one command per job.

    forecast serve                       the API and the dashboard on FORECAST_HOST:FORECAST_PORT (as `make serve`)
    forecast load                        validate data/ and store it
    forecast fit                         fit every series with a progress bar; a summary of what failed and why
    forecast series | targets            tables read from the fitted models (a fit only if none match the data)
    forecast backtest SERIES             the rolling-origin scores by horizon
    forecast ingest FILE.csv|FILE.json   new figures, validated as POST /v1/observations does, all or nothing
    forecast retire KEY --reason TEXT    keep a stored figure but fit it no more (POST /v1/observations/retire), refit
    forecast plot ID -o FILE.png|svg     a series' fan chart or a target's chart, options as GET .../chart.svg
    forecast export forecasts|observations|assessments [-o FILE.csv]
    forecast extract FILE.txt --publisher P --published-date D [--csv OUT]   an article's figures proposed as rows
    forecast export data -o DIR          series, figures and targets (API additions included) as data/ files

Exit codes: 0 done, 2 bad input (the message names the field, as the API's 422 does), 1 any other failure.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from forecast import tracking
from forecast.cli_extract import add_extract_parser, extract_command
from forecast.config import Settings
from forecast.errors import DataError, ForecastError, InvalidParameter, UnknownObservation, UnknownSeries, UnknownTarget

BAD_INPUT = (DataError, InvalidParameter, UnknownSeries, UnknownTarget, UnknownObservation)
if TYPE_CHECKING:  # imported where used: they cost seconds, and `serve` or a usage error needs none of them
    from forecast.services import ForecastService, Snapshot


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forecast", description="Vehicle export forecasts and target tracking")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="the API and the dashboard (loads data/, fits or loads models)")
    commands.add_parser("load", help="validate data/ and store it (idempotent)")
    commands.add_parser("fit", help="fit every series, write models/; a progress bar and a summary of failures")
    commands.add_parser("series", help="every series with its last reported figure and its model")
    commands.add_parser("targets", help="every target: status, probability, required and projected growth")
    backtest = commands.add_parser("backtest", help="a series' rolling-origin backtest scores by horizon")
    backtest.add_argument("series_id")
    ingest = commands.add_parser("ingest", help="add figures from a CSV (columns of data/observations.csv) or JSON file")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--no-refit", action="store_true", help="only store the figures; the next fit or serve refits")
    ingest.add_argument(
        "--correction", action="store_true", help="the rows correct stored figures read wrongly (else another value is refused)"
    )
    retire = commands.add_parser("retire", help="keep a stored figure but fit it no more, with a reason; then refit")
    retire.add_argument("key", help="the figure's key, as `forecast export observations` or the API lists it")
    retire.add_argument("--reason", required=True, help="why the figure is retired; shown beside it")
    plot = commands.add_parser("plot", help="draw a series' fan chart or a target's chart to a PNG or SVG file")
    plot.add_argument("id", help="a series id or a target id")
    plot.add_argument("-o", "--output", type=Path, required=True, help="FILE.png or FILE.svg")
    _query_options(plot)
    export = commands.add_parser("export", help="a table as CSV")
    export.add_argument("what", choices=("forecasts", "observations", "assessments", "data"))
    export.add_argument("-o", "--output", type=Path, help="a CSV file (default: standard output); for data, a folder")
    _query_options(export)
    add_extract_parser(commands)
    return parser


def _query_options(parser: argparse.ArgumentParser) -> None:
    """The query of GET /v1/series/{id}/forecast and .../chart.svg."""
    parser.add_argument("--freq", default="month", help="month, quarter or year")
    parser.add_argument("--horizon", type=int, default=None, help="future periods (default: 12, or all through 2035 if fewer)")
    parser.add_argument("--levels", default="80,95", help="interval levels out of 50,80,90,95,99")
    parser.add_argument("--as-of", dest="as_of", default=None, help="as it stood on this day (YYYY-MM-DD)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a usage error exits with 2 here
    logging.basicConfig(
        level=logging.INFO if args.command in ("serve", "fit") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
        return COMMANDS[args.command](args, settings)
    except BAD_INPUT as error:
        return _fail(2, type(error).__name__, str(error), _field(error))
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        return _fail(2, "InvalidRequest", f"{field}: {problem['msg']}", field)
    except (ForecastError, OSError) as error:
        return _fail(1, type(error).__name__, str(error), None)


def _field(error: ForecastError) -> str | None:
    """The field as the API names it: `observations[3].value` for a bad row of a batch."""
    if isinstance(error, DataError):
        return f"observations[{error.row}].{error.field}" if error.row is not None else error.field
    return error.field if isinstance(error, InvalidParameter) else None


def _fail(code: int, name: str, message: str, field: str | None) -> int:
    print(f"error: {name}: {message}" + (f" (field {field})" if field else ""), file=sys.stderr)
    return code


# commands ------------------------------------------------------------------------------------------


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from forecast.api.server import serve

    serve(settings)
    return 0


def load(args: argparse.Namespace, settings: Settings) -> int:
    _service(settings)
    return 0


def fit(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings, progress=True)
    snapshot = service.refit()
    print(
        f"fitted {len(snapshot.forecasts)} of {len(snapshot.catalog.series)} series in {snapshot.seconds:.1f} s; "
        f"models in {settings.models_dir}"
    )
    if snapshot.failures:
        print(f"not projected ({len(snapshot.failures)}):")
        print(table(["series", "why"], sorted(snapshot.failures.items())))
    return 0 if snapshot.forecasts else 1


def series(args: argparse.Namespace, settings: Settings) -> int:
    snapshot = _ready(settings).snapshot
    rows = []
    for s in snapshot.catalog.series.values():
        last = snapshot.catalog.last_observation(s.id)
        found = snapshot.forecasts.get(s.id)
        model = found.model.name if found else f"none: {snapshot.failures.get(s.id, 'not fitted')}"
        figure, when = (_num(last.value), f"{last.period.end} {last.aggregation.value}") if last else ("-", "-")
        rows.append([s.id, s.entity, s.measure, s.basis.value, s.unit, figure, when, model])
    print(table(["id", "entity", "measure", "basis", "unit", "last figure", "date", "model"], rows))
    return 0


def targets(args: argparse.Namespace, settings: Settings) -> int:
    snapshot = _ready(settings).snapshot
    rows = []
    for a in snapshot.assessments.values():
        latest = f"{_num(a.latest_actual['value'])} ({a.latest_actual['year']})" if a.latest_actual else "-"
        threshold = f"{a.comparator} {_num(a.threshold)} {a.unit} by {a.deadline_year}"
        rows.append(
            [
                a.id,
                a.status,
                _pct(a.probability),
                _pct(a.required_cagr),
                _pct(a.projected_cagr),
                threshold,
                latest,
                str(a.attainment_year or "-"),
            ]
        )
    print(table(["target", "status", "P(meet)", "required/yr", "projected/yr", "threshold", "latest actual", "attains"], rows))
    return 0


def backtest(args: argparse.Namespace, settings: Settings) -> int:
    found = _ready(settings).forecast_for(args.series_id, None)
    rows = []
    for family, summary in found.model.backtest.items():
        for model, scores in (summary or {}).items():
            by_horizon: list[tuple[object, Any]] = [*scores.get("by_horizon", {}).items(), ("all", scores)]
            for horizon, s in by_horizon:
                scored = [
                    _num(s.get("smape")),
                    _num(s.get("mase")),
                    _pct(s.get("coverage_80")),
                    _pct(s.get("coverage_95")),
                    str(s.get("n", "")),
                ]
                rows.append([family, model, str(horizon), *scored])
    print(f"{args.series_id}: {found.model.name}, fitted {found.fitted_at}")
    print(table(["family", "model", "horizon", "sMAPE", "MASE", "cover 80", "cover 95", "n"], rows))
    return 0


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    from forecast.api.schemas import ObservationBatchIn
    from forecast.data import observations_from_rows

    rows = read_rows(args.file)
    batch = ObservationBatchIn.model_validate({"observations": rows})  # the API's request schema: same defaults, same 422s
    checked = [o.model_dump() for o in batch.observations]
    service = _service(settings)
    observations = observations_from_rows(checked, service.store.series(), source=args.file.name, loaded_on=date.today())
    if args.no_refit:
        result = service.store.add_observations(observations, "ingest", date.today(), args.file.name, args.correction)
        print(f"{args.file}: {result.new} new, {result.revised} revised, {result.unchanged} unchanged; stored, not refitted")
        return 0
    service.start()
    job = service.ingest(checked, run_in_background=False, correction=args.correction)
    print(f"{args.file}: {len(observations)} figures; refit {job.status}: {json.dumps(job.detail, default=str)}")
    return 0 if job.status == "done" else 1


def retire(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    service.start()
    job = tracking.retire_figure(service, args.key, args.reason, background=False)
    print(f"retired {args.key}: {job.detail.get('reason')}; refit {job.status}")
    return 0 if job.status == "done" else 1


def plot(args: argparse.Namespace, settings: Settings) -> int:
    from forecast.api import render

    fmt = args.output.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise InvalidParameter("output", f"'{args.output}' must end in .png or .svg")
    service = _ready(settings)
    snapshot, query = service.snapshot, _query(args)
    if args.id in snapshot.assessments:
        content = render.target_chart_image(snapshot, args.id, query.as_of, fmt=fmt)
    elif args.id in snapshot.catalog.series:
        payload = _forecast_body(service, snapshot, args.id, query)
        content = render.series_chart_image(snapshot, payload, service.catalog(query.as_of), fmt=fmt)
    else:
        raise UnknownSeries(args.id)  # nor a target: the message points at both lists
    args.output.write_bytes(content)
    print(f"wrote {args.output} ({len(content)} bytes)")
    return 0


def export(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "data":
        return _export_data(args, settings)
    service = _ready(settings)
    writers: dict[str, Callable[[ForecastService, argparse.Namespace], str]] = {
        "forecasts": _forecasts_csv,
        "observations": _observations_csv,
        "assessments": _assessments_csv,
    }
    text = writers[args.what](service, args)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {args.output} ({text.count(chr(10)) - 1} rows)", file=sys.stderr)
    return 0


def _export_data(args: argparse.Namespace, settings: Settings) -> int:
    """The store's series, figures and targets (data/'s and those added over the API) as data/ files in a folder."""
    from forecast.datafiles import write_directory

    if args.output is None:
        raise InvalidParameter("output", "export data writes three files: name a folder with -o")
    store = _service(settings).store
    write_directory(args.output, store.series().values(), store.observations(), store.targets())
    print(f"wrote {args.output}/series.csv, observations.csv, targets.csv", file=sys.stderr)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = dict(
    serve=serve,
    load=load,
    fit=fit,
    series=series,
    targets=targets,
    backtest=backtest,
    ingest=ingest,
    retire=retire,
    plot=plot,
    export=export,
    extract=extract_command,
)


# helpers ----------------------------------------------------------------------------------------------


def _service(settings: Settings, progress: bool = False) -> ForecastService:
    """A service on the settings' store with data/ loaded (and said so on stderr)."""
    from forecast.services import ForecastService
    from forecast.store import Store

    kind = _progress_service() if progress else ForecastService
    service = kind(settings, Store(settings.database))
    result = service.load_data_dir()
    print(f"data/: {result.new} new, {result.revised} revised, {result.unchanged} unchanged figures", file=sys.stderr)
    return service


def _ready(settings: Settings) -> ForecastService:
    """A service serving the stored models when they match the data (seconds), else after a fit."""
    service = _service(settings)
    service.start()
    return service


def _progress_service() -> type[ForecastService]:
    """ForecastService with progress bars: one step per series fitted, then one per as-of replay of a series on a day."""
    from tqdm import tqdm  # type: ignore[import-untyped]

    from forecast.fitting import FitOutcome
    from forecast.services import ForecastService

    class WithProgress(ForecastService):
        def refit(self, only: Iterable[str] | None = None) -> Snapshot:
            bars: dict[str, Any] = {}
            total = len(self.catalog().series)

            def done(outcome: FitOutcome) -> None:  # told of each fit as it ends, whichever worker ran it
                kind = "as-of replays" if outcome.day else "fitting"
                if outcome.day and "fitting" in bars:  # every series is fitted when the replays begin
                    bars.pop("fitting").close()
                if kind not in bars:
                    unit = "fit" if outcome.day else "series"
                    bars[kind] = tqdm(total=None if outcome.day else total, desc=kind, unit=unit, file=sys.stderr)
                bars[kind].set_postfix_str(outcome.series_id, refresh=False)
                bars[kind].update(1)

            self.fitter.on_done = done
            try:
                return super().refit(only)
            finally:
                self.fitter.on_done = None
                for bar in bars.values():
                    bar.close()

    return WithProgress


def read_rows(path: Path) -> list[dict[str, object]]:
    """The rows of FILE.csv (header: columns of data/observations.csv) or FILE.json (a list, or {"observations": [...]})."""
    if not path.is_file():
        raise DataError(path.name, 0, "file", f"no such file: {path}")
    if path.suffix.lower() == ".json":
        try:
            loaded = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise DataError(path.name, error.lineno, "file", f"not JSON: {error.msg}") from None
        rows = loaded.get("observations") if isinstance(loaded, dict) else loaded
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise DataError(path.name, 0, "observations", 'expected a list of rows, or {"observations": [rows]}')
        return rows
    if path.suffix.lower() != ".csv":
        raise DataError(path.name, 0, "file", "expected a .csv or .json file")
    with path.open(newline="") as handle:
        found = list(csv.DictReader(handle))
    for index, row in enumerate(found):
        if None in row or None in row.values():
            raise DataError(path.name, index + 2, "row", "has a different number of values than the header", row=index)
    return [{k: v for k, v in row.items()} for row in found]


def _query(args: argparse.Namespace) -> Any:
    from forecast.api.schemas import ForecastQuery

    return ForecastQuery.model_validate({"freq": args.freq, "horizon": args.horizon, "levels": args.levels, "as_of": args.as_of})


def _forecast_body(service: ForecastService, snapshot: Snapshot, series_id: str, query: Any) -> dict[str, object]:
    """The body GET /v1/series/{id}/forecast serves for this query (the route's own code)."""
    from forecast.api.bodies import forecast_payload
    from forecast.api.render import ResponseCache

    payload, _ = forecast_payload(service, ResponseCache(snapshot), series_id, query, as_csv=False)
    assert isinstance(payload, dict)
    return payload


def _forecasts_csv(service: ForecastService, args: argparse.Namespace) -> str:
    from forecast.api import render

    query, snapshot = _query(args), service.snapshot
    parts: list[str] = []
    levels = [int(level) for level in query.levels.split(",")]
    for series_id in snapshot.forecasts:
        body = _forecast_body(service, snapshot, series_id, query)
        text = render.forecast_csv(body, sorted(levels)).decode()
        parts.append(text if not parts else text.split("\n", 1)[1])
    return "".join(parts)


def _observations_csv(service: ForecastService, args: argparse.Namespace) -> str:
    from forecast.api import render

    catalog = service.catalog(_query(args).as_of)
    out: list[str] = []
    for series_id in catalog.series:
        header, *rows = render.observations_csv(render.observations_body(catalog, series_id)).decode().splitlines(keepends=True)
        out += [] if out else [f"series_id,{header}"]
        out += [f"{series_id},{row}" for row in rows]
    return "".join(out)


ASSESSMENT_COLUMNS = (
    "id status probability deadline_year comparator threshold unit required_cagr projected_cagr attainment_year gap series_id".split()
)


def _assessments_csv(service: ForecastService, args: argparse.Namespace) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ASSESSMENT_COLUMNS, "latest_actual_year", "latest_actual", "projection_median"])
    for assessment in service.snapshot.assessments.values():
        found = assessment.as_dict()
        latest, projection = assessment.latest_actual or {}, assessment.projection or {}
        writer.writerow([*(found[c] for c in ASSESSMENT_COLUMNS), latest.get("year"), latest.get("value"), projection.get("median")])
    return buffer.getvalue()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table: columns padded to their widest cell, numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(row[i]) for row in cells) and bool(cells) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(list(headers)), line(["-" * w for w in widths]), *(line(row) for row in cells)])


def _looks_numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("%", "").replace("-", "").strip().isdigit() or text == "-"


def _num(value: object) -> str:
    return "-" if value is None else f"{float(value):,.0f}" if abs(float(value)) >= 100 else f"{float(value):.3g}"  # type: ignore[arg-type]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


if __name__ == "__main__":
    raise SystemExit(main())
