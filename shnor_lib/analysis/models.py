"""Quality against context (Методика §5, docs/methodology/model.md): models that respect the index's range.

:func:`fit_quality_model` fits one specification (formula, family, weights) to the model
frame (:mod:`shnor_lib.analysis.model_frame`) and returns a :class:`QualityModelResults` that
knows its summary, coefficients with intervals, and per school the expected value, the
prediction interval, the p-value of the observed value and the one label.

Families (``model.family``)
---------------------------
``fractional_logit`` (default)
    Papke–Wooldridge fractional logit: a GLM with the binomial family and logit link on
    the index itself (a mean mark is rescaled from 2–5 to 0–1), robust (HC0 sandwich)
    standard errors. The spread of schools around the model is an intra-school
    correlation ρ (Williams 1982: a school's count of successes has variance
    n·μ(1−μ)(1 + (n−1)ρ)), estimated by the method of moments, first on standardised
    residuals winsorised at ``model.dispersion_winsor`` on each side, then again without
    the schools the rule singles out (until that set is stable), so the schools being
    tested do not widen their own yardstick (Spiegelhalter 2005; Jones et al. 2008).
``binomial_counts``
    Successes over participants, GLM binomial with over-dispersion estimated as one
    scale factor φ from Pearson's χ² (quasi-binomial): variance φ·μ(1−μ)/n.
``ols``
    The seed's linear reading: OLS (WLS with ``weights: participants``), HC3 errors; the
    left-hand side may be transformed (``np.arcsin(np.sqrt(quality_index))``,
    ``logit(quality_index)``) and the interval is transformed back; intervals are cut at
    the scale's edges.

Every school's interval and p-value come from its own predictive distribution
(:mod:`shnor_lib.analysis.predictive`): beta-binomial for a share with its cohort size, beta
otherwise, Student's t for OLS; the coefficients' uncertainty is mixed in.

Why fractional_logit is the default: on a planted truth (``tests/test_models_simulation.py``;
``benchmarks/RESULTS.md``, «Quality model — families on a planted truth»; 200 simulated
municipalities of 60 schools per scenario) it finds the most planted schools — 62% at a
mid-range index (85% of large cohorts, 38% of small ones) against 32% for the
quasi-binomial and 1% for OLS — while its false labels stay rare (3.5 per 1,000 ordinary
schools, 2.6% of its labels; with nothing planted 4.5% of municipalities get one false
label, under the 10% false discovery rate). The quasi-binomial's one φ treats a cohort of
300 as 60 times more precise than a cohort of 5, so it never finds a small planted school
and the planted schools inflate φ; OLS's one residual variance is inflated by the planted
schools, ignores cohorts and predicts values above 1 near the ceiling. The reasoning and
the demo's figures: ``docs/research/quality-model.md``.

The one label (``resilience``)
------------------------------
A school is «резильентная» («ниже ожидаемого») when its observed value is significantly
above (below) its predictive distribution **and** the gap is at least ``min_effect`` in
the index's units («значимо и существенно», as the DfE Progress 8 bands). Significance:
the two-sided p-value of the observed value against the school's own predictive
distribution (its cohort, the dispersion, the parameters' uncertainty), adjusted by
Benjamini–Hochberg across the municipality's schools (``model.multiple_testing: bh``,
false discovery rate ``model.fdr``) or, with ``none``, p < ``model.alpha``.

:func:`fit_school_effects` (random intercept by school across years) is supporting
evidence only: its label says whether a school differs *persistently*
(«устойчиво выше ожидаемого» …), it never makes a second list.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels
from numpy.typing import ArrayLike
from patsy import EvalEnvironment, NAAction, PatsyError, build_design_matrices, dmatrices, dmatrix
from scipy import stats
from scipy.special import expit
from statsmodels.base.data import PandasData

# the model classes themselves, not statsmodels.api / statsmodels.formula.api: those import every
# statsmodels family (time series, datasets, graphics...), 0.5 s of each report kernel's start
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS, WLS
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
    SingularMatrixWarning,
)

from ..errors import ParameterError
from ..report.format import count
from .metrics import wilson_interval
from .model_frame import FormulaInfo, formula_env, formula_info, index_kind, index_range, size_column
from .predictive import continuous_predictive, discrete_predictive, normal_predictive

__all__ = [
    "FAMILIES", "FAMILY_LABELS", "RESILIENT", "BELOW", "WITHIN", "EFFECT_ABOVE", "EFFECT_BELOW", "EFFECT_NONE",
    "Specification", "QualityModelResults", "SchoolEffects", "formula_variables", "fit_quality_model",
    "fit_school_effects", "min_effect_for", "specification",
]

RESILIENT = "резильентная"
BELOW = "ниже ожидаемого"
WITHIN = "в пределах ожидаемого"
EFFECT_ABOVE = "устойчиво выше ожидаемого"
EFFECT_BELOW = "устойчиво ниже ожидаемого"
EFFECT_NONE = "устойчивого отличия нет"

FAMILIES = ("fractional_logit", "binomial_counts", "ols")
FAMILY_LABELS = {
    "fractional_logit": "дробная логистическая регрессия (обобщённая линейная модель с логит-связью, "
                        "устойчивые ошибки): ожидаемое значение всегда внутри шкалы индекса",
    "binomial_counts": "квазибиномиальная регрессия (доля успешных из числа участников, логит-связь, "
                       "избыточная дисперсия по χ² Пирсона)",
    "ols": "линейная регрессия (метод наименьших квадратов, устойчивые ошибки HC3)",
}


def formula_variables(formula: str, columns: Iterable[str]) -> list[str]:
    """Columns of ``columns`` that the formula names (whole identifiers, not substrings)."""
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    return [c for c in columns if c in names]


def min_effect_for(params: dict, outcome: str = "quality_index") -> float:
    """The smallest gap that counts, in the units of the outcome's index.

    ``model.min_effect`` maps each ``quality.index`` to its threshold (a share on 0–1,
    a mean mark on 2–5).
    """
    return float(params["model"]["min_effect"][index_kind(outcome, params)])


@dataclass(frozen=True)
class Specification:
    """One model: a name, a patsy formula over the model frame, a family and weights."""

    name: str
    formula: str
    family: str
    weights: str

    def describe(self) -> str:
        w = ", веса — участники" if self.weights == "participants" else ""
        return f"{self.name}: {self.formula} [{self.family}{w}]"


MAIN_NAME = "основная"


def specification(params: dict, spec: dict | Specification | None = None) -> Specification:
    """A :class:`Specification` from ``model`` parameters; keys of ``spec`` override them."""
    if isinstance(spec, Specification):
        return spec
    m = params["model"]
    s = dict(spec or {})
    return Specification(str(s.get("name", MAIN_NAME)), s.get("formula", m["formula"]), s.get("family", m["family"]),
                         s.get("weights", m["weights"]))


def check_specification(spec: Specification, params: dict, where: str = "model",
                        columns: Iterable[str] | None = None) -> FormulaInfo:
    """Parse the formula and refuse combinations that make no sense; returns the formula's info.

    Raises
    ------
    ParameterError
        Unknown family or weights, an unknown term, a transformed outcome with a GLM
        family (its link already keeps the expected value inside the scale: write the
        index itself), or ``binomial_counts`` on a mean mark (not a count).
    """
    if spec.family not in FAMILIES:
        raise ParameterError(f"параметр «{where}.family» = {spec.family!r}; допустимо: {', '.join(FAMILIES)}.")
    if spec.weights not in ("none", "participants"):
        raise ParameterError(f"параметр «{where}.weights» = {spec.weights!r}; допустимо: none, participants.")
    info = formula_info(spec.formula, f"{where}.formula", columns)
    if spec.family != "ols" and info.transformed:
        raise ParameterError(
            f"параметр «{where}»: семейство {spec.family} моделирует сам индекс в его шкале (логит-связь уже "
            f"удерживает ожидаемое значение внутри шкалы), а левая часть формулы «{spec.formula}» — преобразование "
            f"«{info.lhs}». Напишите в левой части {info.outcome} или укажите family: ols.")
    if spec.family == "binomial_counts" and index_kind(info.outcome, params) == "mean_mark":
        raise ParameterError(
            f"параметр «{where}»: семейство binomial_counts моделирует долю успешных участников, а индекс "
            "«mean_mark» — средняя отметка, не доля. Используйте fractional_logit или ols.")
    return info


def _schools_n(n: int, genitive: bool = False) -> str:
    """«21 школа», «22 школы», «25 школ» (after «из»: «21 школы», «25 школ»)."""
    return count(int(n), *(("школы", "школ", "школ") if genitive else ("школа", "школы", "школ")))


def _timeless(summary: str) -> str:
    summary = re.sub(r"(Date:\s+)\w{3}, \d{2} \w{3} \d{4}", lambda m: m.group(1) + " " * 16, summary)
    return re.sub(r"(Time:\s+)\d{2}:\d{2}:\d{2}", lambda m: m.group(1) + " " * 8, summary)


def _summary_text(fit, cautions: list[str], header: list[str] | None = None) -> str:
    with warnings.catch_warnings():
        # statsmodels warns in English about tests invalid for few schools; the
        # small-sample caution appended here says it in Russian.
        warnings.simplefilter("ignore")
        text = _timeless(str(fit.summary()))
    if header:
        text = "\n".join(header) + "\n\n" + text
    if cautions:
        text += "\n\nПредупреждения:\n" + "\n".join(f"- {w}" for w in cautions)
    return text


# ---------------------------------------------------------------- statsmodels' warnings

#: Russian notes for the statsmodels warnings a researcher must see; the rest (English
#: small-sample chatter: normality tests invalid for few schools, deprecations) is dropped.
NOTE_NOT_CONVERGED = "оптимизация не сошлась: коэффициенты и интервалы приблизительные"
NOTE_HESSIAN = ("матрица вторых производных (гессиан) в найденной точке не положительно определена: "
                "стандартные ошибки и интервалы ненадёжны")
NOTE_SEPARATION = ("полное разделение: модель точно воспроизводит значения части школ (0 или 1 на шкале индекса), "
                   "коэффициенты не определены однозначно — упростите формулу")
NOTE_SINGULAR = "вырожденная ковариационная матрица оценок: стандартные ошибки ненадёжны"


def _recorded(fn: Callable[[], Any]) -> tuple[Any, list[warnings.WarningMessage]]:
    """Call ``fn`` and return its value with every warning it issued (none is printed)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        out = fn()
    return out, list(caught)


