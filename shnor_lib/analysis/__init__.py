"""The computations of the methodology, pure functions of tables and parameters.

Metrics with intervals (:mod:`.metrics`), ШНОР / зона риска / ШНСУ rules and objectivity flags
(:mod:`.rules`), ИСБШ / ИУРШ / quality index (:mod:`.indices`), quality against context
(:mod:`.model_frame`, :mod:`.models`, :mod:`.predictive`, :mod:`.robustness`, :mod:`.simulation`;
the funnel of the model's scores, :mod:`.funnel`),
clusters (:mod:`.clustering`), monitoring indicators (:mod:`.indicators`), risk profiles and
recommendations (:mod:`.risk`), dynamics (:mod:`.dynamics`) and leader pairing (:mod:`.leaders`).
"""
from __future__ import annotations

from ..lazy import lazy_exports

# Public names of this room and the module each lives in, imported on first use (shnor_lib.lazy).
_HOME = {
    "wilson_interval": "metrics", "grade_metrics": "metrics", "pooled_metrics": "metrics", "in_scope": "metrics",
    "rule_subjects": "metrics", "KEY": "metrics", "work_metrics": "metrics",
    "objectivity_flags": "rules", "triggered_procedures": "rules", "triggered_by_school": "rules", "work_label": "rules",
    "OFFICIAL_LISTS": "official", "official_comparison": "official", "official_summary": "official",
    "identify": "rules", "status_of": "rules", "FLAG_LABELS": "rules",
    "ISBSH_INPUTS": "indices", "ISBSH_LABELS": "indices", "QUALITY_GROUP_LABELS": "indices", "band_group": "indices",
    "group_label": "indices", "quartile_group": "indices", "social_shares": "indices", "compute_isbsh": "indices",
    "teacher_shares": "indices", "compute_iursh": "indices", "compute_quality_index": "indices",
    "compute_quality_groups": "indices", "identifier_table": "indices",
    "MODEL_FRAME_COLUMNS": "model_frame", "QUALITY_OUTCOMES": "model_frame", "FormulaInfo": "model_frame",
    "build_model_frame": "model_frame", "formula_env": "model_frame", "formula_info": "model_frame",
    "index_kind": "model_frame", "index_range": "model_frame", "quality_outcomes": "model_frame",
    "size_column": "model_frame", "logit": "model_frame", "expit": "model_frame",
    "FAMILIES": "models", "FAMILY_LABELS": "models", "RESILIENT": "models", "BELOW": "models", "WITHIN": "models",
    "EFFECT_ABOVE": "models", "EFFECT_BELOW": "models", "EFFECT_NONE": "models", "Specification": "models",
    "QualityModelResults": "models", "SchoolEffects": "models", "formula_variables": "models",
    "fit_quality_model": "models", "fit_school_effects": "models", "min_effect_for": "models",
    "specification": "models",
    "PredictiveSummary": "predictive", "discrete_predictive": "predictive", "continuous_predictive": "predictive",
    "normal_predictive": "predictive",
    "SpecificationComparison": "robustness", "compare_specifications": "robustness",
    "specifications_from_params": "robustness", "ROBUSTNESS_COLUMNS": "robustness",
    "simulate_frame": "simulation", "label_rates": "simulation",
    "cluster_features": "clustering", "cluster_schools": "clustering", "describe_clusters": "clustering",
    "Indicator": "indicators", "Catalogue": "indicators", "POPULATIONS": "indicators", "DIAG_LEVELS": "indicators",
    "DYNAMICS_LABELS": "indicators", "load_catalogue": "indicators", "parse_catalogue": "indicators",
    "compute_indicators": "indicators", "append_indicators": "indicators", "dynamics_level": "indicators", "diagnostics_summary": "indicators",
    "season_indicators": "indicators",
    "risk_profiles_of": "risk", "significance_matrix": "risk", "factor_groups": "risk", "high_factor_groups": "risk",
    "group_summary": "risk", "load_recommendations": "risk", "recommend": "risk",
    "two_proportion_test": "dynamics", "status_transitions": "dynamics", "fail_share_changes": "dynamics",
    "support_view": "dynamics", "explain_changes": "dynamics",
    "leader_candidates": "leaders", "assign_leaders": "leaders", "pair_leaders": "leaders", "pair_cost": "leaders",
}
__all__ = list(_HOME)


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
