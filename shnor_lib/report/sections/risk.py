"""Section 9 «Рисковые профили»: profiled schools and their high-significance factors, the factor
groups of management decisions, and the addressed recommendations with what triggered them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ...contract.schema import RISK_FACTORS
from ..common import (
    as_text,
    has_input,
    lower_first,
    n_schools,
    n_schools_gen,
    name_of,
    school_list,
    sorted_ids,
)
from ..format import plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["risk_text", "risk_groups_table", "recommendations_by_school", "measures_table", "short_trigger",
           "trigger_words", "measure_headline"]


def _factor_name(code: int) -> str:
    return RISK_FACTORS.get(int(code), f"фактор {code}")


def risk_text(result: SeasonResult, significance: pd.DataFrame, groups: pd.DataFrame | None = None,
              recommendations: pd.DataFrame | None = None, cards: bool = True) -> str:
    """Section 9: profiled schools, the most frequent high-significance factors, the management groups
    and the number of addressed recommendations; «не рассчитываются» when there is no risk_profiles file.

    Parameters
    ----------
    result : SeasonResult
    significance : DataFrame
        :func:`shnor_lib.analysis.risk.significance_matrix` (school × factor, 3/2/1).
    groups : DataFrame, optional
        :func:`shnor_lib.analysis.risk.group_summary`.
    recommendations : DataFrame, optional
        :func:`shnor_lib.analysis.risk.recommend`.
    cards : bool
        Whether the schools have cards (``shnor report --no-cards``: they do not).
    """
    y = result.year
    if significance is None or significance.empty:
        why = (f"нет файла risk_profiles за {y} год" if not has_input(result, "risk_profiles")
               else "в файле risk_profiles нет распознанных факторов")
        return f"Рисковые профили не рассчитываются: {why}."
    s = result.schools
    names = name_of(s)
    high = significance.eq(3)
    with_high = high.any(axis=1)
    lines = [f"Рисковые профили заполнены для {n_schools_gen(len(significance))} из {len(s)}; хотя бы один фактор "
             f"высокой значимости — у {n_schools_gen(int(with_high.sum()))}."]
    top = high.sum(axis=0).sort_values(ascending=False, kind="stable")
    top = top[top > 0].head(3)
    if len(top):
        lines[-1] += " Чаще всего высокую значимость имеют: " + "; ".join(
            f"{int(c)}. {lower_first(_factor_name(c))} — {n_schools(int(n))}" for c, n in top.items()) + "."
    interest = s.loc[as_text(s["status"]).ne(""), "school_id"].astype(str)
    absent = [i for i in interest if i not in significance.index]
    if absent:
        lines.append(f"Нет рискового профиля у школ со статусом: {school_list(absent, names)}.")
    if groups is not None and len(groups):
        lines.append("Факторы высокой значимости по группам управленческих решений: "
                     + "; ".join(f"{lower_first(r.group)} — {r.n_schools} ОО" for r in groups.itertuples()) + ".")
    if recommendations is not None:
        if len(recommendations):
            kinds = recommendations["trigger_kind"].str.split("; ").str[0].value_counts()
            lines.append(f"Адресные рекомендации: {len(recommendations)} "
                         f"{plural(len(recommendations), 'мера', 'меры', 'мер')} для "
                         f"{n_schools_gen(recommendations['school_id'].nunique())} со статусом; по основаниям: "
                         + ", ".join(f"{k} — {n}" for k, n in kinds.items())
                         + ". Каждая мера в таблице ниже показана с тем, что её вызвало; полный текст мер — "
                         + ("в перечне мер и в карточках школ." if cards else "в перечне мер."))
        else:
            lines.append("Адресных рекомендаций нет: нет школ со статусом, для которого они формируются "
                         "(перечень таких статусов задаётся в параметрах).")
    return "\n\n".join(lines)


def risk_groups_table(groups: pd.DataFrame) -> pd.DataFrame:
    """The grouped high-significance factors (seed 004): «Группа факторов», «Число ОО», «ОО и факторы»
    (all schools of the group, then one line per factor with its schools)."""
    cols = ["Группа факторов", "Число ОО", "ОО и факторы"]
    if groups is None or groups.empty:
        return pd.DataFrame(columns=cols)
    detail = [f"все: {s}\n" + d.replace("; ", "\n") if n else d
              for s, d, n in zip(groups["schools"], groups["detail"], groups["n_schools"], strict=True)]
    detail = [re.sub(r"(\d), (?=\d)", r"\1; ", d) for d in detail]  # «№ 1; 2», never «1, 2» (a decimal)
    return pd.DataFrame({"Группа факторов": groups["group"].values, "Число ОО": groups["n_schools"].astype(int).values,
                         "ОО и факторы": detail})


def short_trigger(trigger: str) -> str:
    """A recommendation's trigger in a few words: «фактор 3 «…»: высокая значимость» → «фактор 3»."""
    parts = [re.sub(r"фактор (\d+) «[^»]*»: \w+ значимость", r"фактор \1", p.strip())
             for p in str(trigger).split("; ")]
    return "; ".join(dict.fromkeys(p.replace("статус: ", "статус ") for p in parts))


