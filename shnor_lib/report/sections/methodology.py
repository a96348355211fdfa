"""Section 13 «Методика»: the rules in words with the parameter values actually used, every
parameter with its meaning, the input files with their SHA-256, and the package versions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ...analysis.models import FAMILY_LABELS, min_effect_for
from ...config.params import load_params
from ...pipeline import provenance
from ..common import (
    relative_path,
)
from ..format import fmt_g, fmt_num, fmt_pct, plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = [
    "methodology_text", "parameters_table", "parameter_words", "flatten_params", "formula_words", "package_defaults", "indicator_names", "PARAM_LABELS", "input_files_table",
    "package_versions",
]


def methodology_text(result: SeasonResult) -> str:
    """Section 13: the rules in words with the parameter values actually used."""
    p = result.params
    th, rk = fmt_pct(p["shnor_threshold"], 0), fmt_pct(p["risk_threshold"], 0)
    grades = ", ".join(str(g) for g in p["vpr_grades"])
    subj = " и ".join(p["subjects"])
    mode = "хотя бы по одному из предметов" if p["subject_mode"] == "any" else "по каждому из предметов"
    procs = ", ".join(f"ВПР ({grades} кл.)" if x == "ВПР" else x for x in p["procedures"])
    rule = p["shnsu_rule"]
    shnsu = (f"группа ИСБШ не выше {rule['isbsh_group_max']} из 11" if rule.get("isbsh_group_max") is not None
             else f"ИСБШ в нижних {fmt_pct(rule['isbsh_quantile'], 0)} школ")
    isb = p["isbsh"]
    weights = ", ".join(f"{_INPUT_LABELS.get(k, k)} {fmt_num(v, 2)}" for k, v in isb["weights"].items())
    ref = {"municipality": "школы муниципалитета", "all": "все загруженные муниципалитеты года",
           "fixed": "фиксированные средние и стандартные отклонения из параметров"}
    q = {"oge_base": "доля достигших базового уровня на ОГЭ", "vpr_base": "доля достигших базового уровня на ВПР",
         "quality_share": "качество знаний на ОГЭ (доля «4» и «5»)", "mean_mark": "средняя отметка ОГЭ"}
    m = p["model"]
    o = p["objectivity"]
    lines = [
        f"- **ШНОР**: не менее {th} участников не преодолели минимальный порог {mode} ({subj}) в двух различных "
        f"оценочных процедурах в одном году или в одной процедуре два года подряд. Процедуры: {procs}; доли "
        f"объединяются по классам (Σ «2» / Σ участников); результаты с числом участников меньше "
        f"{p['min_participants']} не учитываются.",
        f"- **Зона риска**: то же правило с порогом {rk} для школ, не отнесённых к ШНОР.",
        f"- **ШНСУ**: {shnsu} (уровень «очень низкий»).",
        f"- **ИСБШ**: взвешенная сумма стандартизованных долей обучающихся ({weights}); эталон — "
        f"{ref[isb['reference']]}; группы 1–11 — полосы шириной {fmt_num(p['group_band_sd'], 1)} стандартного "
        "отклонения вокруг среднего (группа 6).",
        f"- **ИУРШ**: среднее z-оценок долей педагогов с высшим образованием, с категорией (ВКК + "
        f"{fmt_num(p['iursh']['category_first_weight'], 1)}·1КК) и со стажем не менее "
        f"{p['iursh']['experience_years']} лет; группы 1–4 — квартили.",
        f"- **Индекс качества**: {q[p['quality']['index']]} по предметам {subj}; группы качества 1–11 — те же "
        "полосы, что у ИСБШ.",
        f"- **Модель качества**: {formula_words(m['formula'])}; {FAMILY_LABELS[m['family']]}; "
        f"школа «резильентная» (или «ниже ожидаемого»), если её индекс значимо выше (ниже) ожидаемого "
        + (f"(поправка Бенджамини — Хохберга, доля ложных открытий {fmt_pct(m['fdr'], 0)}) " if m["multiple_testing"] == "bh"
           else f"(p < {fmt_num(m['alpha'])}) ")
        + f"и отклонение не меньше {fmt_num(min_effect_for(p))}; "
        f"при меньше чем {m['small_sample']} школах выводы помечаются как предварительные.",
        f"- **Объективность**: резкое отличие параллели (вне {fmt_pct(o['jump_confidence'], 0)} биномиального "
        f"интервала и не менее {o['jump_min_pp']} п.п.); завышенный результат (выше Q3 + {fmt_num(o['iqr_k'], 1)}·IQR "
        + ("при слабой ГИА по тому же предмету или, без неё, других процедурах"
           if o.get("inflated_reference", "gia") == "gia" else "при слабых других процедурах")
        + ("; школы с отбором по типу ОО не помечаются" if o.get("inflated_exempt_kinds") else "")
        + f"); расхождение ВПР и ГИА по предмету (z-оценки с учётом числа участников по разные стороны от среднего, разрыв не меньше "
        f"{fmt_num(o['vpr_gia_gap'], 1)}); несоответствие ВПР и журнала («повысили» ≥ "
        f"{fmt_pct(o['mismatch_raised'], 0)} или «подтвердили» < {fmt_pct(o['mismatch_confirmed'], 0)}); "
        "пороги — эвристика пакета, а не официальные критерии; "
        + ("флагованные результаты исключаются из правил." if p["exclude_nonobjective"]
           else "флагованные результаты не исключаются из правил."),
        f"- **Кластеры**: метод Уорда на стандартизованных долях «2» и «4»+«5» "
        f"({', '.join(p['clustering']['procedures'])}), {p['clustering']['n_clusters']} "
        f"{plural(p['clustering']['n_clusters'], 'кластер', 'кластера', 'кластеров')}.",
        f"- Доли сопровождаются {fmt_pct(p['confidence_level'], 0)} доверительными интервалами Вильсона.",
    ]
    lines += _support_methodology(p)
    basis = (p.get("report") or {}).get("legal_basis")
    lines.insert(0, (f"Нормативная основа: {basis}." if basis else
                     "Нормативный акт муниципалитета в параметрах не указан; правила и пороги — по параметрам ниже.")
                 + "\n")
    return "\n".join(lines)


def _support_methodology(p: dict) -> list[str]:
    """Methodology lines of sections 8–11 (monitoring, risk profiles, dynamics, leaders)."""
    out = []
    mon = p.get("monitoring") or {}
    if mon:
        out.append("- **Показатели мониторинга**: перечень показателей задаётся в параметрах; доля — "
                   "Σ числителей / Σ знаменателей по школам совокупности × 100; ответы «да/нет» — 1/0 балл; план "
                   "выполнен, если факт не хуже планового значения с учётом направления. Уровни динамики: "
                   "3 — улучшение не менее чем на "
                   f"{fmt_num(mon.get('strong_change_pp', 10), 0)} п.п. без лет ухудшения; 2 — улучшение без лет "
                   "ухудшения (или лучшее возможное значение все годы); 1 — иначе.")
    risk = p.get("risk") or {}
    if risk:
        out.append(f"- **Рисковые профили**: меры требуются при значимости фактора «{risk.get('act_on')}»; группы "
                   "факторов и таблица адресных рекомендаций задаются в параметрах; рекомендации формируются для статусов: "
                   f"{', '.join(risk.get('recommend_for', []))}.")
    dyn = p.get("dynamics") or {}
    if dyn:
        test = {"exact": "точный критерий Фишера", "z": "z-критерий с поправкой на непрерывность"}.get(
            dyn.get("test"), dyn.get("test"))
        out.append(f"- **Динамика**: изменение доли «2» между соседними годами — {test} (двусторонний), значимо при "
                   f"p < {fmt_num(dyn.get('alpha', 0.05), 2)}; причина смены статуса — данные, параметры или ветвь "
                   "правила (пересчёт соседнего года с параметрами текущего и наоборот).")
    ld = p.get("leaders") or {}
    if ld:
        w = ld.get("weights", {})
        q = "медианы" if ld.get("fail_quantile") == 0.5 else f"квантиля {fmt_num(ld.get('fail_quantile'))}"
        out.append(f"- **Школы-лидеры**: кандидат — без статуса во все годы, доля «2» ниже {q} округа каждый год"
                   + (", без признаков необъективности" if ld.get("exclude_objectivity_flags") else "")
                   + f"; пары подбираются сразу для всех ШНОР и ШНСУ по наименьшей сумме стоимостей "
                   f"({fmt_num(w.get('isbsh', 1))}·|ΔИСБШ| + {fmt_num(w.get('territory', 1))}·[другая территория] − "
                   f"{fmt_num(w.get('resilient', 0))}·[резильентная] − {fmt_num(w.get('positive_residual', 0))}·"
                   f"[выше прогноза]), не более {ld.get('leader_capacity')} ОО на школу-лидера.")
    return out


_INPUT_LABELS = {"both_parents_higher_ed": "оба родителя с высшим образованием", "on_register": "на учёте",
                 "unemployed_parents": "безработные родители", "single_parent": "неполные семьи",
                 "non_native_russian": "русский язык не родной"}


PARAM_LABELS = {
    "procedures": "процедуры, учитываемые в правилах", "vpr_grades": "классы ВПР в правилах",
    "subjects": "предметы в правилах", "subject_mode": "сколько предметов должно достигнуть порога",
    "min_participants": "минимальное число участников результата", "shnor_threshold": "порог доли «2» для ШНОР",
    "risk_threshold": "порог доли «2» для зоны риска", "ege_high_score": "высокий балл ЕГЭ",
    "confidence_level": "уровень доверия интервалов Вильсона",
    "shnsu_rule.isbsh_group_max": "ШНСУ: наибольшая группа ИСБШ", "shnsu_rule.isbsh_quantile": "ШНСУ: нижняя доля ИСБШ",
    "objectivity.jump_min_pp": "резкое отличие параллели: минимум, п.п.",
    "objectivity.jump_confidence": "резкое отличие параллели: уровень интервала",
    "objectivity.cohort_jump_min_pp": "скачок когорты (тот же выпуск год к году): минимум изменения доли «2», п.п.",
    "objectivity.cohort_jump_alpha": "скачок когорты: уровень значимости изменения доли «2»",
    "objectivity.iqr_k": "завышенный результат: множитель IQR", "objectivity.inflated_metric": "завышенный результат: показатель",
    "objectivity.mismatch_raised": "ВПР и журнал: порог «повысили»",
    "objectivity.mismatch_confirmed": "ВПР и журнал: порог «подтвердили»",
    "exclude_nonobjective": "исключать флагованные результаты из правил", "isbsh.method": "ИСБШ: способ весов",
    "isbsh.reference": "ИСБШ: эталонная совокупность", "iursh.reference": "ИУРШ: эталонная совокупность",
    "iursh.category_first_weight": "ИУРШ: вес первой категории", "iursh.experience_years": "ИУРШ: стаж, лет",
    "quality.index": "индекс качества", "quality.reference": "группы качества: эталонная совокупность",
    "group_band_sd": "ширина групп, стандартных отклонений", "model.formula": "формула модели качества",
    "municipality_name": "название муниципалитета в отчётах",
    "report.legal_basis": "нормативная основа, на которую ссылается справка",
    "model.weights": "веса модели", "model.alpha": "1 − уровень доверия модели",
    "model.min_effect": "минимальное отклонение для отметки школы", "model.small_sample": "малая выборка: меньше школ",
    "model.mixed": "модель со случайным эффектом школы", "clustering.n_clusters": "число кластеров",
    "clustering.procedures": "процедуры для кластеров", "clustering.min_schools": "минимум школ для кластеров",
    "targets.shnor_shnsu_share.baseline": "доля ШНОР и ШНСУ: базовое значение, %",
    "targets.shnor_shnsu_share.plan": "доля ШНОР и ШНСУ: плановое значение, %",
    "monitoring.catalogue": "каталог показателей мониторинга",
    "monitoring.strong_change_pp": "уровень 3 динамики показателя: улучшение не менее, п.п.",
    "risk.act_on": "значимость фактора риска, требующая мер", "risk.recommendations_file": "таблица адресных рекомендаций",
    "risk.recommend_for": "статусы, для которых формируются рекомендации",
    "dynamics.alpha": "уровень значимости изменения доли «2»", "dynamics.test": "критерий изменения доли «2»",
    "leaders.leader_capacity": "наибольшее число ОО на школу-лидера",
    "leaders.partner_statuses": "статусы, за которыми закрепляется школа-лидер",
    "leaders.fail_quantile": "школа-лидер: доля «2» ниже этого квантиля округа",
    "leaders.exclude_objectivity_flags": "школа-лидер без признаков необъективности",
    "leaders.missing_isbsh_gap": "|ΔИСБШ| при неизвестном ИСБШ",
}


def _param_label(key: str) -> str:
    if key in PARAM_LABELS:
        return PARAM_LABELS[key]
    if key.startswith("isbsh.weights."):
        name = key.rsplit(".", 1)[1]
        return f"ИСБШ: вес показателя «{_INPUT_LABELS.get(name, name)}»"
    if key.startswith("iursh.weights."):
        name = key.rsplit(".", 1)[1]
        return f"ИУРШ: вес показателя «{_IURSH_INPUTS.get(name, name)}»"
    if key in ("isbsh.fixed", "iursh.fixed"):
        return "фиксированные средние и стандартные отклонения (эталон fixed)"
    section = _PARAM_SECTIONS.get(key.split(".", 1)[0])
    return f"раздел «{section}»" if section else ""


_PARAM_SECTIONS = {"monitoring": "мониторинг показателей", "risk": "рисковые профили", "dynamics": "динамика",
                   "leaders": "школы-лидеры", "targets": "плановые значения", "objectivity": "объективность",
                   "model": "модель качества", "clustering": "кластеры", "isbsh": "ИСБШ", "iursh": "ИУРШ",
                   "quality": "индекс качества"}


_IURSH_INPUTS = {"higher_education": "высшее образование", "category": "квалификационная категория",
                 "experience": "стаж"}


def flatten_params(params: dict, prefix: str = "") -> dict[str, object]:
    """Every leaf of the parameters as ``dotted.key → value`` (sources and private keys left out)."""
    out: dict[str, object] = {}
    for k, v in params.items():
        if str(k).startswith("_"):
            continue
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten_params(v, key + "."))
        else:
            out[key] = v
    return out


def _value_text(v) -> str:
    if v is None:
        return "не задано"
    if isinstance(v, bool):
        return "да" if v else "нет"
    if isinstance(v, float):
        return fmt_g(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_value_text(x) for x in v)
    if isinstance(v, dict):
        return "не задано" if not v else "; ".join(f"{k}: {_value_text(x)}" for k, x in v.items())
    return str(v)


_GROUPS = [  # (top-level keys, group title), in the order of the справка
    (("procedures", "vpr_grades", "subjects", "subject_mode", "subject_levels", "min_participants", "shnor_threshold",
      "risk_threshold", "exclude_nonobjective", "ege_high_score", "confidence_level"), "Правило ШНОР и зоны риска"),
    (("shnsu_rule",), "Правило ШНСУ"),
    (("isbsh", "iursh", "quality", "group_band_sd"), "Индексы ИСБШ, ИУРШ и индекс качества"),
    (("objectivity",), "Объективность результатов"),
    (("model",), "Качество с учётом контекста (модель)"),
    (("clustering",), "Кластеры школ"),
    (("targets", "monitoring"), "Плановые значения и показатели мониторинга"),
    (("risk",), "Рисковые профили и рекомендации"),
    (("dynamics",), "Динамика"),
    (("leaders",), "Школы-лидеры"),
    (("validation",), "Проверка входных данных"),
    (("municipality_name", "report"), "Оформление справки"),
]
_GROUP_OF = {k: title for keys, title in _GROUPS for k in keys}

#: keys shown as percentages (their values are shares 0–1)
_SHARE_KEYS = {"shnor_threshold", "risk_threshold", "confidence_level", "objectivity.jump_confidence",
               "objectivity.mismatch_raised", "objectivity.mismatch_confirmed", "model.alpha", "model.fdr",
               "model.dispersion_winsor", "dynamics.alpha", "objectivity.cohort_jump_alpha", "validation.max_quarantined_share", "shnsu_rule.isbsh_quantile"}

_MORE_LABELS = {
    "subject_levels": "уровни предметов (pooled — базовый и профильный уровень вместе)",
    "model.family": "вид модели", "model.multiple_testing": "поправка на множественные сравнения",
    "model.fdr": "доля ложных открытий", "model.dispersion_winsor": "усечение крайних школ при оценке разброса",
    "validation.max_quarantined_share": "остановить расчёт, если исключено больше этой доли строк файла результатов",
    "validation.min_quarantined_rows": "… и не меньше стольких строк",
    "leaders.weights.isbsh": "подбор пары: вес различия ИСБШ", "leaders.weights.territory": "подбор пары: вес другой территории",
    "leaders.weights.resilient": "подбор пары: бонус резильентной школе-лидеру",
    "leaders.weights.positive_residual": "подбор пары: бонус школе-лидеру выше прогноза",
    "objectivity.inflated_reference": "завышенный результат: с чем сравнивается (gia — ГИА по тому же предмету)",
    "objectivity.inflated_exempt_kinds": "завышенный результат: типы ОО, которые не помечаются",
    "objectivity.vpr_gia_gap": "расхождение ВПР и ГИА: разрыв z-оценок",
    "objectivity.vpr_gia_subjects": "расхождение ВПР и ГИА: предметы",
}

_VALUE_WORDS = {"any": "достаточно одного предмета", "all": "каждый предмет", "pooled": "вместе",
                "municipality": "школы муниципалитета", "fixed": "заданные значения", "weights": "веса",
                "regression": "регрессия", "bh": "Бенджамини — Хохберга", "none": "нет", "exact": "точный критерий Фишера",
                "z": "z-критерий", "auto": "автоматически", "always": "всегда", "never": "никогда",
                "participants": "по числу участников", "oge_base": "доля достигших базового уровня на ОГЭ",
                "vpr_base": "доля достигших базового уровня на ВПР", "quality_share": "качество знаний (доля «4» и «5»)",
                "mean_mark": "средняя отметка"}

_TERMS = {"quality_index": "индекс качества", "isbsh": "ИСБШ", "iursh": "ИУРШ", "isbsh_group": "группа ИСБШ",
          "iursh_group": "группа ИУРШ", "students_total": "число обучающихся",
          "territory": "территория", "kind": "вид школы"}


def formula_words(formula: str) -> str:
    """A model formula in words: «quality_index ~ isbsh + iursh» → «индекс качества зависит от: ИСБШ, ИУРШ»."""
    left, _, right = str(formula).partition("~")

    def term(x: str) -> str:
        x = x.strip()
        m = re.fullmatch(r"(?:np\.)?log\((\w+)\)", x)
        if m:
            return f"логарифм ({_TERMS.get(m.group(1), m.group(1))})"
        m = re.fullmatch(r"C\((\w+)\)", x)
        if m:
            return _TERMS.get(m.group(1), m.group(1))
        return _TERMS.get(x, x)
    return f"{term(left)} зависит от: " + ", ".join(term(x) for x in right.split("+") if x.strip())


def _label(key: str, indicator_names: dict[str, str]) -> str | None:
    if key in PARAM_LABELS or key in _MORE_LABELS or key.startswith(("isbsh.weights.", "iursh.weights.")):
        return PARAM_LABELS.get(key) or _MORE_LABELS.get(key) or _param_label(key)
    parts = key.split(".")
    if key.startswith("monitoring.indicator_targets.") and len(parts) == 4:
        name = indicator_names.get(parts[2], "показатель")
        return f"«{name}»: {'базовое' if parts[3] == 'baseline' else 'плановое'} значение"
    if key.startswith("monitoring.municipal_answers.") and len(parts) >= 3:
        name = indicator_names.get(parts[2], "ответ муниципалитета")
        return f"«{name}»: ответ муниципалитета по годам"
    if key.startswith("model.min_effect.") and len(parts) == 3:
        return f"минимальное отклонение для отметки школы ({_VALUE_WORDS.get(parts[2], parts[2])})"
    if key.startswith("risk.groups.") and len(parts) == 4:
        return "группа факторов риска: " + ("название" if parts[3] == "name" else "номера факторов")
    return None


def _param_value(key: str, v) -> str:
    if key in _SHARE_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool):
        return fmt_g(round(v * 100, 6)) + "%"
    if key.endswith("formula"):
        return formula_words(v)
    if key == "model.family" and v in FAMILY_LABELS:
        return str(FAMILY_LABELS[v])
    if isinstance(v, str) and v in _VALUE_WORDS and not key.endswith("name"):
        return _VALUE_WORDS[v]
    if isinstance(v, (list, tuple)):
        return ", ".join(_param_value("", x) for x in v)
    return _value_text(v)


def _collapse_answers(flat: dict[str, object]) -> dict[str, object]:
    """The municipality's yes/no answers by year as one entry per answer («2022: нет; 2023: да»)."""
    out: dict[str, object] = {}
    for k, v in flat.items():
        parts = k.split(".")
        if k.startswith("monitoring.municipal_answers.") and len(parts) == 4:
            key = ".".join(parts[:3])
            prev = out.get(key)
            out[key] = (f"{prev}; " if prev else "") + f"{parts[3]}: {_value_text(v)}"
        else:
            out[k] = v
    return out


