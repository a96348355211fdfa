"""Robustness of the labels across specifications of the quality model.

A label that holds only under one formula, family or weighting is weak evidence.
:func:`compare_specifications` fits the main model and every alternative
(``model.specifications``: outcome, covariates, family, weights), and returns a
:class:`SpecificationComparison`: fit statistics per specification and, per school, the
label under each specification with the agreement score «k из m» (k specifications give
the main model's label, m could label the school). A flag that holds in fewer than half
of them is *fragile*. ``shnor compute`` writes the school table as ``robustness.csv``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from patsy import PatsyError
from scipy import stats

from ..errors import ParameterError
from ..io.writers import write_csv
from .model_frame import formula_info, size_column
from .models import (
    BELOW,
    MAIN_NAME,
    RESILIENT,
    QualityModelResults,
    Specification,
    _complete_rows,
    fit_quality_model,
    specification,
)

__all__ = ["SpecificationComparison", "compare_specifications", "specifications_from_params",
           "ROBUSTNESS_COLUMNS"]

ROBUSTNESS_COLUMNS = ["school_id", "resilience", "robust_k", "robust_m", "agreement", "fragile"]


def specifications_from_params(params: dict) -> list[Specification]:
    """The main model (named «основная») followed by ``model.specifications``."""
    return [specification(params)] + [specification(params, s) for s in params["model"].get("specifications") or []]


@dataclass
class SpecificationComparison:
    """The main model and its alternatives, fitted to the same model frame.

    Attributes
    ----------
    specifications : list of Specification
        The main model first.
    fits : dict
        Name → :class:`~shnor_lib.analysis.models.QualityModelResults` (None when the
        specification could not be fitted; ``table.note`` says why).
    table : DataFrame
        One row per specification:

        - ``name``, ``formula``, ``family``, ``weights``
        - ``n`` — schools in the model
        - ``aic``, ``bic`` — OLS: Gaussian likelihood; binomial_counts: QAIC/QBIC (binomial
          log-likelihood over φ); fractional_logit: NaN (a quasi-likelihood has no AIC).
          Compare them only between rows with the same ``ic_group`` (same family,
          left-hand side and schools)
        - ``ic_group``
        - ``r2``, ``r2_kind`` — R² (OLS) or the squared correlation of observed and
          expected values (GLM families)
        - ``cv``, ``cv_rmse``, ``cv_mae`` — cross-validated error of the expected value on
          the index's scale (``loo`` or ``k-fold``; NaN without ``cv``)
        - ``resilient``, ``below`` — schools labelled
        - ``note`` — why a specification was not fitted
    labels : DataFrame
        ``school_id`` and one column per specification name with the school's label
        ("" when the school is not in that model).
    agreement : DataFrame
        ``school_id``, ``resilience`` (the main model's label), ``robust_k`` (specifications
        that give the same label), ``robust_m`` (specifications that label the school),
        ``agreement`` («k из m»), ``fragile`` (a RESILIENT/BELOW label that holds in fewer
        than half of them).
    """

    specifications: list[Specification]
    fits: dict[str, QualityModelResults | None]
    table: pd.DataFrame
    labels: pd.DataFrame
    agreement: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def main(self) -> QualityModelResults | None:
        return self.fits.get(self.specifications[0].name)

    def robustness_table(self) -> pd.DataFrame:
        """What ``robustness.csv`` holds: the agreement columns, then one column per specification."""
        return self.agreement.merge(self.labels, on="school_id", how="left")

    def write(self, folder: str | Path, frame: pd.DataFrame | None = None) -> list[Path]:
        """Write ``specifications.csv`` (the table), ``robustness.csv`` and, given the frame,
        ``model_frame.csv`` into ``folder`` (created); Excel-safe like ``shnor compute``'s.

        Returns the paths written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"specifications.csv": self.table, "robustness.csv": self.robustness_table()}
        if frame is not None:
            tables["model_frame.csv"] = frame
        written = []
        for name, table in tables.items():
            written.append(write_csv(table, folder / name))
        return written

    def summary(self) -> str:
        """The comparison as text (the last part of ``model.txt``)."""
        t = self.table
        lines = ["Сравнение спецификаций (устойчивость отметок; robustness.csv)"]
        for r in t.itertuples():
            what = f"{r.formula} [{r.family}" + (", веса — участники]" if r.weights == "participants" else "]")
            if r.n == 0 or pd.isna(r.n):
                lines.append(f"- {r.name}: {what} — не построена: {r.note}")
                continue
            ic = "" if pd.isna(r.aic) else f"; AIC {r.aic:.2f}, BIC {r.bic:.2f} (группа сравнения: {r.ic_group})"
            cv = "" if pd.isna(r.cv_rmse) else f"; {r.cv}: RMSE {r.cv_rmse:.4f}, MAE {r.cv_mae:.4f}"
            lines.append(f"- {r.name}: {what} — школ в модели: {int(r.n)}, "
                         f"R² {r.r2:.3f}{ic}{cv}; резильентных {int(r.resilient)}, ниже ожидаемого {int(r.below)}")
        flagged = self.agreement[self.agreement["resilience"].isin([RESILIENT, BELOW])]
        for r in flagged.itertuples():
            lines.append(f"  школа {r.school_id}: {r.resilience}, признана в {r.agreement} спецификаций"
                         + (" — неустойчивая отметка" if r.fragile else ""))
        return "\n".join(lines)