def trigger_words(trigger: str) -> str:
    """A recommendation's trigger in words, without each school's numbers.

    «фактор 3 «Недостаточная … педагогов»: высокая значимость» → «фактор риска 3 — недостаточная …
    педагогов (высокая значимость)»; «статус: ШНОР» → «статус ШНОР»; a monitoring indicator below
    its bar keeps its wording.
    """
    out = []
    for part in str(trigger).split("; "):
        part = part.strip()
        m = re.match(r"фактор (\d+) «([^»]*)»(?::\s*(\w+) значимость)?", part)
        if m:
            out.append(f"фактор риска {m.group(1)} — {lower_first(m.group(2))}"
                       + (f" ({m.group(3)} значимость)" if m.group(3) else ""))
        elif part.startswith("статус:"):
            out.append("статус " + part[len("статус:"):].strip())
        elif part:
            out.append(part)
    return "; ".join(dict.fromkeys(out))


def measure_headline(text: str, limit: int = 90) -> str:
    """The first clause of a measure (up to its first «;» or «:», at most ``limit`` characters cut at
    a word) with «…» when cut — only where the full text is in the same document."""
    text = " ".join(str(text).split()).rstrip(".")
    cut = min([i for i in (text.find(":"), text.find(";")) if i > 0] or [len(text)])
    head = text[:cut].rstrip(" ,")
    if len(head) > limit:
        head = head[:limit].rsplit(" ", 1)[0].rstrip(" ,(")
    return head if head == text else head + "\u00a0…"


def recommendations_by_school(recommendations: pd.DataFrame) -> pd.DataFrame:
    """One row per school: «ОО», «Статус», «Меры и основания» — each measure's first clause in words
    with its number in the list of measures below (:func:`measures_table`, where the full text and
    the addressee are), and what triggered it, in words.
    """
    cols = ["ОО", "Статус", "Меры и основания"]
    if recommendations is None or recommendations.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for sid in sorted_ids(recommendations["school_id"].unique()):
        g = recommendations[recommendations["school_id"] == sid]
        lines = [f"{measure_headline(r.recommendation)} (мера {r.measure_id}) — {trigger_words(r.trigger)}"
                 for r in g.itertuples()]
        rows.append({"ОО": f"{sid} ({g['name'].iat[0]})", "Статус": g["status"].iat[0],
                     "Меры и основания": "\n".join(lines)})
    return pd.DataFrame(rows, columns=cols)


def measures_table(recommendations: pd.DataFrame) -> pd.DataFrame:
    """The measures recommended this season: «Код», «Мера», «Адресат», «Школы»."""
    cols = ["Код", "Мера", "Адресат", "Школы"]
    if recommendations is None or recommendations.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for mid, g in recommendations.groupby("measure_id", sort=True):
        rows.append({"Код": mid, "Мера": g["recommendation"].iat[0], "Адресат": g["addressee"].iat[0],
                     "Школы": "; ".join(sorted_ids(g["school_id"].unique()))})
    return pd.DataFrame(rows, columns=cols)
