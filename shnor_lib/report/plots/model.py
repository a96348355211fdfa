"""Charts of the quality model (report section 6 and the school card): quality against ИСБШ with
the model's line, the schools' deviations with their intervals, and the funnel of deviations
against school size drawn from the model's own scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ...analysis.funnel import MIN_SCHOOLS, funnel
from ...analysis.models import BELOW, RESILIENT, WITHIN, QualityModelResults, formula_variables
from ..common import as_text
from ..format import fmt_g, fmt_num
from .style import (
    RESILIENCE_COLORS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
    WIDTH,
    comma_formatter,
    new_ax,
    no_data,
)

__all__ = ["HIGHLIGHT_GID", "plot_quality_vs_isbsh", "quality_points", "plot_school_effects", "plot_funnel"]

#: The gid of the ring and label of the school :func:`plot_quality_vs_isbsh` highlights (the card
#: charts find and redraw those two artists by it).
HIGHLIGHT_GID = "shnor-highlight"


def _spread(x: np.ndarray, y: np.ndarray, width: float = 0.32) -> np.ndarray:
    """Deterministic horizontal spread of points that share an x value (discrete groups)."""
    out = x.astype(float).copy()
    for v in np.unique(x):
        idx = np.where(x == v)[0]
        if len(idx) > 1:
            idx = idx[np.argsort(y[idx], kind="stable")]
            out[idx] = v + np.linspace(-width, width, len(idx))
    return out


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Offsets (points) tried in turn for a label; the first free one wins.
_LABEL_OFFSETS = [(4, 2), (4, -9), (-4, 2), (-4, -9), (4, 9), (-4, 9), (4, -16), (-4, -16), (12, 2), (-12, 2),
                  (12, 14), (-12, 14), (12, -21), (-12, -21), (0, 20), (0, -27), (20, 8), (-20, 8), (20, -15),
                  (-20, -15)]


def _place_labels(ax: Axes, x, y, texts: Sequence[str], fontsize: float = 7) -> None:
    """Label every point without overlaps where possible (greedy, deterministic).

    Labels are placed top to bottom, left to right; each takes the first offset
    whose box hits neither a placed label nor another point. Far offsets get a
    thin leader line. A label with no free place keeps the first offset.
    """
    fig = ax.figure
    fig.draw_without_rendering()  # final layout, so data→pixel positions are right
    pts = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    scale = fig.dpi / 72
    h = fontsize * 1.15 * scale
    dots = [(px - 3.5 * scale, py - 3.5 * scale, px + 3.5 * scale, py + 3.5 * scale) for px, py in pts]
    placed: list[tuple] = []
    for i in np.lexsort((pts[:, 0], -pts[:, 1])):
        w = (len(texts[i]) * 0.62 + 0.3) * fontsize * scale
        choice = None
        for dx, dy in _LABEL_OFFSETS:
            x0 = pts[i, 0] + dx * scale - (w if dx < 0 else (w / 2 if dx == 0 else 0))
            box = (x0, pts[i, 1] + dy * scale, x0 + w, pts[i, 1] + dy * scale + h)
            if any(_overlaps(box, b) for b in placed):
                continue
            if any(_overlaps(box, b) for j, b in enumerate(dots) if j != i):
                continue
            choice = (dx, dy, box)
            break
        if choice is None:
            dx, dy = _LABEL_OFFSETS[0]
            x0 = pts[i, 0] + dx * scale
            choice = (dx, dy, (x0, pts[i, 1] + dy * scale, x0 + w, pts[i, 1] + dy * scale + h))
        dx, dy, box = choice
        placed.append(box)
        far = abs(dx) > 8 or dy > 10 or dy < -12
        ax.annotate(texts[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points",
                    ha="right" if dx < 0 else ("center" if dx == 0 else "left"), va="bottom", fontsize=fontsize,
                    color="#222222", zorder=4,
                    arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5, "shrinkA": 0,
                                "shrinkB": 2} if far else None)


def _resilience_labels(d: pd.DataFrame) -> pd.Series:
    """The year's model label, else the school-effect label (both flag only large, significant gaps)."""
    year = as_text(d["resilience"]).astype(str) if "resilience" in d else pd.Series("", index=d.index)
    if "effect_label" in d:
        eff = as_text(d["effect_label"]).astype(str)
        year = year.where(year.isin([RESILIENT, BELOW]), eff)
    return year


