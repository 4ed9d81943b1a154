"""The report's pictures, drawn with matplotlib (Agg) as SVG: the map of the day and the
chart of the week. The SVG bytes depend on the data only (a fixed hash salt for element
ids, no date in the metadata, text drawn as paths), so a report renders identically
wherever it is made."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from truceline.agreement.model import Agreement  # noqa: E402
from truceline.metrics.facts import Breach  # noqa: E402

PARTY_COLOURS = ("#c0392b", "#2471a3", "#7d3c98", "#b9770e")
GRADE_SIZE = {"confirmed": 70, "fair": 45, "weak": 30, "contested": 30, "discounted": 20}
_STYLE: dict[str, Any] = {
    "svg.hashsalt": "truceline-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
}


def svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def colours(parties: Sequence[str]) -> dict[str, str]:
    return {p: PARTY_COLOURS[i % len(PARTY_COLOURS)] for i, p in enumerate(parties)}


def _lines(ax: Any, geometry: Any, **style: Any) -> None:
    geoms = getattr(geometry, "geoms", [geometry])
    for g in geoms:
        xs, ys = g.xy
        ax.plot(xs, ys, **style)


def map_svg(agreement: Agreement, breaches: Sequence[Breach], _: Callable[[str], str]) -> bytes:
    """The agreement's geography and the day's verified incidents, by accused and grade."""
    geo = agreement.geography
    parties = [p.id for p in agreement.parties]
    palette = colours(parties)
    with plt.rc_context(_STYLE):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(7.2, 5.4))
        for t in geo.territories:
            for poly in getattr(t.shape, "geoms", [t.shape]):
                xs, ys = poly.exterior.xy
                ax.fill(xs, ys, color=palette.get(t.party, "#999"), alpha=0.08, lw=0)
        for z in geo.zones:
            for poly in getattr(z.shape, "geoms", [z.shape]):
                xs, ys = poly.exterior.xy
                ax.fill(xs, ys, color="#f5b041", alpha=0.25, lw=0.4, ec="#b9770e")
        _lines(ax, shape(geo.contact_line), color="#222", lw=1.4, label=_("Contact line"))
        for c in geo.corridors:
            _lines(ax, c.shape, color="#229954", lw=1.0, ls="--")
        if geo.corridors:
            ax.plot([], [], color="#229954", lw=1.0, ls="--", label=_("Humanitarian corridor"))
        if geo.protected_sites:
            xs = [s.shape.x for s in geo.protected_sites]
            ys = [s.shape.y for s in geo.protected_sites]
            ax.scatter(
                xs, ys, marker="P", s=40, color="#117a65", label=_("Protected site"), zorder=3
            )
        for party in parties:
            mine = [b for b in breaches if b.verdict.accused == party]
            if not mine:
                continue
            ax.scatter(
                [b.verdict.location[0] for b in mine],
                [b.verdict.location[1] for b in mine],
                s=[GRADE_SIZE.get(b.verdict.grade.value, 30) for b in mine],
                color=palette[party],
                edgecolors="white",
                linewidths=0.5,
                label=_("Verified breach by {party}").format(party=party),
                zorder=4,
            )
        lat = sum(ax.get_ylim()) / 2
        ax.set_aspect(1 / max(math.cos(math.radians(lat)), 0.1))
        ax.set_xlabel(_("Longitude"))
        ax.set_ylabel(_("Latitude"))
        ax.legend(loc="best", fontsize=7, framealpha=0.9)
        ax.grid(alpha=0.2)
        return svg(fig)


def week_chart_svg(
    series: dict[str, list[tuple[str, float, float, float]]],
    parties: Sequence[str],
    _: Callable[[str], str],
    labels: Sequence[str],
) -> bytes:
    """Verified breaches per day and party over the day and the week before, with the
    95 % interval of each count as an error bar."""
    palette = colours(parties)
    with plt.rc_context(_STYLE):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(7.2, 2.8))
        width = 0.8 / max(len(parties), 1)
        for k, party in enumerate(parties):
            points = series.get(party, [])
            xs = [i + (k - (len(parties) - 1) / 2) * width for i in range(len(points))]
            values = [v for _p, v, _lo, _hi in points]
            errors = [
                [v - lo for _p, v, lo, _hi in points],
                [hi - v for _p, v, _lo, hi in points],
            ]
            ax.bar(xs, values, width, color=palette[party], label=party)
            ax.errorbar(
                xs, values, yerr=errors, fmt="none", ecolor="#333", elinewidth=0.6, capsize=2
            )
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(_("Verified breaches per day"))
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.2)
        return svg(fig)
