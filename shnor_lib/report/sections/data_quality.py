"""Section 12 «Качество данных»: what validation converted or left out, which optional inputs
are missing, and what the report could not compute and why.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ...analysis.funnel import funnel
from ..common import (
    as_text,
    has_input,
    published_indices,
    relative_path,
)
from ..format import plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["data_quality_text", "data_issues_table", "not_computed_table"]


def data_issues_table(result: SeasonResult, data_root: str | None = None) -> pd.DataFrame:
    """Quarantined and converted input rows: «Файл», «Строка», «Код ОО», «Результат», «Действие», «Причина».

    «Файл» is relative to the municipality's folder (``2024/results.csv``): the report is about one
    municipality, and short paths keep the table within the page.
    """
    i = result.issues
    cols = ["Файл", "Строка", "Код ОО", "Результат", "Действие", "Причина"]
    if i is None or i.empty:
        return pd.DataFrame(columns=cols)

    def what(r) -> str:
        parts = [str(v) for v in (r.get("procedure"), r.get("subject")) if isinstance(v, str) and v]
        g = r.get("grade")
        if g is not None and pd.notna(g) and str(g) != "":
            parts.append(f"{int(float(g))} кл.")
        return ", ".join(parts)

    return pd.DataFrame({
        "Файл": [re.sub(rf"^{re.escape(result.municipality)}/", "", relative_path(f, data_root)) for f in i["file"]],
        "Строка": [int(v) if pd.notna(v) else "" for v in i["row"]],
        "Код ОО": as_text(i["school_id"]).astype(str).values,
        "Результат": [what(r) for _, r in i.iterrows()],
        "Действие": i["action"].values,
        "Причина": i["reason"].values,
    })


def not_computed_table(result: SeasonResult) -> pd.DataFrame:
    """What the data did not allow, by report section, and why: «Раздел», «Не рассчитано», «Причина»."""
    s = result.schools
    rows = []
    no_social = not has_input(result, "social")
    if not s["isbsh"].notna().any():
        why = "нет социального паспорта (файл social)" if no_social else "в социальном паспорте нет нужных сведений"
        if s["isbsh_group"].notna().any():
            rows.append(("5. Социальный контекст", "ИСБШ по социальному паспорту",
                         f"{why}; использованы опубликованные группы ИСБШ (файл indices)"))
            rows.append(("1–2. Итоги, выявленные школы", "ШНСУ по рассчитанному ИСБШ",
                         f"{why}; ШНСУ определены по опубликованным группам ИСБШ"))
        else:
            rows.append(("5. Социальный контекст", "ИСБШ и таблица-идентификатор", why))
            rows.append(("1–2. Итоги, выявленные школы", "ШНСУ", f"{why}: без ИСБШ ШНСУ не определяются"))
    if not s["iursh_group"].notna().any():
        rows.append(("5. Социальный контекст", "ИУРШ", "нет сведений о педагогах (файл teachers)"))
    if result.previous_year is None:
        rows.append(("2. Что изменилось", "сравнение с прошлым годом; условие «одна процедура два года подряд»",
                     f"нет данных за {result.year - 1} год"))
    if result.model is None:
        rows.append(("6. Качество с учётом контекста", "модель качества, резильентные школы",
                     "мало школ с индексом качества и показателями контекста"))
    else:
        if not funnel(s).available:
            rows.append(("6. Качество с учётом контекста", "воронкообразная диаграмма",
                         "неизвестно число участников, по которым рассчитан индекс качества"
                         + (" (индекс взят из опубликованной таблицы)" if published_indices(result) else "")))
    if result.effects is None and result.params["model"]["mixed"] != "never":
        rows.append(("6. Качество с учётом контекста", "устойчивый эффект школы (модель со случайным эффектом)",
                     "нужны данные нескольких лет по тем же школам"))
    if result.clusters is None or result.clusters.empty:
        rows.append(("7. Кластеры", "кластеры школ", "мало школ с результатами ВПР и ОГЭ"))
    y = result.year
    if not has_input(result, "monitoring"):
        rows.append(("8. Показатели мониторинга", "показатели по форме мониторинга; уровни диагностики A–D",
                     f"нет файла monitoring за {y} год"))
    if result.previous_year is None:
        rows.append(("8. Показатели мониторинга", "уровни динамики показателей 1–3", f"загружен один год ({y})"))
    if not has_input(result, "risk_profiles"):
        rows.append(("9. Рисковые профили", "тепловая карта факторов, группы факторов, рекомендации по факторам",
                     f"нет файла risk_profiles за {y} год"))
    if result.previous_year is None:
        rows.append(("10. Динамика", "переходы между списками, изменения долей, школы в поддержке, причины смены "
                     "статусов", f"загружен один год ({y})"))
    return pd.DataFrame(rows, columns=["Раздел", "Не рассчитано", "Причина"])


def data_quality_text(result: SeasonResult) -> str:
    """Section 12: what the validation changed or left out, and which optional inputs are missing."""
    i = result.issues
    lines = []
    warned = i[i["action"] == "предупреждение"] if i is not None and len(i) else None
    if warned is not None and len(warned):
        i = i[i["action"] != "предупреждение"]
        schools = ", ".join(dict.fromkeys(f"{sid} ({proc})" for sid, proc in zip(warned["school_id"], warned["procedure"])))
        lines.append(f"Внимание: у {len(warned)} {plural(len(warned), 'школы', 'школ', 'школ')} строки результатов "
                     f"совпадают со строками прошлого года один в один — так бывает, когда файл или папку скопировали с "
                     f"прошлого года: {schools}. Эти строки участвуют в расчёте; если они скопированы, условие «два "
                     "года подряд» сработало по одним и тем же числам. Проверьте исходные данные (data_issues.csv, "
                     "действие «предупреждение»).")
    if i is None or i.empty:
        lines.append("Входные файлы прошли проверку: структурных ошибок нет, несогласованных строк нет.")
    else:
        acts = i["action"].value_counts()
        desc = "; ".join(f"{a} — {n}" for a, n in acts.items())
        lines.append(f"Структурных ошибок нет. Несогласованные строки ({len(i)}): {desc}. Исключённые строки не "
                     "участвуют ни в одном расчёте, преобразованные пересчитаны по документированному правилу; "
                     "исходные значения сохранены в data_issues.csv.")
    missing = [(stem, what) for stem, what in (("social", "социальный паспорт"), ("teachers", "сведения о педагогах"),
                                               ("monitoring", "мониторинг мер поддержки"),
                                               ("risk_profiles", "рисковые профили"))
               if not has_input(result, stem)]
    if missing:
        lines.append("Нет необязательных файлов за " f"{result.year} год: "
                     + "; ".join(f"{stem} ({what})" for stem, what in missing) + ".")
    notes = [n for n in result.notes if n]
    if notes:
        lines.append("Примечания расчёта: " + "; ".join(notes) + ".")
    return "\n\n".join(lines)