def _model_x(model, data: pd.DataFrame) -> str:
    variables = formula_variables(model.formula, data.columns) if model is not None else []
    if "isbsh" in variables:
        return "isbsh"
    if "isbsh_group" in variables:
        return "isbsh_group"
    return "isbsh" if "isbsh" in data and data["isbsh"].notna().any() else "isbsh_group"


def _fitted_line(model, x: str, grid: np.ndarray) -> pd.DataFrame | None:
    """Model prediction along ``x`` with the other regressors at their mean (numeric) or mode."""
    frame = getattr(getattr(getattr(model.fit, "model", None), "data", None), "frame", None)
    if frame is None:
        return None
    variables = formula_variables(model.formula, frame.columns)
    yname = model.fit.model.endog_names
    new = pd.DataFrame({x: grid})
    for v in variables:
        if v in (x, yname):
            continue
        col = frame[v]
        new[v] = col.mean() if pd.api.types.is_numeric_dtype(col) else col.mode().iloc[0]
    sf = model.fit.get_prediction(new).summary_frame(model.alpha)
    return pd.DataFrame({"x": grid, "mean": sf["mean"].values, "low": sf["mean_ci_lower"].values,
                         "high": sf["mean_ci_upper"].values})


def _plotted(data: pd.DataFrame, x: str) -> pd.DataFrame | None:
    """The schools :func:`plot_quality_vs_isbsh` draws (both values present); None for fewer than three."""
    d = data.dropna(subset=[c for c in (x, "quality_index") if c in data]) if x in data else data.iloc[0:0]
    if len(d) < 3 or "quality_index" not in d:
        return None
    return d.reset_index(drop=True)


def _positions(d: pd.DataFrame, x: str) -> np.ndarray:
    """The points' horizontal positions: the value, spread within its group when ``x`` is a group."""
    xv = d[x].astype(float).to_numpy()
    return _spread(xv, d["quality_index"].astype(float).to_numpy()) if x.endswith("_group") else xv


def quality_points(data: pd.DataFrame, model: QualityModelResults | None = None, *,
                   x: str | None = None) -> dict[str, tuple[float, float]]:
    """Where :func:`plot_quality_vs_isbsh` puts each school (data coordinates), by school code —
    the point it rings for ``highlight``; empty when it draws no points (fewer than three schools)."""
    x = x or _model_x(model, data)
    d = _plotted(data, x)
    if d is None:
        return {}
    points: dict[str, tuple[float, float]] = {}
    for sid, px, py in zip(d["school_id"].astype(str), _positions(d, x), d["quality_index"].astype(float), strict=True):
        points.setdefault(sid, (float(px), float(py)))  # the first row of a code, as the ring takes
    return points


