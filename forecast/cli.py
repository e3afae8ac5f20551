"""forecast serve | load | fit | targets | backtest: the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from forecast.config import Settings
from forecast.errors import ForecastError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forecast", description="Vehicle export forecasts and target tracking")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="load data/, fit (or load fitted models), serve on 127.0.0.1:8000")
    commands.add_parser("load", help="validate data/ and store it (idempotent)")
    commands.add_parser("fit", help="load data/, fit every series, write models/")
    commands.add_parser("targets", help="print the target assessments")
    backtest = commands.add_parser("backtest", help="print a series' backtest scores")
    backtest.add_argument("series_id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:
        if args.command == "serve":
            import uvicorn

            uvicorn.run(
                "forecast.api.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, loop="uvloop", http="httptools", access_log=False,
            )
            return 0
        from forecast.services import ForecastService
        from forecast.store import Store

        service = ForecastService(settings, Store(settings.database_path))
        result = service.load_data_dir()
        print(f"data/: {result.new} new, {result.revised} revised, {result.unchanged} unchanged figures", file=sys.stderr)
        if args.command == "load":
            return 0
        snapshot = service.refit()
        if args.command == "fit":
            print(f"fitted {len(snapshot.forecasts)} series in {snapshot.seconds:.1f} s; not projected: {len(snapshot.failures)}")
            for series_id, reason in snapshot.failures.items():
                print(f"  {series_id}: {reason}")
        elif args.command == "targets":
            for assessment in snapshot.assessments.values():
                probability = "-" if assessment.probability is None else f"{assessment.probability:.2f}"
                print(f"{assessment.id:40s} {assessment.status:24s} P={probability:5s} {assessment.description}")
        elif args.command == "backtest":
            forecast = service.forecast_for(args.series_id, None)
            print(json.dumps(forecast.model.backtest, indent=2, default=str))
        return 0
    except ForecastError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