def parameter_words(params: dict) -> dict[str, tuple[str, str, object]]:
    """Every parameter as the appendix names it: ``dotted.key → (description, value in words, value)``.

    The description is that of :func:`parameters_table`, or the name of the parameter's section
    («раздел «рисковые профили»») when it has none of its own; the municipality's answers by year
    are one entry per answer.
    """
    out = {}
    for key, v in _collapse_answers(flatten_params(params)).items():
        label = _label(key, {}) or _param_label(key) or "прочие параметры"
        out[key] = (label, _param_value(key, v), v)
    return out


def package_defaults() -> dict:
    """The package's default parameters (``parameters/default.yml``), to mark what a season changed."""
    return load_params()


def indicator_names(indicators: pd.DataFrame | None) -> dict[str, str]:
    """Indicator code → its name, from the season's indicators table (empty when there is none)."""
    if indicators is None or indicators.empty or "name" not in indicators:
        return {}
    return dict(zip(indicators["code"].astype(str), indicators["name"].astype(str), strict=True))


def parameters_table(params: dict, defaults: dict | None = None,
                     indicator_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The parameters the season used, for the reader: «Правило», «Параметр», «Значение».

    Grouped by rule in the order of the справка, described in Russian, values in Russian number
    format (shares as percent); a value that differs from ``defaults`` (the package's) says so
    with the default value. Parameters without a meaning for this справка (unused alternatives,
    empty settings) are left out; every key with its raw name is in ``parameters_used.yml``.
    """
    flat = _collapse_answers(flatten_params(params))
    base = _collapse_answers(flatten_params(defaults)) if defaults else {}
    names = indicator_names or {}
    rows = []
    for key, v in flat.items():
        if key.startswith(("model.specifications", "isbsh.fixed", "iursh.fixed")) or key.endswith("catalogue") \
                or key.endswith("recommendations_file"):
            continue
        if v is None or (isinstance(v, dict) and not v):
            continue
        label = _label(key, names)
        if label is None:
            continue
        value = _param_value(key, v)
        if defaults is not None and (key not in base or base[key] != v):
            value += (f" (изменено; по умолчанию — {_param_value(key, base[key])})" if key in base
                      and base[key] is not None else " (задано для муниципалитета)")
        group = _GROUP_OF.get(key.split(".", 1)[0], "Прочее")
        rows.append((group, label, value))
    order = {title: i for i, (_, title) in enumerate(_GROUPS)}
    rows.sort(key=lambda r: order.get(r[0], len(order)))  # stable: keeps the file's order inside a group
    out, last = [], None
    for group, label, value in rows:
        out.append({"Правило": group if group != last else "", "Параметр": label, "Значение": value})
        last = group
    return pd.DataFrame(out, columns=["Правило", "Параметр", "Значение"])


def input_files_table(result: SeasonResult, data_root: str | None = None) -> pd.DataFrame:
    """Input files of the seasons used with their SHA-256: «Файл», «SHA-256»."""
    items = sorted((relative_path(k, data_root), v) for k, v in result.checksums.items())
    return pd.DataFrame(items, columns=["Файл", "SHA-256"])


def package_versions() -> pd.DataFrame:
    """Versions of Python and the packages the report rests on: «Пакет», «Версия» — the same
    list as the run manifest's (:func:`shnor_lib.pipeline.provenance.package_versions`)."""
    rows = [(name, v) for name, v in provenance.package_versions().items()]
    return pd.DataFrame(rows, columns=["Пакет", "Версия"])