def plot_quality_vs_isbsh(data: pd.DataFrame, model: QualityModelResults | None = None, *, x: str | None = None,
                          ax: Axes | None = None,
                          title: str | None = None, ylabel: str = "Индекс качества", highlight: str | None = None,
                          label_all: bool = True, **kws) -> Axes:
    """Quality index against ИСБШ: schools labelled, statuses coloured, fitted line with its band.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` (quality_index, isbsh / isbsh_group, status, resilience).
    model : QualityModelResults, optional
        ``SeasonResult.model``; its line (other regressors at their mean) and the
        confidence band of the mean are drawn when ``x`` is one of its regressors.
    x : str, optional
        ``"isbsh"`` or ``"isbsh_group"``; default: the one the model's formula uses.
    ax : Axes, optional
    title, ylabel : str, optional
    highlight : str, optional
        A school code to ring in black and label in bold (the school of a card).
    label_all : bool
        Label every school with its code (default); False labels only ``highlight``.
    **kws
        Passed to :meth:`Axes.scatter` (the points).

    Returns
    -------
    Axes
    """
    x = x or _model_x(model, data)
    xname = "ИСБШ" if x == "isbsh" else "Группа ИСБШ"
    title = title or ("Качество подготовки и ИСБШ" if x == "isbsh" else "Качество подготовки и группа ИСБШ")
    ax = new_ax(ax, WIDTH, 5.0)
    d = _plotted(data, x)
    if d is None:
        return no_data(ax, title, "нужны индекс качества и ИСБШ хотя бы для трёх школ")
    xv = d[x].astype(float).to_numpy()
    yv = d["quality_index"].astype(float).to_numpy()
    discrete = x.endswith("_group")
    xs = _positions(d, x)
    line_note = None
    if model is not None and x in formula_variables(model.formula, data.columns):
        grid = np.linspace(np.nanmin(xv) - (0.4 if discrete else 0.1), np.nanmax(xv) + (0.4 if discrete else 0.1), 60)
        fl = _fitted_line(model, x, grid)
        if fl is not None:
            level = fmt_num(100 * (1 - model.alpha), 0)
            ax.fill_between(fl["x"], fl["low"], fl["high"], color="#56B4E9", alpha=0.25, linewidth=0,
                            label=f"{level}% доверительный интервал линии")
            others = [v for v in formula_variables(model.formula, data.columns) if v not in (x, "quality_index")]
            ax.plot(fl["x"], fl["mean"], color="#0072B2", linewidth=1.8,
                    label="линия регрессии" + (" (прочие показатели — средние)" if others else ""))
    elif model is not None:
        line_note = f"{xname} не входит в формулу модели — линия не строится"
    status = as_text(d["status"]).astype(str) if "status" in d else pd.Series("", index=d.index)
    resil = _resilience_labels(d)
    for st in STATUS_ORDER:
        for kind, marker, size in ((RESILIENT, "^", 95), (BELOW, "v", 95), ("", "o", 42)):
            m = (status == st) & ((resil == kind) if kind else ~resil.isin([RESILIENT, BELOW]))
            if not m.any():
                continue
            ax.scatter(xs[m], yv[m], s=size, marker=marker, color=STATUS_COLORS[st],
                       edgecolor=RESILIENCE_COLORS.get(kind, "white"), linewidth=1.6 if kind else 0.6,
                       **{"zorder": 3, "alpha": 0.95, **kws})
    handles, labels = ax.get_legend_handles_labels()
    present = [s for s in STATUS_ORDER if (status == s).any()]
    for s in present:
        handles.append(Line2D([], [], marker="o", linestyle="", color=STATUS_COLORS[s], markersize=7))
        labels.append(STATUS_LABELS[s])
    for kind, marker in ((RESILIENT, "^"), (BELOW, "v")):
        if (resil == kind).any():
            handles.append(Line2D([], [], marker=marker, linestyle="", markerfacecolor="white",
                                  markeredgecolor=RESILIENCE_COLORS[kind], markeredgewidth=1.6, markersize=8))
            labels.append(kind)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7.5, ncol=4)
    if discrete:
        lo, hi = int(np.nanmin(xv)), int(np.nanmax(xv))
        ax.set_xticks(range(lo, hi + 1))
        ax.set_xlim(lo - 0.6, hi + 0.6)
    else:
        ax.xaxis.set_major_formatter(comma_formatter())
    ax.yaxis.set_major_formatter(comma_formatter())
    ax.set_xlabel(xname + (" (1–11)" if discrete else " (стандартизованный: 0 — среднее, 1 — стандартное отклонение)"))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    pad_y = 0.06 * (np.nanmax(yv) - np.nanmin(yv) or 0.1)
    ax.set_ylim(min(ax.get_ylim()[0], np.nanmin(yv) - pad_y), max(ax.get_ylim()[1], np.nanmax(yv) + pad_y))
    ids = d["school_id"].astype(str).to_numpy()
    if highlight is not None and (ids == str(highlight)).any():
        i = int(np.flatnonzero(ids == str(highlight))[0])
        lo, hi = ax.get_ylim()  # room for the ring at the edge of the cloud
        ax.set_ylim(lo - 0.06 * (hi - lo), hi + 0.06 * (hi - lo))
        ax.scatter([xs[i]], [yv[i]], s=240, facecolors="none", edgecolors="black", linewidths=1.8, zorder=5,
                   gid=HIGHLIGHT_GID)
        ax.annotate(f"№ {highlight}", (xs[i], yv[i]), xytext=(9, 7), textcoords="offset points", fontsize=8.5,
                    fontweight="bold", zorder=6, gid=HIGHLIGHT_GID)
    if label_all:
        keep = ids != str(highlight) if highlight is not None else np.ones(len(ids), bool)
        _place_labels(ax, xs[keep], yv[keep], list(ids[keep]))
    if line_note:
        ax.text(0.01, 0.01, line_note, transform=ax.transAxes, fontsize=7.5, color="#555555")
    return ax