def _is_boundary(w: warnings.WarningMessage) -> bool:
    return "boundary of the parameter space" in str(w.message)


def _is_hessian(w: warnings.WarningMessage) -> bool:
    return issubclass(w.category, HessianInversionWarning) or "Hessian" in str(w.message)


def _not_converged(fit, caught: list[warnings.WarningMessage]) -> bool:
    """Whether a fit reports non-convergence: its ``converged`` flag, ``mle_retvals`` or a
    ConvergenceWarning other than MixedLM's boundary and Hessian messages (judged separately)."""
    if getattr(fit, "converged", True) is False:
        return True
    retvals = getattr(fit, "mle_retvals", None)
    if isinstance(retvals, dict) and retvals.get("converged", True) is False:
        return True
    return any(issubclass(w.category, ConvergenceWarning) and not _is_boundary(w) and not _is_hessian(w)
               for w in caught)


def _warning_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """Russian notes for the meaningful warnings of a fit (each note once, in a fixed order)."""
    found = set()
    for w in caught:
        text = str(w.message)
        if _is_hessian(w):
            found.add(NOTE_HESSIAN)
        elif issubclass(w.category, PerfectSeparationWarning) or "separation" in text.lower():
            found.add(NOTE_SEPARATION)
        elif issubclass(w.category, SingularMatrixWarning) and "random effects" not in text.lower():
            found.add(NOTE_SINGULAR)  # MixedLM's singular random-effects covariance is the boundary
    return [n for n in (NOTE_HESSIAN, NOTE_SEPARATION, NOTE_SINGULAR) if n in found]


