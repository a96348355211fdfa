"""shnor — identification and support of schools with low results (ШНОР) and in
unfavourable social conditions (ШНСУ): data contract, rules, indices, models, reports.

The public API follows the pipeline a researcher walks through in a notebook
(``notebooks/research_template.ipynb`` does exactly this)::

    import shnor_lib as sh
    data = sh.load_dataset("data_raw", municipality="demo")   # read + validate
    params = sh.load_params("demo", overrides={"model": {"family": "fractional_logit"}})
    res = sh.compute_season(data, "demo", 2024, params)       # rules, indices, model
    res.schools; res.model.summary(); res.model_frame          # every column a formula may use
    res.support.recommendations; res.support.fail_changes       # indicators, risks, dynamics, leaders
    cmp = sh.compare_specifications(res.model_frame, [{"name": "МНК", "family": "ols"}], params, cv="loo")
    cmp.table; cmp.robustness_table()

Step by step, one season: ``read_season`` → ``validate_season`` → ``pooled_metrics``
(→ ``compute_quality_index``, ``compute_isbsh``).
"""

from .analysis.indices import (
    band_group,
    compute_isbsh,
    compute_iursh,
    compute_quality_index,
    identifier_table,
    quartile_group,
    social_shares,
    teacher_shares,
)
from .analysis.metrics import grade_metrics, pooled_metrics, wilson_interval
from .analysis.model_frame import MODEL_FRAME_COLUMNS, build_model_frame, formula_info, quality_outcomes
from .analysis.models import (
    FAMILIES,
    QualityModelResults,
    SchoolEffects,
    Specification,
    fit_quality_model,
    fit_school_effects,
    min_effect_for,
)
from .analysis.robustness import SpecificationComparison, compare_specifications
from .analysis.rules import identify, objectivity_flags, triggered_procedures
from .analysis.simulation import label_rates, simulate_frame
from .config.params import load_params, validate_params
from .contract.schema import CONTRACT, contract_markdown
from .contract.validate import Season, validate_season
from .errors import DataValidationError, ParameterError, Problem, ShnorError
from .io.readers import read_season
from .pipeline import Dataset, SeasonResult, SupportResult, compute_all, compute_season, load_dataset, write_outputs

__version__ = "0.1.0"

__all__ = [
    "CONTRACT", "contract_markdown", "DataValidationError", "ParameterError", "Problem", "ShnorError",
    "band_group", "compute_isbsh", "compute_iursh", "compute_quality_index", "identifier_table", "quartile_group",
    "social_shares", "teacher_shares", "grade_metrics", "pooled_metrics", "wilson_interval",
    "MODEL_FRAME_COLUMNS", "build_model_frame", "formula_info", "quality_outcomes",
    "FAMILIES", "QualityModelResults", "SchoolEffects", "Specification", "fit_quality_model", "fit_school_effects",
    "min_effect_for", "load_params", "validate_params", "Dataset", "SeasonResult", "SupportResult", "compute_all",
    "compute_season",
    "load_dataset", "write_outputs", "read_season", "SpecificationComparison", "compare_specifications",
    "identify", "objectivity_flags", "triggered_procedures", "label_rates", "simulate_frame", "Season",
    "validate_season", "__version__",
]
