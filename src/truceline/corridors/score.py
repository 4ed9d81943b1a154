"""Scoring forecasts against the simulator's truth: the true hazard of each corridor window
(`corridor_hazard` lines) and whether a true corridor attack happened in it.

Brier score, log loss, expected calibration error (10 equal-width bins), ROC-AUC (Mann-
Whitney), each against the climatological forecast: the base rate of the scored windows,
a constant no forecast from a log could know in advance (so the skill is conservative).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from truceline.corridors.spec import CorridorSpec
from truceline.fusion.attribute import project
from truceline.fusion.base import Frame

Key = tuple[str, str]  # corridor id, window start (RFC 3339)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def outcomes(truth: Path, corridors: list[CorridorSpec]) -> dict[Key, tuple[float, int]]:
    """(true P of a breach, 1 if a true breach landed within the width while open) per
    corridor window, from truth.jsonl (a scenario with `behaviour.deterrence`)."""
    hazards: dict[Key, float] = {}
    impacts: list[tuple[datetime, float, float]] = []
    for line in truth.read_text().splitlines():
        obj = json.loads(line)
        if obj["type"] == "corridor_hazard":
            hazards[(obj["corridor"], obj["window"][0])] = float(obj["p_breach"])
        elif obj["type"] == "event" and obj["breach"] and obj["impact"] is not None:
            impacts.append((_t(obj["time"]), *obj["impact"]))
    out: dict[Key, tuple[float, int]] = {}
    for c in corridors:
        mid = c.line.interpolate(0.5, normalized=True)
        frame = Frame(mid.x, mid.y)
        path = project(c.line, frame)
        if impacts:
            x, y = frame.to_xy([i[1] for i in impacts], [i[2] for i in impacts])
            d = np.asarray(shapely.distance(path, shapely.points(x, y)))
        for a, z in c.windows:
            from truceline.observation import format_time

            key = (c.id, format_time(a))
            if key not in hazards:
                continue
            hit = (
                any(
                    a <= t < z and dist <= c.width_m / 2
                    for (t, _, _), dist in zip(impacts, d, strict=True)
                )
                if impacts
                else False
            )
            out[key] = (hazards[key], int(hit))
    return out


def auc(p: np.ndarray, y: np.ndarray) -> float | None:
    pos, neg = p[y == 1], p[y == 0]
    if not len(pos) or not len(neg):
        return None
    wins = sum(float((q > neg).sum()) + 0.5 * float((q == neg).sum()) for q in pos)
    return wins / (len(pos) * len(neg))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(p) * abs(float(p[m].mean()) - float(y[m].mean()))
    return total


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per bin of forecast P: how many windows, their mean P and the share breached (the
    calibration curve that `ece` sums)."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    return [
        {
            "bin": b / bins,
            "windows": int(m.sum()),
            "mean_p": round(float(p[m].mean()), 4),
            "breached": round(float(y[m].mean()), 4),
        }
        for b in range(bins)
        if (m := idx == b).any()
    ]


def logloss(p: np.ndarray, y: np.ndarray) -> float:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())


def against_outcomes(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Probabilities p scored against 0/1 outcomes y, and against the climatological
    forecast (y's own mean)."""
    clim = np.full(len(y), float(y.mean()))
    brier, brier_clim = float(((p - y) ** 2).mean()), float(((clim - y) ** 2).mean())
    return {
        "windows": len(y),
        "breached": int(y.sum()),
        "brier": round(brier, 4),
        "brier_climatology": round(brier_clim, 4),
        "brier_skill": round(1 - brier / brier_clim, 4) if brier_clim else None,
        "log_loss": round(logloss(p, y), 4),
        "log_loss_climatology": round(logloss(clim, y), 4),
        "ece": round(ece(p, y), 4),
        "reliability": reliability(p, y),
        "auc": None if (a := auc(p, y)) is None else round(a, 4),
        "mean_p": round(float(p.mean()), 4),
    }


def score(
    forecasts: Iterable[dict[str, Any]], truth: dict[Key, tuple[float, int]]
) -> dict[str, Any]:
    rows = [
        (f["p_breach"], *truth[(f["corridor"], f["window_start"])])
        for f in forecasts
        if (f["corridor"], f["window_start"]) in truth
    ]
    if not rows:
        return {"windows": 0}
    p = np.array([r[0] for r in rows])
    true_p = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows], float)
    # the same against the true hazard (less noisy than the 0/1 outcome)
    brier_true = float(((p - true_p) ** 2).mean() + (true_p * (1 - true_p)).mean())
    return {
        **against_outcomes(p, y),
        "expected_brier_vs_true_hazard": round(brier_true, 4),
        "auc_true_hazard": None if (b := auc(true_p, y)) is None else round(b, 4),
        "mean_abs_error_vs_true_p": round(float(np.abs(p - true_p).mean()), 4),
        "mean_true_p": round(float(true_p.mean()), 4),
        "rmse_log_hazard": round(
            math.sqrt(
                float(
                    np.mean(
                        (
                            np.log1p(-np.minimum(p, 0.999999))
                            - np.log1p(-np.minimum(true_p, 0.999999))
                        )
                        ** 2
                    )
                )
            ),
            4,
        ),
    }


def pool(
    runs: list[tuple[str, list[dict[str, Any]], dict[Key, tuple[float, int]]]],
) -> tuple[list[dict[str, Any]], dict[Key, tuple[float, int]]]:
    """Several scored runs as one: each corridor id prefixed with its run's name, so that
    the same corridor and window of two seeds stay two windows."""
    docs = [
        d | {"forecasts": [f | {"corridor": f"{name}/{f['corridor']}"} for f in d["forecasts"]]}
        for name, ds, _ in runs
        for d in ds
    ]
    truth = {(f"{name}/{c}", w): v for name, _, t in runs for (c, w), v in t.items()}
    return docs, truth


def report(docs: list[dict[str, Any]], truth: dict[Key, tuple[float, int]]) -> dict[str, Any]:
    """The forecasts' scores beside two references: the naive share of past windows the
    log showed breached (no model), and the simulator's true hazard (the best possible)."""
    rows = [f for d in docs for f in d["forecasts"]]
    naive = [
        f | {"p_breach": d["model"]["windows_breached"] / max(d["model"]["rows"], 1)}
        for d in docs
        for f in d["forecasts"]
    ]
    oracle = [
        f | {"p_breach": truth[(f["corridor"], f["window_start"])][0]}
        for f in rows
        if (f["corridor"], f["window_start"]) in truth
    ]
    return {
        "forecasts": len(docs),
        "forecast": score(rows, truth),
        "naive_log_share": score(naive, truth),
        "true_hazard": score(oracle, truth),
    }