def _dependent_terms(X: np.ndarray, names: list[str], rtol: float = 1e-8) -> list[str]:
    """Columns of the design that are (almost) linear combinations of the columns before them.

    Columns are scaled to unit length first, so only the design's shape, not the units of a
    covariate, decides; a column is dependent when its distance from the span of the kept
    columns is below ``rtol``.
    """
    X = np.asarray(X, float)
    norms = np.linalg.norm(X, axis=0)
    out, kept = [], np.empty((X.shape[0], 0))
    for j, name in enumerate(names):
        if norms[j] == 0:
            out.append(name)
            continue
        col = X[:, j] / norms[j]
        if kept.shape[1]:
            coef, *_ = np.linalg.lstsq(kept, col, rcond=None)
            if np.linalg.norm(col - kept @ coef) < np.sqrt(rtol):
                out.append(name)
                continue
        kept = np.column_stack([kept, col])
    return out


def _collinearity_note(X: np.ndarray, names: list[str]) -> str | None:
    dep = _dependent_terms(X, names)
    if not dep:
        return None
    return ("план модели вырожден: " + ", ".join(f"«{t}»" for t in dep)
            + (" выражается" if len(dep) == 1 else " выражаются")
            + " через другие члены формулы (линейная зависимость) — их коэффициенты не определены однозначно; "
            "уберите лишние переменные")


class _FormulaData:
    """Mixin for statsmodels' formula data: pickled results rebuild their patsy design with
    the names our formulas may use (``np``, ``logit``, ``expit``), not by searching the
    unpickling caller's frames (which fails outside a notebook and for ``np.log(...)``)."""

    def __getstate__(self):
        d = super().__getstate__()
        for flag in ("restore_model_spec", "restore_design_info"):
            if d.pop(flag, False):
                d["_shnor_restore"] = flag
        return d

    def __setstate__(self, d):
        flag = d.pop("_shnor_restore", None)
        if flag:
            data = d["frame"] if "frame" in d else d["orig_endog"].join(d["orig_exog"])
            with np.errstate(all="ignore"):
                design = dmatrices(d["formula"], data, eval_env=EvalEnvironment([formula_env()]),
                                   return_type="dataframe")[1].design_info
            d["model_spec" if flag == "restore_model_spec" else "design_info"] = design
        self.__dict__.update(d)


class ShnorPandasData(_FormulaData, PandasData):
    """statsmodels' PandasData with :class:`_FormulaData`'s pickling (module level: found by
    name when a cached season is unpickled in a fresh process)."""


def _picklable(fit):
    """Give the fitted model's data the :class:`_FormulaData` pickling (same object, subclass)."""
    data = getattr(fit.model, "data", None)
    if type(data) is PandasData:
        data.__class__ = ShnorPandasData
    return fit


def _eval_env():
    """What statsmodels' formula API takes for the names ``np``, ``logit``, ``expit``."""
    major, minor = (int(x) for x in statsmodels.__version__.split(".")[:2])
    if (major, minor) >= (0, 15):
        return formula_env()
    return EvalEnvironment([formula_env()])


