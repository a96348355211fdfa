"""shnor — identification and support of schools with low results (ШНОР) and in
unfavourable social conditions (ШНСУ): data contract, rules, indices, models, reports.

The public API follows the pipeline a researcher walks through in a notebook::

    import shnor_lib as sh
    data = sh.load_dataset("data_raw", municipality="demo")   # read + validate
    params = sh.load_params("demo")                           # defaults + overrides
    res = sh.compute_season(data, "demo", 2024, params)       # rules, indices, model
    res.schools; res.model.summary(); res.identifier_table
"""

from .contract import CONTRACT, contract_markdown
from .errors import DataValidationError, ParameterError, Problem, ShnorError
from .indices import band_group, identifier_table, quartile_group
from .metrics import grade_metrics, pooled_metrics, wilson_interval
from .models import QualityModelResults, SchoolEffects, fit_quality_model, fit_school_effects
from .params import load_params
from .pipeline import Dataset, SeasonResult, compute_season, load_dataset, write_outputs
from .readers import read_season
from .rules import identify, objectivity_flags, triggered_procedures
from .validation import Season, validate_season

__version__ = "0.1.0"

__all__ = [
    "CONTRACT", "contract_markdown", "DataValidationError", "ParameterError", "Problem", "ShnorError",
    "band_group", "identifier_table", "quartile_group", "grade_metrics", "pooled_metrics", "wilson_interval",
    "QualityModelResults", "SchoolEffects", "fit_quality_model", "fit_school_effects", "load_params",
    "Dataset", "SeasonResult", "compute_season", "load_dataset", "write_outputs", "read_season",
    "identify", "objectivity_flags", "triggered_procedures", "Season", "validate_season", "__version__",
]
