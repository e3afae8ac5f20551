"""Charts drawn with matplotlib (Agg): a series' fan chart and a target's assessment over time, as SVG or PNG bytes.

The inputs are the bodies the API serves as JSON (render.forecast_body, render.observations_body and
Assessment.as_dict), so a chart draws exactly what the JSON says. Nothing here knows HTTP or fits a model.

In an SVG every drawn layer is a group whose id names it (`reported-month`, `median`, `band-80`, `probability`, ...)
and whose `data-points` attribute holds the values drawn, as JSON `[[period_end, value], ...]` (bands:
`[[period_end, lower, upper], ...]`), so a test or a script can read a chart's numbers back.

Reported figures are drawn by what they cover, so a total is never mistaken for a month:

    a figure whose span is the view's period (a month in the month view)   a filled marker: dot, square, diamond
    a longer total (a year, a year-to-date, a quarter in the month view)   a dashed segment over its span, at its
                                                                           average per period of the view
    a shorter one (a month in the year view)                                not drawn: the year view shows years
    a disputed figure                                                       a red ring around it
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any, cast

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
MARKERS = {"month": "o", "quarter": "s", "year": "D"}
BAND_COLOURS = {80: "#6baed6", 95: "#c6dbef", 50: "#3182bd"}
FORMATS = ("svg", "png")
matplotlib.rcParams.update({"svg.hashsalt": "forecast", "svg.fonttype": "none"})  # the same bytes for the same chart


@dataclass
class Layers:
    """What each SVG group drew: group id -> rows written into its data-points attribute."""

    rows: dict[str, list[list[object]]] = field(default_factory=dict)

    def add(self, gid: str, row: list[object]) -> None:
        self.rows.setdefault(gid, []).append(row)


def _day(text: object) -> date:
    return date.fromisoformat(str(text))


def _x(days: Sequence[date]) -> np.ndarray:
    """Days as matplotlib's date numbers (an axis of dates)."""
    return np.asarray(cast(Any, mdates).date2num(list(days)), dtype=float)  # date2num has no annotations


def months_spanned(start: date, end: date) -> int:
    """Calendar months from `start` to `end` inclusive (2025-01-01 .. 2025-03-31 -> 3)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def figure_shape(aggregation: str, start: date, end: date, freq: str) -> tuple[str, float] | None:
    """How a reported figure shows in a view of `freq`: ('point', 1.0) when its span is the view's period,
    ('segment', periods spanned) for a longer total, None for a shorter one."""
    months = months_spanned(start, end)
    per = MONTHS_IN[freq]
    if months < per:
        return None
    if months == per and aggregation in ("month", "quarter", "year"):
        return ("point", 1.0)
    return ("segment", months / per)


def series_chart(forecast: Mapping[str, Any], observations: Mapping[str, Any], title: str = "", fmt: str = "svg") -> bytes:
    """The fan chart of one series: reported figures, the median forecast and its bands, as `fmt` bytes.

    `forecast` is a forecast body (points with period_start/period_end, median, intervals), `observations` an
    observations body of the same series; the view's frequency is the forecast's `freq`.
    """
    freq = str(forecast["freq"])
    layers = Layers()
    fig = _figure((9, 4.5))
    ax = fig.subplots()
    _draw_reported(ax, observations.get("observations", []), freq, str(forecast.get("unit", "")), layers)
    _draw_fan(ax, forecast.get("points", []), layers)
    ax.set_title(title or f"{forecast['series_id']} ({freq})", fontsize=11)
    ax.set_ylabel(str(forecast.get("unit", "")))
    ax.xaxis_date()
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, fmt, layers)


def _figure(size: tuple[float, float]) -> Figure:
    """A figure on its own Agg canvas: no pyplot, so no global state and charts may be drawn in several threads."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draw_reported(ax: Axes, rows: Sequence[Mapping[str, Any]], freq: str, unit: str, layers: Layers) -> None:
    labelled: set[str] = set()
    for row in rows:
        if row.get("kind") not in ("level", "share") or row.get("unit") != unit or row.get("value") is None:
            continue
        start, end = _day(row["period_start"]), _day(row["period_end"])
        shape = figure_shape(str(row["aggregation"]), start, end, freq)
        if shape is None:
            continue
        kind, periods = shape
        value = float(row["value"]) / periods
        gid = f"reported-{row['aggregation']}" if kind == "point" else f"reported-total-{row['aggregation']}"
        label = None if gid in labelled else _reported_label(str(row["aggregation"]), kind, freq)
        labelled.add(gid)
        if kind == "point":
            (artist,) = ax.plot(_x([end]), [value], MARKERS[freq], color="#252525", markersize=4, label=label, zorder=4)
        else:
            (artist,) = ax.plot(_x([start, end]), [value, value], "--", color="#8c6d31", linewidth=1.5, label=label, zorder=3)
        artist.set_gid(f"{gid}-{len(layers.rows.get(gid, []))}")
        layers.add(gid, [str(row["period_end"]), value, str(row["period_start"]), float(row["value"])])
        if row.get("disputed"):
            ax.plot(
                _x([end]),
                [value],
                "o",
                markerfacecolor="none",
                markeredgecolor="#d62728",
                markersize=10,
                label=None if "disputed" in labelled else "disputed",
                zorder=5,
            )
            labelled.add("disputed")
            layers.add("reported-disputed", [str(row["period_end"]), value])