def plot_school_effects(data: pd.DataFrame, *, min_effect: float | None = None, ax: Axes | None = None,
                        title: str | None = None, **kws) -> Axes:
    """Caterpillar plot: each school's effect (or residual) with its interval, sorted.

    Uses the random-intercept school effects (``school_effect``, ``effect_low``,
    ``effect_high``, ``effect_label``) when present, else the OLS residuals with the
    prediction interval's half-width (``residual``, ``pi_low``, ``pi_high``,
    ``resilience``). Flagged schools are coloured; ± ``min_effect`` is shaded.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools``.
    min_effect : float, optional
        ``params["model"]["min_effect"]`` — the size below which no school is flagged.
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.scatter` (the points).

    Returns
    -------
    Axes
    """
    use_effects = "school_effect" in data and data["school_effect"].notna().any()
    if use_effects:
        d = data.dropna(subset=["school_effect"]).copy()
        d["value"], d["low"], d["high"] = d["school_effect"], d["effect_low"], d["effect_high"]
        d["label"] = d["effect_label"]
        title = title or "Эффекты школ (модель со случайным эффектом школы) с 95% интервалами"
        xlabel = "Эффект школы: отклонение качества от ожидаемого с учётом контекста"
    else:
        d = data.dropna(subset=["residual", "pi_low", "pi_high"]).copy() if "residual" in data else data.iloc[0:0]
        half = (d["pi_high"] - d["pi_low"]) / 2
        d["value"], d["low"], d["high"] = d["residual"], d["residual"] - half, d["residual"] + half
        d["label"] = d.get("resilience")
        title = title or "Отклонения школ от ожидаемого качества с 95% интервалами прогноза"
        xlabel = "Отклонение индекса качества от ожидаемого по модели"
    ax = new_ax(ax, WIDTH, 0.2 * max(len(d), 5) + 1.5)
    if d.empty:
        return no_data(ax, title, "модель качества не построена")
    d = d.sort_values(["value", "school_id"]).reset_index(drop=True)
    y = np.arange(len(d))
    colors = [RESILIENCE_COLORS.get(lab, "#777777") for lab in as_text(d["label"])]
    if min_effect:
        ax.axvspan(-min_effect, min_effect, color="#DDDDDD", alpha=0.6, zorder=0, linewidth=0)
    ax.axvline(0, color="#333333", linewidth=0.9)
    ax.hlines(y, d["low"], d["high"], colors=colors, linewidth=1.4)
    ax.scatter(d["value"], y, color=colors, **{"s": 22, "zorder": 3, **kws})
    ax.set_yticks(y, d["school_id"].astype(str))
    ax.set_ylim(-0.7, len(d) - 0.3)
    ax.xaxis.set_major_formatter(comma_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Код ОО")
    ax.grid(axis="y", visible=False)
    handles = [Line2D([], [], color=RESILIENCE_COLORS[RESILIENT], marker="o", label=RESILIENT),
               Line2D([], [], color=RESILIENCE_COLORS[BELOW], marker="o", label=BELOW),
               Line2D([], [], color="#777777", marker="o", label="в пределах ожидаемого")]
    if min_effect:
        handles.append(Patch(color="#DDDDDD", label=f"малые отклонения (< {fmt_g(min_effect)})"))
    # under the axes: inside, the legend would hide the schools at the bottom right
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(handles), fontsize=7.5)
    ax.set_title(title)
    return ax


