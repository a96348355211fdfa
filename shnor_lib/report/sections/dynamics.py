"""Section 10 «Динамика»: moves between the lists over the loaded years, changes of fail shares
beyond chance, the schools in support year by year, and why each status changed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..common import (
    by_id,
    n_schools,
    sorted_ids,
    status_word,
)
from ..format import fmt_num, fmt_p, fmt_pct, p_text, plural

__all__ = [
    "transitions_text", "transitions_table", "fail_changes_text", "fail_changes_table", "support_text",
    "support_table", "explain_text", "explain_table",
]


_LIST_COLS = {"shnor_change": "ШНОР", "shnsu_change": "ШНСУ", "risk_change": "зона риска"}


def _one_year(year: int) -> str:
    return (f"Динамика не рассчитывается: загружен один год ({year}). Переходы между списками, изменения долей и "
            "трёхлетний мониторинг школ в поддержке появятся, когда будут данные нескольких лет подряд.")


def transitions_table(transitions: pd.DataFrame) -> pd.DataFrame:
    """Schools with a status in some loaded year: their status each year and what changed.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», one «Статус <год>» per year, «Переходы» («2023→2024: ШНОР — вошла»;
        «осталась» is not repeated: the status columns show it).
    """
    if transitions is None or transitions.empty:
        return pd.DataFrame(columns=["Код ОО", "Наименование", "Переходы"])
    t = transitions
    years = sorted(set(t["year_from"]) | set(t["year_to"]))
    rows = []
    for sid, g in t.groupby("school_id", sort=False):
        status = {int(r.year_from): r.status_from for r in g.itertuples()}
        status.update({int(r.year_to): r.status_to for r in g.itertuples()})
        if not any(isinstance(v, str) and v and v != "нет в перечне ОО" for v in status.values()):
            continue
        moves = []
        for r in g.itertuples():
            words = [f"{lab} — {getattr(r, col)}" for col, lab in _LIST_COLS.items()
                     if getattr(r, col) in ("вошла", "вышла")]
            if words:
                moves.append(f"{r.year_from}→{r.year_to}: " + ", ".join(words))
        row = {"Код ОО": str(sid), "Наименование": g["name"].iat[-1]}
        row.update({f"Статус {y}": status_word(status.get(y)) for y in years})
        row["Переходы"] = "\n".join(moves) or "без изменений"
        rows.append(row)
    out = pd.DataFrame(rows, columns=["Код ОО", "Наименование", *[f"Статус {y}" for y in years], "Переходы"])
    return by_id(out, "Код ОО").reset_index(drop=True)


def transitions_text(transitions: pd.DataFrame, year: int) -> str:
    """Who entered, left and stayed in each list for each pair of consecutive years (codes)."""
    if transitions is None or transitions.empty:
        return _one_year(year)
    lines = []
    for (y0, y1), g in transitions.groupby(["year_from", "year_to"], sort=True):
        parts = []
        for col, lab in _LIST_COLS.items():
            words = []
            for change, word in (("вошла", "вошли"), ("вышла", "вышли"), ("осталась", "остались")):
                ids = sorted_ids(g.loc[g[col] == change, "school_id"])
                words.append(f"{word} {'; '.join(ids)}" if ids else f"{word} — нет")
            parts.append(f"{lab}: " + "; ".join(words))
        lines.append(f"- **{y0} → {y1}** — " + ". ".join(p[0].upper() + p[1:] for p in parts) + ".")
    years = sorted(set(transitions["year_from"]) | set(transitions["year_to"]))
    return (f"Статусы школ за {years[0]}–{years[-1]} годы (переходы между соседними годами):\n\n"
            + "\n".join(lines))


def fail_changes_table(changes: pd.DataFrame, significant_only: bool = True) -> pd.DataFrame:
    """Changes of fail shares between consecutive years (by default only those beyond chance).

    Returns
    -------
    DataFrame
        «Код ОО», «Годы», «Процедура, предмет», «Было», «Стало» («19,8% (38 из 192)»),
        «Изменение, п.п.», «p».
    """
    cols = ["Код ОО", "Годы", "Процедура, предмет", "Было", "Стало", "Изменение, п.п.", "p"]
    if changes is None or changes.empty:
        return pd.DataFrame(columns=cols)
    d = changes[changes["significant"]] if significant_only else changes
    return pd.DataFrame({
        "Код ОО": d["school_id"].astype(str).values,
        "Годы": [f"{a}→{b}" for a, b in zip(d["year_from"], d["year_to"], strict=True)],
        "Процедура, предмет": ["все процедуры и предметы вместе" if p == "все процедуры" else f"{p}, {s}"
                               for p, s in zip(d["procedure"], d["subject"], strict=True)],
        "Было": [f"{fmt_pct(f / n)} ({f:.0f} из {n:.0f})" for f, n in zip(d["failed_from"], d["participants_from"],
                                                                           strict=True)],
        "Стало": [f"{fmt_pct(f / n)} ({f:.0f} из {n:.0f})" for f, n in zip(d["failed_to"], d["participants_to"],
                                                                            strict=True)],
        "Изменение, п.п.": d["change_pp"].astype(float).values,
        "p": [fmt_p(v) for v in d["p_value"]],
    }, columns=cols)


def fail_changes_text(changes: pd.DataFrame, params: dict, year: int, n_years: int = 2) -> str:
    """How many year-over-year changes of fail shares are beyond chance, with the test and α used;
    by all procedures together, which schools rose and which fell."""
    if n_years < 2:
        return f"Не оцениваются: загружен один год ({year})."
    if changes is None or changes.empty:
        return "Изменения долей не оцениваются: нет результатов одних и тех же процедур в соседние годы."
    alpha = fmt_num(params["dynamics"]["alpha"], 2)
    test = changes["test"].iat[0]
    sig = changes[changes["significant"]]
    pooled = sig[sig["procedure"] == "все процедуры"]

    def items(d):
        return ", ".join(f"{r.school_id} ({r.year_from}→{r.year_to}: {'+' if r.change_pp > 0 else '−'}"
                         f"{fmt_num(abs(r.change_pp), 1)} п.п., {p_text(r.p_value)})" for r in d.itertuples()) or "нет"

    text = (f"Доли не преодолевших порог сравнены у каждой школы в соседние годы: {len(changes)} "
            f"{plural(len(changes), 'сравнение', 'сравнения', 'сравнений')} «школа × процедура × предмет» "
            f"(и «все процедуры» вместе). За пределами случайных колебаний (p < {alpha}, {test}) — {len(sig)}; "
            "они перечислены в таблице ниже.")
    text += (" Остальные изменения в пределах случайных колебаний: у малых школ даже заметная разница долей может "
             "быть случайной.")
    if len(sig):
        text += ("\n\nПо всем процедурам и предметам вместе доля «2» значимо:\n"
                 f"- выросла у школ: {items(pooled[pooled['change_pp'] > 0])};\n"
                 f"- снизилась у школ: {items(pooled[pooled['change_pp'] < 0])}.")
    return text


def support_table(view: pd.DataFrame) -> pd.DataFrame:
    """The three-year view of schools in support (seed 001, 1.2.12), one row per school.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «В поддержке с», one column per year («ШНОР\\n25,0% (142 из 568)»:
        status and the pooled fail share), «Изменение, п.п.» (last year against the year of inclusion).
    """
    if view is None or view.empty:
        return pd.DataFrame(columns=["Код ОО", "Наименование", "В поддержке с", "Изменение, п.п."])
    years = sorted(view["year"].unique())
    rows = []
    for sid, g in view.groupby("school_id", sort=False):
        g = g.set_index("year")
        row = {"Код ОО": str(sid), "Наименование": g["name"].iat[-1], "В поддержке с": g["included_since"].iat[0]}
        for y in years:
            if y in g.index:
                r = g.loc[y]
                share = (f"{fmt_pct(r['fail_share'])} ({r['failed']:.0f} из {r['participants']:.0f})"
                         if r["participants"] > 0 else "нет результатов")
                row[str(int(y))] = f"{status_word(r['status'] if r['status'] != '—' else '')}\n{share}"
            else:
                row[str(int(y))] = "—"
        row["Изменение, п.п."] = float(g["change_pp"].iat[-1]) if len(g) > 1 else np.nan
        rows.append(row)
    out = pd.DataFrame(rows, columns=["Код ОО", "Наименование", "В поддержке с", *[str(int(y)) for y in years],
                                      "Изменение, п.п."])
    return by_id(out, "Код ОО").reset_index(drop=True)


def support_text(view: pd.DataFrame, year: int, n_years: int = 2) -> str:
    """Schools in support: their number, and how their pooled fail share moved since inclusion."""
    if n_years < 2:
        return f"Трёхлетний мониторинг школ в поддержке не ведётся: загружен один год ({year})."
    if view is None or view.empty:
        return "Школ в поддержке (ШНОР или ШНСУ хотя бы в один загруженный год) нет."
    last = view.groupby("school_id", sort=False).tail(1)
    followed = last[last["year_no"] > 0]
    new = last[last["year_no"] == 0]
    n = view["school_id"].nunique()
    text = (f"В поддержке (ШНОР или ШНСУ хотя бы в один загруженный год) — {n_schools(n)}. Год включения — первый "
            "загруженный год со статусом; для первого загруженного года включение могло быть и раньше («не позднее»). "
            "Доля — все процедуры и предметы правила вместе (Σ «2» / Σ участников).")

    def item(r):
        return f"{r.school_id} ({'+' if r.change_pp > 0 else '−'}{fmt_num(abs(r.change_pp), 1)} п.п. за " \
               f"{r.year_no} {plural(r.year_no, 'год', 'года', 'лет')})"

    if len(followed):
        down = followed[followed["change_pp"] < 0]
        up = followed[followed["change_pp"] > 0]
        text += (" С года включения доля снизилась у: " + (", ".join(item(r) for r in down.itertuples()) or "нет")
                 + "; выросла у: " + (", ".join(item(r) for r in up.itertuples()) or "нет") + ".")
    if len(new):
        text += (f" Включены в {year} году (динамика появится в следующем году): "
                 + "; ".join(sorted_ids(new["school_id"])) + ".")
    left = last[(last["year"] == year) & ~last["status"].isin(["ШНОР", "ШНСУ", "ШНОР+ШНСУ"])]
    if len(left):
        text += " Вышли из списков ШНОР и ШНСУ: " + ", ".join(
            f"{r.school_id} (в {year} году — {status_word(r.status if r.status != '—' else '')})"
            for r in left.itertuples()) + "."
    return text


_DATA_PREFIX = re.compile(r"^данные: при одних параметрах статус сменился «[^»]*» → «[^»]*»: ")


_NEXT_RESULT = re.compile(r"; (?=(?:ВПР|ОГЭ|ЕГЭ|группа ИСБШ|обоснование)\b)")


def explain_table(explained: pd.DataFrame) -> pd.DataFrame:
    """«Что изменилось и почему»: «Код ОО», «Годы», «Статус» (было → стало, with the ШНОР branch),
    «Причина», «Что изменилось» (one line per result that crossed a threshold)."""
    cols = ["Код ОО", "Годы", "Статус", "Причина", "Что изменилось"]
    if explained is None or explained.empty:
        return pd.DataFrame(columns=cols)
    e = explained

    def st(s, b):
        return status_word(s) + (f" ({b})" if isinstance(b, str) and b else "")

    def words(text, cause):
        text = re.sub(r"(?<![\w.])-(?=\d)", "−", str(text))
        if cause == "данные":  # the columns already say what moved; keep the numbers
            text = _DATA_PREFIX.sub("", text)
        return _NEXT_RESULT.sub("\n", text)

    return pd.DataFrame({
        "Код ОО": e["school_id"].astype(str).values,
        "Годы": [f"{a}→{b}" for a, b in zip(e["year_from"], e["year_to"], strict=True)],
        "Статус": [f"{st(s0, b0)} →\n{st(s1, b1)}" for s0, b0, s1, b1 in
                   zip(e["status_from"], e["branch_from"], e["status_to"], e["branch_to"], strict=True)],
        "Причина": [{"ветвь правила": "условие ШНОР"}.get(c, c) for c in e["cause"]],
        "Что изменилось": [words(x, c) for x, c in zip(e["explanation"], e["cause"], strict=True)],
    }, columns=cols)


def explain_text(explained: pd.DataFrame, year: int, n_years: int) -> str:
    """How many status changes the data, the parameters and the rule branch caused."""
    if n_years < 2:
        return f"Не оценивается: загружен один год ({year})."
    if explained is None or explained.empty:
        return "Статусы школ между соседними годами не менялись."
    e = explained
    n = len(e)
    text = (f"Статус (или условие, по которому школа отнесена к ШНОР) сменился в {n} "
            f"{plural(n, 'случае', 'случаях', 'случаях')}: из-за данных — {int(e['by_data'].sum())}, "
            f"из-за параметров — {int(e['by_params'].sum())}, из-за смены условия ШНОР — {int(e['by_branch'].sum())} "
            "(несколько причин могут действовать вместе). ")
    if not e["parameter_changes"].astype(bool).any():
        text += ("Параметры расчёта во все годы одинаковы, поэтому смена статуса вызвана данными (доли перешли порог, "
                 "условие выполнено второй год подряд, изменилась группа ИСБШ) или сменой условия, по которому школа отнесена к ШНОР.")
    else:
        diffs = "; ".join(dict.fromkeys(x for x in e["parameter_changes"] if x))
        text += (f"Параметры расчёта между годами менялись ({diffs}): вклад параметров проверен пересчётом соседнего "
                 "года с параметрами текущего.")
    return text