def _reported_label(aggregation: str, kind: str, freq: str) -> str:
    if kind == "point":
        return f"reported {aggregation}"
    return f"reported {aggregation} total, per {freq} on average"


def _draw_fan(ax: Axes, points: Sequence[Mapping[str, Any]], layers: Layers) -> None:
    if not points:
        return
    ends = [_day(p["period_end"]) for p in points]
    levels = sorted({int(i["level"]) for p in points for i in p["intervals"]}, reverse=True)
    for level in levels:
        lower = [next(i["lower"] for i in p["intervals"] if int(i["level"]) == level) for p in points]
        upper = [next(i["upper"] for i in p["intervals"] if int(i["level"]) == level) for p in points]
        band = ax.fill_between(
            _x(ends), lower, upper, color=BAND_COLOURS.get(level, "#9ecae1"), alpha=0.8, label=f"{level}% interval", zorder=1
        )
        band.set_gid(f"band-{level}")
        layers.rows[f"band-{level}"] = [[str(p["period_end"]), lo, hi] for p, lo, hi in zip(points, lower, upper, strict=True)]
    medians = [float(p["median"]) for p in points]
    (line,) = ax.plot(_x(ends), medians, "-", color="#08519c", linewidth=2, label="median forecast", zorder=2)
    line.set_gid("median")
    layers.rows["median"] = [[str(p["period_end"]), m] for p, m in zip(points, medians, strict=True)]


def target_chart(assessment: Mapping[str, Any], as_of: date | None = None, now: date | None = None, fmt: str = "svg") -> bytes:
    """A target over time: the probability of meeting it at each assessment (its `history`, then the current one,
    dated `now`) above the median projected for the deadline year against the threshold. With `as_of`, only the
    assessments made by that day."""
    rows = [(_day(h["as_of"]), h.get("probability"), h.get("projection_median")) for h in assessment.get("history", [])]
    rows = [row for row in rows if as_of is None or row[0] <= as_of]
    if as_of is None:
        current = assessment.get("projection") or {}
        rows.append((now or date.today(), assessment.get("probability"), current.get("median")))
    layers = Layers()
    fig = _figure((7, 5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    _draw_probability(top, [(day, float(p)) for day, p, _ in rows if p is not None], layers)
    _draw_projection(bottom, [(day, float(m)) for day, _, m in rows if m is not None], assessment, layers)
    fig.suptitle(f"{assessment['id']}: {assessment.get('status', '')}", fontsize=11)
    return _save(fig, fmt, layers)


def _draw_probability(ax: Axes, drawn: Sequence[tuple[date, float]], layers: Layers) -> None:
    if drawn:
        (line,) = ax.plot(_x([d for d, _ in drawn]), [p for _, p in drawn], "o-", color="#08519c", label="P(meet)")
        line.set_gid("probability")
    layers.rows["probability"] = [[d.isoformat(), p] for d, p in drawn]
    for level, colour in ((0.7, "#31a354"), (0.3, "#d62728")):
        ax.axhline(level, color=colour, linewidth=0.8, linestyle=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("probability")
    ax.grid(alpha=0.3)


def _draw_projection(ax: Axes, medians: Sequence[tuple[date, float]], assessment: Mapping[str, Any], layers: Layers) -> None:
    if medians:
        (line,) = ax.plot(
            _x([d for d, _ in medians]), [m for _, m in medians], "s-", color="#636363", label="projected at deadline (median)"
        )
        line.set_gid("projection-median")
    layers.rows["projection-median"] = [[d.isoformat(), m] for d, m in medians]
    threshold = assessment.get("threshold")
    if threshold is not None:
        ax.axhline(
            float(threshold), color="#d62728", linestyle="--", linewidth=1, label=f"threshold ({assessment.get('unit', '')})"
        ).set_gid("threshold")
        layers.rows["threshold"] = [[str(assessment.get("deadline_year")), float(threshold)]]
    ax.set_ylabel(str(assessment.get("unit", "")))
    ax.xaxis_date()
    ax.grid(alpha=0.3)
    if medians or threshold is not None:
        ax.legend(fontsize=8, loc="best")


def _save(fig: Figure, fmt: str, layers: Layers) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' is not one of {FORMATS}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    content = buffer.getvalue()
    return _annotate(content.decode(), layers).encode() if fmt == "svg" else content


def _annotate(svg: str, layers: Layers) -> str:
    """Write each layer's rows into its group as data-points; a layer drawn as several artists (gid-0, gid-1, ...)
    gets one empty group of its own name holding them all, before the first."""
    for gid, rows in layers.rows.items():
        data = escape(json.dumps(rows, separators=(",", ":")), quote=True)
        whole = f'<g id="{gid}">'
        if whole in svg:
            svg = svg.replace(whole, f'<g id="{gid}" data-points="{data}">', 1)
        else:
            first = f'<g id="{gid}-0">'
            svg = svg.replace(first, f'<g id="{gid}" data-points="{data}"></g>{first}', 1)
            if f'<g id="{gid}" data-points' not in svg:  # nothing drawn in it: still say so
                svg = svg.replace("</svg>", f'<g id="{gid}" data-points="{data}"></g></svg>', 1)
    return svg