def _log_lik_binomial(res: QualityModelResults) -> float:
    """Binomial log-likelihood of the counts (successes rounded to whole pupils)."""
    lo, hi = res.index_range
    y = (res.predictions["observed"].to_numpy(float) - lo) / (hi - lo)
    mu = (res.predictions["predicted"].to_numpy(float) - lo) / (hi - lo)
    n = np.asarray(res.fit.model.var_weights, float)
    return float(stats.binom.logpmf(np.round(y * n), n, np.clip(mu, 1e-12, 1 - 1e-12)).sum())


def _information(res: QualityModelResults, rows: str) -> tuple[float, float, str]:
    k = len(res.fit.params)
    group = f"{res.family}: {res.fit.model.endog_names}; {rows}"
    if res.family == "ols":
        return float(res.fit.aic), float(res.fit.bic), group
    if res.family == "binomial_counts":
        phi = max(float(res.dispersion), 1.0)
        ll = _log_lik_binomial(res)
        # the scale φ is one more estimated parameter (Burnham & Anderson's QAIC)
        return -2 * ll / phi + 2 * (k + 1), -2 * ll / phi + np.log(res.n) * (k + 1), group
    return np.nan, np.nan, group


def _folds(n: int, cv) -> list[np.ndarray]:
    if cv == "loo":
        return [np.array([i]) for i in range(n)]
    k = int(cv)
    order = np.random.default_rng(20240901).permutation(n)  # fixed: the same folds every run
    return [order[i::k] for i in range(k)]


def _cross_validate(frame: pd.DataFrame, res: QualityModelResults, spec: Specification, params: dict,
                    cv) -> tuple[float, float]:
    """Error of the expected value for schools left out of the fit (index's scale)."""
    ids = res.predictions["school_id"].astype(str).to_numpy()
    rows = frame[frame["school_id"].astype(str).isin(set(ids))].reset_index(drop=True)
    observed = rows[res.outcome].to_numpy(float)
    errors = np.full(len(rows), np.nan)
    for test in _folds(len(rows), cv):
        train = rows.drop(index=test)
        try:
            fit = fit_quality_model(train, params, spec)
        except (ParameterError, ValueError, np.linalg.LinAlgError):
            fit = None
        if fit is None:
            continue
        try:
            errors[test] = observed[test] - fit.expected(rows.iloc[test])
        except (PatsyError, ValueError):  # a level of a factor unseen in training: no prediction for it
            continue
    ok = np.isfinite(errors)
    if not ok.any():
        return np.nan, np.nan
    return float(np.sqrt(np.mean(errors[ok] ** 2))), float(np.mean(np.abs(errors[ok])))


def _agreement(labels: pd.DataFrame, spec_cols: list[str]) -> pd.DataFrame:
    """Per school: the main label (first column), how many specifications give it (k) and
    label the school at all (m), «k из m», and fragile = a flag held by fewer than half."""
    main_label = labels[spec_cols[0]]
    has = labels[spec_cols].ne("")
    same = labels[spec_cols].eq(main_label, axis=0) & has
    k = same.sum(axis=1).where(main_label.ne(""))
    m = has.sum(axis=1).where(main_label.ne(""))
    flagged = main_label.isin([RESILIENT, BELOW])
    return pd.DataFrame({
        "school_id": labels["school_id"].values,
        "resilience": main_label.values,
        "robust_k": k.astype("Int64").values,
        "robust_m": m.astype("Int64").values,
        "agreement": [f"{int(a)} из {int(b)}" if pd.notna(a) else "" for a, b in zip(k, m)],
        "fragile": (flagged & (k < m / 2)).fillna(False).astype(bool).values,
    })