def plot_funnel(data: pd.DataFrame, *, score: str = "z_score", size: str = "quality_n", ax: Axes | None = None,
                title: str | None = None,
                xlabel: str = "Число участников, по которым рассчитан индекс качества", **kws) -> Axes:
    """Funnel plot of the quality model: each school's normal score against its number of participants.

    The y value is the model's own ``z_score`` — where the school's index falls in the distribution
    the model expects for its context and cohort (:func:`shnor_lib.analysis.funnel.funnel`) — so
    the 95% and 99,8% control limits are horizontal lines at ±1,96 and ±3,09. Only the schools
    the model labels (``resilience``) are coloured and named; every other school is «в пределах
    ожидаемого», whichever side of a guide it lies (the guides are for one school, without the
    adjustment for the number of schools that the label has).

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` (``school_id``, ``z_score``, ``quality_n``, ``resilience``).
    score, size : str
        Columns of the normal score and of the number of participants.
    ax : Axes, optional
    title, xlabel : str, optional
    **kws
        Passed to :meth:`Axes.scatter`.

    Returns
    -------
    Axes
    """
    title = title or "Воронкообразная диаграмма: отклонения от модели и число участников"
    ax = new_ax(ax, WIDTH, 4.2)
    if score not in data or size not in data:
        return no_data(ax, title, "нет отклонений от модели или числа участников")
    f = funnel(data, score=score, size=size)
    if not f.available:
        return no_data(ax, title, f"число участников известно меньше чем для {MIN_SCHOOLS} школ в модели")
    d = f.points
    n, z = d["size"].to_numpy(), d["z"].to_numpy()
    for (level, line), style in zip(sorted(f.guides.items()), ("--", ":"), strict=True):
        ax.axhline(line, color="#333333", linestyle=style, linewidth=1.1,
                   label=f"{fmt_g(100 * level)}% границы (±{fmt_num(line)})")
        ax.axhline(-line, color="#333333", linestyle=style, linewidth=1.1)
    ax.axhline(0, color="#999999", linewidth=0.8)
    colors = [RESILIENCE_COLORS.get(lab, "#0072B2") for lab in d["label"]]
    ax.scatter(n, z, c=colors, **{"s": 30, "zorder": 3, "edgecolor": "white", "linewidth": 0.5, **kws})
    for r in f.labelled.itertuples():
        ax.annotate(r.school_id, (r.size, r.z), xytext=(4, 3), textcoords="offset points", fontsize=7.5)
    top = max(float(np.nanmax(np.abs(z))), max(f.guides.values())) * 1.12
    ax.set_ylim(-top, top)
    handles, labels = ax.get_legend_handles_labels()
    for kind in (RESILIENT, BELOW):
        handles.append(Line2D([], [], marker="o", linestyle="", color=RESILIENCE_COLORS[kind], markersize=6))
        labels.append(kind)
    handles.append(Line2D([], [], marker="o", linestyle="", color="#0072B2", markersize=6))
    labels.append(WITHIN)
    # below the axes: a legend inside would hide the schools near the guides
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7.5, ncol=3)
    ax.yaxis.set_major_formatter(comma_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Отклонение от ожидаемого, z")
    ax.set_title(title)
    return ax
