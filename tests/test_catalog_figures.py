"""A read of some series' figures gives what a scan of every figure gives, in the same order (served bodies unchanged)."""

from __future__ import annotations

from pathlib import Path

from bench.scale_data import made_up_series, write_data_dir
from forecast.api.render import _sources, source_dict
from forecast.catalog import Catalog
from forecast.data import load_directory


def _catalog(tmp_path: Path) -> Catalog:
    series, observations, targets = load_directory(write_data_dir(tmp_path, made_up_series(8)))
    return Catalog.build(series, observations, targets)


def test_figures_of_some_series_are_the_scan_of_all_figures_cut_to_them(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    wanted = {"scale_00002", "scale_00005", "no_such_series"}
    scanned = [o for o in (*catalog.reported, *catalog.derived) if o.series_id in wanted]
    assert catalog.figures_of(wanted) == scanned
    assert len(scanned) > 10


def test_a_forecasts_sources_are_those_a_scan_of_every_figure_finds_in_the_same_order(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    keys = [o.key for o in catalog.reported if o.series_id in ("scale_00003", "scale_00001")][::-1]
    seen: dict[str, dict[str, object]] = {}
    for observation in (*catalog.reported, *catalog.derived):  # what _sources did before it read only the keys' series
        if observation.key in set(keys) and observation.source.reference not in seen:
            seen[observation.source.reference] = source_dict(observation)
    assert _sources(catalog, keys) == list(seen.values())
    assert len(seen) > 5