def compare_specifications(frame: pd.DataFrame, specs: Sequence[dict | Specification] | None = None,
                           params: dict | None = None, cv: str | int | None = None,
                           main: QualityModelResults | None = None) -> SpecificationComparison:
    """Fit the main model and its alternatives to one model frame and compare their labels.

    Parameters
    ----------
    frame : DataFrame
        The model frame of one season (``SeasonResult.model_frame``).
    specs : list of dict or Specification, optional
        The specifications, main model first (dicts take ``name``, ``formula``,
        ``family``, ``weights``; missing keys are the main model's). Default: the main
        model and ``model.specifications`` from ``params``. When the first one is not
        named «основная», the main model of ``params`` is put in front.
    params : dict
        From :func:`shnor_lib.load_params`.
    cv : None, "loo" or int
        Cross-validation of each specification's expected values: leave-one-out, or
        k-fold with fixed folds. None (what ``shnor compute`` uses) skips it.
    main : QualityModelResults, optional
        The main model already fitted (saves fitting it again).

    Returns
    -------
    SpecificationComparison

    Examples
    --------
    >>> cmp = compare_specifications(res.model_frame, params=params, cv="loo")  # doctest: +SKIP
    >>> cmp.table[["name", "aic", "r2", "cv_rmse"]]; cmp.robustness_table()  # doctest: +SKIP
    """
    if params is None:
        raise ValueError("params are required (shnor_lib.load_params())")
    if specs is None:
        chosen = specifications_from_params(params)
    else:
        chosen = [specification(params, s) for s in specs]
        if not chosen or chosen[0].name != MAIN_NAME:
            chosen = [specification(params)] + chosen
    seen = set()
    for s in chosen:
        if s.name in seen:
            raise ParameterError(f"спецификации: название «{s.name}» повторяется.")
        seen.add(s.name)
        # a typo in a formula stops here; a specification that does not apply to these
        # data (no such data this season, a family not for this index) is only noted below
        formula_info(s.formula, f"спецификация «{s.name}»", frame.columns)
    fits: dict[str, QualityModelResults | None] = {}
    designs: dict = {}  # patsy matrices shared by the specifications with the same formula and schools
    rows = []
    ids = frame["school_id"].astype(str).tolist()
    labels = pd.DataFrame({"school_id": ids})
    for i, spec in enumerate(chosen):
        note = ""
        try:
            if i == 0:
                res = main if main is not None else fit_quality_model(frame, params, spec)
            else:
                res = fit_quality_model(frame, params, spec, _designs=designs)
        except ParameterError as exc:
            if i == 0:
                raise
            res, note = None, str(exc)
        if res is None and not note:
            info = formula_info(spec.formula, spec.name, frame.columns)
            usable, why = _complete_rows(frame, info, spec, params, size_column(info.outcome))
            note = (f"мало школ с данными для всех переменных формулы ({len(usable)})"
                    + (": " + "; ".join(why) if why else ""))
        fits[spec.name] = res
        row = {"name": spec.name, "formula": spec.formula, "family": spec.family, "weights": spec.weights,
               "n": 0, "aic": np.nan, "bic": np.nan, "ic_group": "", "r2": np.nan, "r2_kind": "",
               "cv": "" if cv is None else ("loo" if cv == "loo" else f"{int(cv)}-fold"),
               "cv_rmse": np.nan, "cv_mae": np.nan, "resilient": 0, "below": 0, "note": note}
        col = pd.Series("", index=labels.index, dtype=object)
        if res is not None:
            pred = res.predictions
            rows_key = ",".join(sorted(pred["school_id"].astype(str)))
            digest = hashlib.sha256(rows_key.encode("utf-8")).hexdigest()[:6]  # same schools ⇔ same digest
            aic, bic, group = _information(res, f"набор школ #{digest} ({res.n})")
            row.update(n=res.n, aic=aic, bic=bic, ic_group=group, r2=res.r2, r2_kind=res.r2_kind,
                       resilient=int((pred["resilience"] == RESILIENT).sum()),
                       below=int((pred["resilience"] == BELOW).sum()))
            if cv is not None:
                row["cv_rmse"], row["cv_mae"] = _cross_validate(frame, res, spec, params, cv)
            col = labels["school_id"].map(dict(zip(pred["school_id"].astype(str), pred["resilience"]))).fillna("")
        labels[spec.name] = col.astype(object).values
        rows.append(row)
    table = pd.DataFrame(rows)
    agreement = _agreement(labels, [s.name for s in chosen])
    notes = [f"спецификация «{r['name']}» не построена: {r['note']}" for r in rows if r["n"] == 0 and r["note"]]
    return SpecificationComparison(chosen, fits, table, labels, agreement, notes)