@dataclass
class QualityModelResults:
    """A fitted quality model: the statsmodels results plus what reports need.

    Attributes
    ----------
    formula, family, weights, name : the specification (``family`` in ``FAMILIES``).
    fit : statsmodels results (GLMResults, or RegressionResults for ``ols``).
    coefficients : DataFrame
        term, coef, se, ci_low, ci_high, p_value (coefficients on the link scale: logit
        for the GLM families, the left-hand side's scale for ``ols``).
    predictions : DataFrame
        One row per school in the model:

        - ``school_id``
        - ``observed`` — the index (its own scale: 0–1, or 2–5 for a mean mark)
        - ``predicted`` — the expected value for the school's context, same scale
        - ``pi_low``, ``pi_high`` — the (1 − alpha) prediction interval of the value the
          school could show with its cohort; always inside the scale
        - ``residual`` — observed − predicted
        - ``z_score`` — the observed value's position in its predictive distribution as a
          normal score (±1.96: edge of a 95% interval); the funnel's coordinate
        - ``p_value`` — two-sided, observed against the predictive distribution
        - ``p_adjusted`` — Benjamini–Hochberg over the model's schools (= p_value with
          ``multiple_testing: none``)
        - ``resilience`` — the one label: RESILIENT, BELOW or WITHIN
    n : int  schools in the model.
    r2 : float
        OLS: R². GLM families: squared correlation of observed and expected values on the
        index's scale (a pseudo-R², comparable across families); ``r2_kind`` says which.
    alpha, min_effect, multiple_testing, fdr : the labelling rule.
    dispersion : float
        fractional_logit: ρ (intra-school correlation; without cohort sizes or for a mean
        mark, the variance factor v in Var = v·μ(1−μ)); binomial_counts: φ; ols: σ².
    index_range : (low, high) of the outcome's scale.
    model_frame : DataFrame  the frame the model was fitted from (every school, every column).
    warnings : list of str  small-sample and other cautions, in Russian.
    """

    formula: str
    fit: Any  # a statsmodels results wrapper (OLS, WLS or GLM); statsmodels ships no type information
    coefficients: pd.DataFrame
    predictions: pd.DataFrame
    n: int
    r2: float
    alpha: float
    min_effect: float
    warnings: list[str] = field(default_factory=list)
    family: str = "fractional_logit"
    weights: str = "none"
    name: str = MAIN_NAME
    outcome: str = "quality_index"
    r2_kind: str = ""
    dispersion: float = float("nan")
    dispersion_kind: str = ""
    multiple_testing: str = "bh"
    fdr: float = 0.10
    index_range: tuple[float, float] = (0.0, 1.0)
    model_frame: pd.DataFrame | None = None
    _back: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _design_info: object = field(default=None, repr=False)

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_design_info"] = None  # patsy designs do not pickle; rebuilt from the frame when needed
        return d

    @property
    def family_label(self) -> str:
        """The family in plain Russian."""
        return FAMILY_LABELS[self.family]

    def header(self) -> list[str]:
        """Russian lines that say what was fitted and how a school is labelled."""
        lo, hi = self.index_range
        rule = (f"поправка Бенджамини — Хохберга, доля ложных открытий {self.fdr:g}" if self.multiple_testing == "bh"
                else f"p < {self.alpha:g} без поправки на множественность")
        return [
            f"Спецификация «{self.name}»: {self.formula}",
            f"Семейство: {self.family_label}" + ("; веса — число участников" if self.weights == "participants" else ""),
            f"Школ в модели: {self.n}; шкала индекса {lo:g}–{hi:g}; {self.r2_kind} = {self.r2:.4f}",
            f"Разброс школ вокруг модели: {self.dispersion_kind} = {self.dispersion:.4g}",
            f"Отметка школы: значимо ({rule}) и существенно (|отклонение| ≥ {self.min_effect:g} в единицах индекса).",
        ]

    def summary(self) -> str:
        """The statsmodels summary with what was fitted and our cautions (written to ``model.txt``).

        The fit's date and time are blanked: same inputs give the same file.
        """
        return _summary_text(self.fit, self.warnings, self.header())

    def flagged(self, kind: str) -> pd.DataFrame:
        """Schools classified as ``kind`` (RESILIENT or BELOW), largest residual first."""
        d = self.predictions[self.predictions["resilience"] == kind]
        return d.reindex(d["residual"].abs().sort_values(ascending=False).index)

    def expected(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected values on the index's scale for the schools of ``frame`` (e.g. left-out ones)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if getattr(self.fit.model, "formula", None) is None:  # fitted on patsy's arrays
                design = self._design_info or dmatrix(
                    self.formula.split("~", 1)[1], self.model_frame, eval_env=EvalEnvironment([formula_env()]),
                    NA_action="drop").design_info
                X = np.asarray(build_design_matrices([design], frame, NA_action="raise")[0])
                mean = np.asarray(self.fit.model.predict(np.asarray(self.fit.params), X), dtype=float)
            else:
                mean = np.asarray(self.fit.predict(frame), dtype=float)
        assert self._back is not None, "set by fit_quality_model"
        return self._back(mean)


# ---------------------------------------------------------------- dispersion

def _winsor_consistency(q: float) -> float:
    """E[w(Z)²] for a standard normal Z winsorised at its q and 1 − q quantiles."""
    z = stats.norm.ppf(1 - q)
    return 2 * ((stats.norm.cdf(z) - 0.5) - z * stats.norm.pdf(z)) + 2 * q * z * z


def _winsorised_sum_of_squares(z: np.ndarray, q: float) -> float:
    """Σ z² with z winsorised at its q, 1 − q quantiles, made consistent for the normal
    (divided by E[w(Z)²]); plain Σ z² when q is 0 or fewer than 10 values."""
    if q <= 0 or len(z) < 10:
        return float(np.sum(z * z))
    lo, hi = np.quantile(z, [q, 1 - q])
    w = np.clip(z, lo, hi)
    return float(np.sum(w * w) / _winsor_consistency(q))


def _moment_dispersion(y, mu, n, n_params: int, q: float = 0.0) -> float:
    """Method-of-moments dispersion of schools around the model (Williams 1982).

    With cohort sizes, z = (y − μ)/√(μ(1−μ)/n) has E z² = 1 + (n − 1)ρ, so
    ρ = (Σz²·N/(N − p) − N) / Σ(n − 1) (large cohorts carry the information about ρ).
    Without them (n NaN), r = (y − μ)/√(μ(1−μ)) and the factor is E r² (the variance of a
    value relative to μ(1−μ)). ``q`` winsorises the z (or r) first.
    """
    v0 = mu * (1 - mu)
    N = len(y)
    dof = N / max(N - n_params, 1)
    known = np.isfinite(n) & (n >= 1)
    if known.all():
        # μ of exactly 0 or 1 (perfect separation, reported as a note) makes z 0/0: the dispersion
        # is then undefined (NaN) and no school is singled out, without numpy's warning on stderr
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (y - mu) / np.sqrt(v0 / n)
        rho = (_winsorised_sum_of_squares(z, q) * dof - N) / max(float(np.sum(n - 1)), 1.0)
    else:
        r = (y - mu) / np.sqrt(v0)
        inv = np.where(known, 1.0 / np.where(known, n, 1.0), 0.0)
        if q > 0 and N >= 10:
            lo, hi = np.quantile(r, [q, 1 - q])
            r2 = np.clip(r, lo, hi) ** 2 / _winsor_consistency(q)
        else:
            r2 = r * r
        rho = (np.sum(r2) * dof - np.sum(inv)) / max(float(np.sum(1 - inv)), 1e-9)
    return float(np.clip(rho, 1e-8 if not known.any() else 0.0, 0.999))


def _robust_dispersion(estimate, predict, significant, n_schools: int, q: float):
    """The dispersion estimated from the schools the model does not single out.

    Start from the winsorised moment estimate; then, until the set is stable (at most 10
    rounds), leave out the schools the labelling rule finds significant and estimate
    again from the rest. Strong planted effects otherwise inflate the yardstick they are
    measured with (Jones, Ohlssen & Spiegelhalter 2008; at most a quarter of the schools
    is left out).

    Returns (dispersion, predictive summary at it, mask of schools left out).
    """
    disp = estimate(np.ones(n_schools, bool), q)
    out = np.zeros(n_schools, bool)
    pred = predict(disp)
    for _ in range(10):
        flag = significant(pred)
        if flag.sum() > n_schools // 4:  # keep the most extreme quarter at most
            order = np.argsort(pred["p_value"], kind="stable")[: n_schools // 4]
            flag = np.zeros(n_schools, bool)
            flag[order] = True
        if (flag == out).all():
            break
        out = flag
        disp = estimate(~out, 0.0)
        pred = predict(disp)
    return disp, pred, out


# ---------------------------------------------------------------- fitting

def _complete_rows(data: pd.DataFrame, info: FormulaInfo, spec: Specification, params: dict,
                   ncol: str) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    missing = [v for v in info.variables if v not in data.columns]
    if missing:
        raise ParameterError(f"спецификация «{spec.name}»: в таблице нет столбцов {', '.join(missing)}; есть: "
                             f"{', '.join(map(str, data.columns))}.")
    ok = data[info.variables].notna().all(axis=1)
    lo, hi = index_range(info.outcome, params)
    y = pd.to_numeric(data[info.outcome], errors="coerce")
    outside = ok & ~y.between(lo, hi)
    if outside.any():
        notes.append(f"школы с индексом вне шкалы {lo:g}–{hi:g} не вошли в модель: {int(outside.sum())}")
        ok &= ~outside
    need_n = spec.weights == "participants" or spec.family == "binomial_counts"
    if need_n:
        n = pd.to_numeric(data[ncol], errors="coerce") if ncol in data.columns else pd.Series(np.nan, index=data.index)
        no_n = ok & ~(n > 0)
        if no_n.any():
            notes.append("школы без числа участников (оно нужно для "
                         + ("весов" if spec.weights == "participants" else "семейства binomial_counts")
                         + f") не вошли в модель: {int(no_n.sum())}")
            ok &= ~no_n
    keep = list(dict.fromkeys(["school_id", *info.variables, *([ncol] if ncol in data.columns else [])]))
    return data.loc[ok.to_numpy(), keep].reset_index(drop=True), notes  # only what the model reads


@dataclass(frozen=True)
class _BackTransform:
    """From the model's scale to the index's (a plain object, so results can be pickled):
    0–1 rescaled to [lo, hi] (GLM families), the left-hand side's transformation undone by
    interpolation (``ys`` → ``xs``), or the identity cut at the scale's edges (OLS)."""

    lo: float
    hi: float
    ys: np.ndarray | None = None
    xs: np.ndarray | None = None
    rescale: bool = False

    def __call__(self, v) -> np.ndarray:
        v = np.asarray(v, float)
        if self.rescale:
            return self.lo + (self.hi - self.lo) * v
        if self.ys is not None and self.xs is not None:
            return np.asarray(np.interp(v, self.ys, self.xs))
        return np.clip(v, self.lo, self.hi)


def _transform(info: FormulaInfo, lo: float, hi: float):
    """The left-hand side's transformation g and its inverse on the scale [lo, hi] (OLS only)."""
    if not info.transformed:
        return (lambda v: np.asarray(v, float)), _BackTransform(lo, hi)
    env = formula_env()

    def g(v):
        with np.errstate(all="ignore"):
            return np.asarray(eval(info.lhs, {"__builtins__": {}}, {**env, info.outcome: np.asarray(v, float)}),  # noqa: S307
                              dtype=float)

    grid = np.linspace(lo, hi, 4001)
    try:
        vals = g(grid)
    except Exception:  # the transformation uses something other than the outcome
        raise ParameterError(f"левая часть формулы «{info.lhs}» должна зависеть только от {info.outcome}.") from None
    fin = np.isfinite(vals)
    d = np.diff(vals[fin])
    # monotone (flat stretches allowed: logit's clipping at the ends) with enough distinct values
    if (d != 0).sum() < 100 or not ((d >= 0).all() or (d <= 0).all()):
        raise ParameterError(f"преобразование «{info.lhs}» не монотонно или не определено на шкале индекса "
                             f"{lo:g}–{hi:g}: интервал нельзя пересчитать обратно в шкалу индекса.")
    xs, ys = grid[fin], vals[fin]
    if d[d != 0][0] < 0:
        xs, ys = xs[::-1], ys[::-1]
    keep = np.concatenate([[True], np.diff(ys) > 0])  # strictly increasing points for interpolation
    xs, ys = xs[keep], ys[keep]
    return g, _BackTransform(lo, hi, ys, xs)


def _fit_glm_or_ols(model, family: str) -> tuple[Any, list[str]]:
    """Fit the quality model, recording what statsmodels warns about.

    OLS has a closed form. A GLM is fitted by IRLS; when IRLS reports no convergence it is
    refitted with more iterations, then by Newton's method, and the first converged fit is
    taken; when none converges the first one is returned with a note saying so.
    """
    if family == "ols":
        fit, caught = _recorded(lambda: model.fit(cov_type="HC3"))
        return fit, _warning_notes(caught)
    kw: dict[str, Any] = {"scale": "X2"} if family == "binomial_counts" else {"cov_type": "HC0"}
    attempts: list[dict[str, Any]] = [{}, {"maxiter": 1000}, {"method": "newton", "maxiter": 1000}]
    done: tuple[Any, list[warnings.WarningMessage]] | None = None
    for extra in attempts:
        try:
            fit, caught = _recorded(lambda: model.fit(**kw, **extra))
        except (np.linalg.LinAlgError, ValueError):
            if done is None and extra is attempts[-1]:
                raise
            continue
        if done is None or not _not_converged(fit, caught):
            done = fit, caught
        if not _not_converged(fit, caught):
            break
    assert done is not None  # the last attempt raises otherwise
    fit, caught = done
    notes = _warning_notes(caught)
    if _not_converged(fit, caught):
        notes.insert(0, NOTE_NOT_CONVERGED + " (IRLS и метод Ньютона)")
    return fit, notes


def fit_quality_model(data: pd.DataFrame, params: dict,
                      spec: dict | Specification | None = None, *, _designs: dict | None = None
                      ) -> QualityModelResults | None:
    """Fit one specification of quality against context and label every school.

    Parameters
    ----------
    data : DataFrame
        The model frame (:func:`shnor_lib.analysis.model_frame.build_model_frame`, or
        ``SeasonResult.model_frame``): one row per school with ``school_id`` and the
        formula's columns; ``quality_n`` (or ``<index>_n``) gives each school's cohort.
    params : dict
        Uses ``model`` (formula, family, weights, alpha, multiple_testing, fdr,
        min_effect, dispersion_winsor, small_sample) and ``quality.index``.
    spec : dict or Specification, optional
        Overrides of ``name``, ``formula``, ``family``, ``weights`` (a robustness
        specification); default: the ``model`` parameters.

    Returns
    -------
    QualityModelResults or None
        None when fewer complete rows exist than the design's columns + 2.

    Raises
    ------
    ParameterError
        An unknown term, a transformed outcome with a GLM family, ``binomial_counts`` on
        a mean mark.
    """
    spec = specification(params, spec)
    p = params["model"]
    info = check_specification(spec, params, "model" if spec.name == MAIN_NAME else f"model.specifications: {spec.name}",
                               columns=data.columns)
    ncol = size_column(info.outcome)
    complete, notes = _complete_rows(data, info, spec, params, ncol)
    lo, hi = index_range(info.outcome, params)
    mean_mark = index_kind(info.outcome, params) == "mean_mark"
    alpha = float(p["alpha"])

    def build(rows: pd.DataFrame):
        n_ = (pd.to_numeric(rows[ncol], errors="coerce").to_numpy(float) if ncol in rows.columns
              else np.full(len(rows), np.nan))
        if _designs is not None:  # a robustness specification: patsy once per formula and schools
            return _array_model(rows, n_), n_
        work = rows[info.variables].copy()  # only what the formula reads: patsy's cost grows with columns
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if spec.family == "ols":
                if spec.weights == "participants":
                    return WLS.from_formula(spec.formula, data=work, weights=n_, eval_env=_eval_env(), missing="none"), n_
                return OLS.from_formula(spec.formula, data=work, eval_env=_eval_env(), missing="none"), n_
            work[info.outcome] = (work[info.outcome].to_numpy(float) - lo) / (hi - lo)
            kw = {"var_weights": n_} if (spec.weights == "participants" or spec.family == "binomial_counts") else {}
            return GLM.from_formula(spec.formula, data=work, family=Binomial(), eval_env=_eval_env(),
                           missing="none", **kw), n_

    def _array_model(rows: pd.DataFrame, n_: np.ndarray):
        assert _designs is not None  # called only for a robustness specification
        key = (spec.formula, tuple(rows["school_id"].astype(str)))
        if key not in _designs:
            with np.errstate(all="ignore"):
                _designs[key] = dmatrices(spec.formula, rows[info.variables].reset_index(drop=True),
                                          eval_env=EvalEnvironment([formula_env()]),
                                          NA_action=NAAction(NA_types=[]), return_type="dataframe")
        yv, X = _designs[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if spec.family == "ols":
                if spec.weights == "participants":
                    return WLS(yv, X, weights=n_, missing="none")
                return OLS(yv, X, missing="none")
            kw = {"var_weights": n_} if (spec.weights == "participants" or spec.family == "binomial_counts") else {}
            return GLM((yv - lo) / (hi - lo), X, family=Binomial(), missing="none", **kw)

    if complete.empty:
        return None
    try:
        model, n = build(complete)
        finite = np.isfinite(model.exog).all(axis=1) & np.isfinite(model.endog)
    except PatsyError:  # a transformation gave NaN (np.log of a negative number…): find the rows
        finite = None
    if finite is None or not finite.all():
        complete, k, dropped = _finite_design(complete, spec, info)
        if k is None:
            return None
        notes.append("школы с неопределённым значением преобразования (например, логарифм нуля) не вошли в "
                     f"модель: {dropped}")
        if complete.empty:
            return None
        model, n = build(complete)
    k = model.exog.shape[1]
    if len(complete) < k + 2:
        return None
    y = complete[info.outcome].to_numpy(float)
    fit, fit_notes = _fit_glm_or_ols(model, spec.family)
    notes.extend(fit_notes)
    note = _collinearity_note(model.exog, [str(t) for t in (getattr(model, "exog_names", None) or range(k))])
    if note:
        notes.append(note)
    if not np.all(np.isfinite(fit.params)):
        notes.append("модель не оценилась (бесконечные коэффициенты)")
        return None
    _picklable(fit)
    ci = fit.conf_int(alpha)
    coefs = pd.DataFrame({
        "term": fit.params.index, "coef": fit.params.values, "se": fit.bse.values,
        "ci_low": ci[0].values, "ci_high": ci[1].values, "p_value": fit.pvalues.values,
    })
    X = np.asarray(fit.model.exog, float)
    V = np.asarray(fit.cov_params(), float)
    lin = X @ np.asarray(fit.params, float)
    se_lin = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", X, V, X), 0.0))
    if spec.family == "ols":
        g, g_inv = _transform(info, lo, hi)
        w = n if spec.weights == "participants" else np.ones(len(y))
        sd = np.sqrt(fit.scale / w + se_lin ** 2)
        pred = normal_predictive(np.asarray(fit.model.endog, float), lin, sd, fit.df_resid, alpha)
        expected = g_inv(lin)
        pi_low, pi_high = np.sort(np.vstack([g_inv(pred["low"]), g_inv(pred["high"])]), axis=0)
        dispersion, dkind = float(fit.scale), "σ² (дисперсия остатков" + (" на одного участника)" if spec.weights == "participants" else ")")
        back = g_inv
    else:
        mu = special_expit(lin)
        ys = (y - lo) / (hi - lo)
        nn = np.where(np.isfinite(n) & (n >= 1), n, np.nan)
        counts = not mean_mark and np.isfinite(nn).all()
        if spec.family == "binomial_counts":
            phi = float(fit.scale)
            rho = np.clip((phi - 1) / np.maximum(n - 1, 1), 0.0, 0.999)
            pred = discrete_predictive(np.round(ys * n), n, lin, se_lin, rho, alpha)
            dispersion, dkind = phi, "φ (квазибиномиальный масштаб, χ² Пирсона / степени свободы)"
        else:
            if mean_mark:
                # a mean mark is not a count: its spread is the fractional model's own
                # variance function, μ(1−μ)·σ² (÷ n with weights: participants)
                wts = n if spec.weights == "participants" else np.ones(len(y))
                step = np.where(np.isfinite(nn), 1.0 / (2 * (hi - lo) * np.where(np.isfinite(nn), nn, 1.0)), 0.0)

                def estimate(keep, q):
                    return _moment_dispersion(ys[keep], mu[keep], np.full(keep.sum(), np.nan), k, q)

                def predict(d):
                    return continuous_predictive(ys, lin, se_lin, np.clip(d / wts, 1e-8, 0.999), alpha, half_step=step)

                dkind = "σ² (дисперсия средней отметки = σ²·μ(1−μ)" + ("/n)" if spec.weights == "participants" else ")")
            else:
                def estimate(keep, q):
                    return _moment_dispersion(ys[keep], mu[keep], nn[keep], k, q)

                def predict(d):
                    if counts:
                        return discrete_predictive(np.round(ys * n), n, lin, se_lin, np.full(len(y), d), alpha)
                    return _mixed_predictive(ys, nn, lin, se_lin, d, alpha)

                dkind = ("ρ (внутришкольная корреляция: дисперсия доли μ(1−μ)(ρ + (1−ρ)/n))" if counts else
                         "ρ (внутришкольная корреляция; без числа участников — множитель дисперсии μ(1−μ))")

            def significant(pr):
                return _significant(pr["p_value"], p, alpha)

            dispersion, pred, left_out = _robust_dispersion(estimate, predict, significant, len(y),
                                                            float(p["dispersion_winsor"]))
            if left_out.any():
                dkind += f"; оценён без школ, выделенных моделью ({int(left_out.sum())})"
        expected = lo + (hi - lo) * mu
        pi_low = lo + (hi - lo) * pred["low"]
        pi_high = lo + (hi - lo) * pred["high"]

        back = _BackTransform(lo, hi, rescale=True)
    pi_low = np.clip(pi_low, lo, hi)
    pi_high = np.clip(pi_high, lo, hi)
    out = pd.DataFrame({
        "school_id": complete["school_id"].astype(str).values,
        "observed": y,
        "predicted": expected,
        "pi_low": pi_low,
        "pi_high": pi_high,
    })
    out["residual"] = out["observed"] - out["predicted"]
    out["z_score"] = pred["z"]
    out["p_value"] = pred["p_value"]
    out["p_adjusted"] = _adjusted(out["p_value"].to_numpy(), p)
    significant = pd.Series(_significant(out["p_value"].to_numpy(), p, alpha), index=out.index)
    min_effect = min_effect_for(params, info.outcome)
    big = out["residual"].abs() >= min_effect - 1e-12
    if spec.family == "ols" and spec.weights == "none" and not mean_mark and np.isfinite(n).any():
        # The linear model's interval ignores the cohort: also require the school's own
        # Wilson interval to exclude the expected value, so small cohorts are not labelled on noise.
        share = (n > 0) & np.isfinite(n)
        wl, wh = wilson_interval(np.where(share, y * n, np.nan), np.where(share, n, np.nan), 1 - alpha)
        e = out["predicted"].to_numpy()
        significant &= ~(share & (wl <= e) & (e <= wh))
    out["resilience"] = np.select([significant & big & (out["residual"] > 0), significant & big & (out["residual"] < 0)],
                                  [RESILIENT, BELOW], WITHIN)
    if len(complete) < p["small_sample"]:
        notes.append(f"малая выборка: {_schools_n(len(complete))} (< {p['small_sample']}) — оценки неустойчивы, "
                     "интервалы широкие, выводы предварительные")
    if len(complete) < len(data):
        notes.append(f"в модель вошли {len(complete)} из {_schools_n(len(data), genitive=True)} (у остальных нет "
                     "данных для всех переменных)")
    if spec.family == "ols":
        r2, r2_kind = float(fit.rsquared), "R²"
    else:
        r2 = float(np.corrcoef(out["observed"], out["predicted"])[0, 1] ** 2) if out["predicted"].std() > 0 else 0.0
        r2_kind = "псевдо-R² (квадрат корреляции наблюдаемых и ожидаемых значений)"
    frame = data if isinstance(data.index, pd.RangeIndex) and data.index.start == 0 else data.reset_index(drop=True)
    return QualityModelResults(
        spec.formula, fit, coefs, out, int(fit.nobs), r2, alpha, min_effect, notes, family=spec.family,
        weights=spec.weights, name=spec.name, outcome=info.outcome, r2_kind=r2_kind, dispersion=float(dispersion),
        dispersion_kind=dkind, multiple_testing=p["multiple_testing"], fdr=float(p["fdr"]), index_range=(lo, hi),
        model_frame=frame, _back=back,
        _design_info=None if getattr(fit.model, "formula", None) else getattr(fit.model.data, "design_info", None)
        or _designs_info(model))


def _adjusted(p_values: np.ndarray, p: dict) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (``multiple_testing: bh``) or the p-values themselves."""
    if p["multiple_testing"] != "bh" or len(p_values) == 0:
        return np.asarray(p_values, float)
    return multipletests(np.asarray(p_values, float), method="fdr_bh")[1]


def _significant(p_values: np.ndarray, p: dict, alpha: float) -> np.ndarray:
    """The significance half of the labelling rule."""
    if p["multiple_testing"] == "bh":
        return _adjusted(p_values, p) <= float(p["fdr"])
    return np.asarray(p_values, float) < alpha


def special_expit(x: ArrayLike) -> np.ndarray:
    return expit(x)


def _designs_info(model):
    """The patsy design of a model fitted on patsy's arrays (its exog DataFrame keeps it)."""
    orig = getattr(model.data, "orig_exog", None)
    return getattr(orig, "design_info", None)


def _finite_design(complete: pd.DataFrame, spec: Specification, info: FormulaInfo):
    """Rows whose design (and left-hand side) patsy evaluates to finite numbers; the number of
    design columns (None when patsy cannot build it on these rows) and of rows dropped."""
    if complete.empty:
        return complete, None, 0
    try:
        with np.errstate(all="ignore"):
            yv, X = dmatrices(spec.formula, complete, eval_env=EvalEnvironment([formula_env()]),
                              NA_action=NAAction(NA_types=[]))
    except PatsyError:
        return complete, None, 0
    ok = np.isfinite(np.asarray(X)).all(axis=1) & np.isfinite(np.asarray(yv)).all(axis=1)
    return complete[ok].reset_index(drop=True), X.shape[1], int((~ok).sum())


def _mixed_predictive(ys, n, lin, se, rho, alpha):
    """Schools with a cohort size get the beta-binomial, the others the beta (variance ρ·μ(1−μ))."""
    m = len(ys)
    out = {key: np.full(m, np.nan) for key in ("low", "high", "p_value", "z")}
    has = np.isfinite(n) & (n >= 1)
    if has.any():
        d = discrete_predictive(np.round(ys[has] * n[has]), n[has], lin[has], se[has], np.full(has.sum(), rho), alpha)
        for key in out:
            out[key][has] = d[key]
    if (~has).any():
        c = continuous_predictive(ys[~has], lin[~has], se[~has], np.full((~has).sum(), max(rho, 1e-8)), alpha)
        for key in out:
            out[key][~has] = c[key]
    return out


# ---------------------------------------------------------------- school effects across years

@dataclass
class SchoolEffects:
    """Random-intercept model: shrunken school effects with intervals (supporting evidence).

    ``effects``: school_key, effect, se, low, high, n_obs, label — the label is
    EFFECT_ABOVE / EFFECT_BELOW when the interval excludes 0 and |effect| ≥ min_effect,
    else EFFECT_NONE. It says whether a school differs *persistently* over the loaded
    years; the season's one label is ``resilience`` of :class:`QualityModelResults`.
    """

    formula: str
    fit: Any  # statsmodels' MixedLMResults; statsmodels ships no type information
    effects: pd.DataFrame
    group_var: float
    resid_var: float
    n_groups: int
    n_obs: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The statsmodels summary with our cautions appended (the second part of ``model.txt``)."""
        return _summary_text(self.fit, self.warnings)


#: MixedLM optimisers, tried in this order until one converges.
MIXED_OPTIMISERS = ("lbfgs", "powell", "nm")

#: Share of the school variance in the total (ICC) below which the group variance is reported
#: as estimated at its boundary, zero. statsmodels' own «boundary» warning fires at an absolute
#: variance below 0.01, which every index on a 0–1 scale meets, so it is not used.
MIXED_BOUNDARY_ICC = 1e-3


def fit_school_effects(panel: pd.DataFrame, params: dict) -> SchoolEffects | None:
    """MixedLM with a random intercept per school over several years/municipalities.

    A linear model of the main formula's outcome (the index in its own units, so the
    effect compares with ``min_effect``): the school's persistent deviation from the
    expected, shrunk towards 0 by its number of years.

    Parameters
    ----------
    panel : DataFrame
        One row per school × year (× municipality): ``school_key`` (unique school
        identifier across municipalities), the formula's variables.
    params : dict
        ``model.formula``, ``model.alpha``, ``model.min_effect``.

    Returns
    -------
    SchoolEffects or None
        None when fewer than 2 observations per school on average or too few schools.
    """
    p = params["model"]
    info = formula_info(p["formula"], "model.formula", panel.columns)
    # the index itself on the left (a transformed outcome would put the effect in other units
    # than min_effect)
    formula = f"{info.outcome} ~ {p['formula'].split('~', 1)[1].strip()}"
    variables = [v for v in info.variables if v in panel.columns]
    data = panel.dropna(subset=variables).reset_index(drop=True)
    n_groups = data["school_key"].nunique()
    if n_groups < 5 or len(data) < 1.5 * n_groups:
        return None
    try:
        model = MixedLM.from_formula(formula, data=data, groups=data["school_key"], eval_env=_eval_env())
    except (PatsyError, ValueError, np.linalg.LinAlgError):  # a design patsy cannot build on these rows (one level of a factor)
        return None
    # Optimisers fail differently near a zero group variance: try the robust ones in turn and
    # take the first that converges (by its own report and statsmodels' warnings).
    fits: list[tuple[str, Any, list[warnings.WarningMessage]]] = []
    for method in MIXED_OPTIMISERS:
        try:
            fit, caught = _recorded(lambda: model.fit(reml=True, method=method))
        except (np.linalg.LinAlgError, ValueError):
            continue
        fits.append((method, fit, caught))
        if not _not_converged(fit, caught):
            break
    if not fits:
        return None
    ok = [f for f in fits if not _not_converged(f[1], f[2])]
    # none converged: the one with the highest restricted likelihood, said so below
    method, fit, caught = ok[0] if ok else max(fits, key=lambda f: f[1].llf if np.isfinite(f[1].llf) else -np.inf)
    _picklable(fit)
    re_ = fit.random_effects
    re_cov = fit.random_effects_cov
    z = stats.norm.ppf(1 - p["alpha"] / 2)
    rows = []
    counts = data.groupby("school_key").size()
    for key in sorted(re_):
        eff = float(np.asarray(re_[key]).ravel()[0])
        var = float(np.asarray(re_cov[key]).ravel()[0])
        se = float(np.sqrt(max(var, 0.0)))
        rows.append({"school_key": key, "effect": eff, "se": se, "low": eff - z * se, "high": eff + z * se,
                     "n_obs": int(counts[key])})
    eff = pd.DataFrame(rows)
    big = eff["effect"].abs() >= min_effect_for(params, info.outcome)
    eff["label"] = np.select([(eff["low"] > 0) & big, (eff["high"] < 0) & big], [EFFECT_ABOVE, EFFECT_BELOW],
                             EFFECT_NONE)
    group_var = float(np.asarray(fit.cov_re).ravel()[0])
    notes = []
    if not ok:
        notes.append("модель со случайными эффектами не сошлась ни одним из методов оптимизации ("
                     + ", ".join(f[0] for f in fits) + "): эффекты школ приблизительные")
    elif method != fits[0][0]:
        notes.append(f"модель со случайными эффектами: метод оптимизации {fits[0][0]} не сошёлся, "
                     f"принят результат метода {method}")
    icc = group_var / (group_var + float(fit.scale)) if group_var + float(fit.scale) > 0 else 0.0
    if group_var < 1e-10 or icc < MIXED_BOUNDARY_ICC:
        notes.append("дисперсия школьных эффектов оценена как нулевая (на границе допустимых значений, доля "
                     f"межшкольной дисперсии {icc:.1e}): различия школ не выделяются из шума, эффекты школ "
                     "сжаты к нулю")
    notes.extend(_warning_notes(caught))
    return SchoolEffects(formula, fit, eff, group_var, float(fit.scale), n_groups, len(data), notes)
