"""The school card (``notebooks/school_card.ipynb``) and the support results it shares with the season report.

:func:`support_context` returns what the pipeline computed, once, for sections 8–11 of the
season report and the card — indicators, risk profiles and recommendations, dynamics,
school-leader pairs — over the consecutive loaded seasons ending with the report's year
(:mod:`shnor_lib.pipeline.support`). The other functions are
pure: they turn a :class:`~shnor_lib.pipeline.season.SeasonResult` and a :class:`SupportContext`
into the card's short Russian texts and tables for one school, and say plainly what the
data do not allow.

Usage::

    history = cards.season_history(data, "demo", 2024, params)
    ctx = cards.support_context(data, history)
    Markdown(cards.status_text(history[-1], "7"))
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pandas as pd

from ..contract.schema import RISK_FACTORS
from ..pipeline.season import SeasonResult, season_history
from ..pipeline.support import SupportResult, compute_support, consecutive_years
from .common import NO_DATA, has_input, status_word
from .format import fmt_num, fmt_pct, p_text, plural
from .sections.risk import trigger_words

__all__ = [
    "SupportContext",
    "consecutive_years",
    "season_history",
    "support_context",
    "card_title",
    "card_subtitle",
    "status_text",
    "results_table",
    "results_text",
    "position_text",
    "risk_profile_text",
    "recommendations_text",
    "recommendations_table",
    "measure_short",
    "measures_list",
    "leader_text",
    "trend_table",
    "trend_text",
]


# ---------------------------------------------------------------- what the pipeline computed

#: The support analyses the card and the season report read (computed by the pipeline).
SupportContext = SupportResult


def support_context(data, history: list) -> SupportResult:
    """The support analyses (sections 8–11) of the last season of ``history``: what the pipeline
    computed (:attr:`SeasonResult.support`), or — for a season computed with ``support=False`` —
    :func:`~shnor_lib.pipeline.support.compute_support` now."""
    return history[-1].support if history[-1].support is not None else compute_support(data, history)


# ---------------------------------------------------------------- the card's texts

def _row(result: SeasonResult, school_id: str) -> pd.Series:
    s = result.schools
    hit = s[s["school_id"].astype(str) == str(school_id)]
    if hit.empty:
        raise ValueError(f"школы с кодом {school_id} нет в перечне ОО {result.year} года "
                         f"(есть: {', '.join(s['school_id'].astype(str))})")
    return hit.iloc[0]


def card_title(result: SeasonResult, school_id: str) -> str:
    """«# Карточка школы: <name> (код <id>), <year>»."""
    r = _row(result, school_id)
    return f"# Карточка школы: {r['name']} (код {school_id}), {result.year}"


def card_subtitle(result: SeasonResult, school_id: str) -> str:
    """The municipality, kind, territory and size of the school in one line."""
    r = _row(result, school_id)
    who = result.params.get("municipality_name") or f"муниципалитет «{result.municipality}»"
    parts = [who]
    for col in ("kind", "territory"):
        v = r.get(col)
        if isinstance(v, str) and v:
            parts.append(v)
    n = r.get("students_total")
    if n is not None and pd.notna(n):
        parts.append(f"{int(n)} {plural(int(n), 'обучающийся', 'обучающихся', 'обучающихся')}")
    return " · ".join(parts)


def status_text(result: SeasonResult, school_id: str) -> str:
    """The school's status in bold and every reason in words and numbers (one line each)."""
    r = _row(result, school_id)
    status = r["status"] if isinstance(r["status"], str) and r["status"] else ""
    head = f"**Статус {result.year}: {status}**" if status else f"**Статус {result.year}: нет** (не ШНОР, не ШНСУ, не зона риска)"
    if isinstance(r.get("shnor_branch"), str) and r["shnor_branch"]:
        head += f" — по условию «{r['shnor_branch']}»"
    if status == "ШНСУ" and bool(r.get("risk_zone")):
        head += "; есть и признаки зоны риска"
    reasons = [re.sub(r"(?<![\w.])-(?=\d)", "−", p.strip()) for p in str(r.get("reasons") or "").split(" | ") if p.strip()]
    lines = [head + "."] + [f"- {p}" for p in reasons]
    flags = _flags_summary(result, school_id)
    if flags:
        lines.append(f"- признаки возможной необъективности (повод для проверки): {flags}")
    return "\n".join(lines)


def _flags_summary(result: SeasonResult, school_id: str) -> str:
    """The school's objectivity flags of the year, one clause per sign: «несоответствие … — ВПР, математика
    (5, 6 кл.); ВПР, русский язык (7 кл.)»."""
    f = result.flags
    if f is None or f.empty:
        return ""
    f = f[(f["school_id"].astype(str) == str(school_id)) & (f["year"] == result.year)]
    parts = []
    for label, g in f.groupby("flag_label", sort=False):
        where = [f"{pr}, {su} ({', '.join(str(int(x)) for x in sorted(h['grade'].dropna().unique()))} кл.)"
                 for (pr, su), h in g.groupby(["procedure", "subject"], sort=True)]
        parts.append(f"{label} — {'; '.join(where)}")
    return "; ".join(parts)


def _procedure_order(params: dict) -> list[str]:
    return [x for x in params["procedures"] if x != "ЕГЭ"] + (["ЕГЭ"] if "ЕГЭ" in params["procedures"] else [])


def results_table(result: SeasonResult, school_id: str, compact: bool = False) -> pd.DataFrame:
    """The school's results in the rules' scope: one row per procedure and grade, one column per subject
    («Математика: доля «2» (95% ДИ), n»), each cell «37,8% (30–46%), n = 84» (share of «2», Wilson
    interval at the report's confidence level, participants).

    ``compact`` (the one-page card): one row per subject («Предмет»), one column per procedure and
    grade («ВПР, 5 кл.»), each cell «37,8% (30–46%)» over «n = 84» — the same numbers in half the
    height; :func:`results_text` says how to read them."""
    p = result.params
    m = result.metrics_by_grade
    d = m[(m["school_id"].astype(str) == str(school_id)) & (m["year"] == result.year)
          & m["procedure"].isin(p["procedures"]) & m["subject"].isin(p["subjects"]) & (m["participants"] > 0)]
    d = d[(d["procedure"] != "ВПР") | d["grade"].isin(p["vpr_grades"])]
    subjects = [s for s in p["subjects"] if (d["subject"] == s).any()]
    level = fmt_num(100 * p["confidence_level"], 0)

    def head(s: str) -> str:
        return f"{s.capitalize()}: доля «2» ({level}% ДИ), n"

    if d.empty:
        return pd.DataFrame(columns=["Процедура, класс", *[head(s) for s in p["subjects"]]])
    order = _procedure_order(p)
    keys = sorted({(pr, int(g)) for pr, g in zip(d["procedure"], d["grade"], strict=True)},
                  key=lambda t: (order.index(t[0]) if t[0] in order else 9, t[1]))
    # each cell's row by its key, the first one as a filter would give it (one pass instead of a mask per cell)
    cells: dict[tuple, pd.Series] = {}
    for (_, c), key in zip(d.iterrows(), zip(d["procedure"], d["grade"], d["subject"], strict=True), strict=True):
        cells.setdefault(key, c)
    rows = []
    for pr, g in keys:
        row = {"Процедура, класс": f"{pr}, {g} кл."}
        for s in subjects:
            c = cells.get((pr, g, s))
            if c is None:
                row[head(s)] = "—"
                continue
            small = " (мало участников)" if c["participants"] < p["min_participants"] else ""
            row[head(s)] = (f"{fmt_pct(c['fail_share'])} ({fmt_num(100 * c['fail_low'], 0)}–"
                            f"{fmt_num(100 * c['fail_high'], 0)}%), n = {int(c['participants'])}{small}")
        rows.append(row)
    table = pd.DataFrame(rows)
    if not compact:
        return table
    out = table.set_index("Процедура, класс").T
    out.index = [str(h).split(":")[0] for h in out.index]
    out = out.map(lambda v: v.replace(", n = ", "\nn\u00a0=\u00a0", 1))
    return out.rename_axis("Предмет").reset_index()


def results_text(result: SeasonResult, school_id: str, compact: bool = False) -> str:
    """One line on how to read the results table and chart, with the number of results at or above the threshold
    (``compact``: and how to read the cells of the compact table)."""
    p = result.params
    m = result.metrics
    d = m[(m["school_id"].astype(str) == str(school_id)) & (m["year"] == result.year) & m["in_scope"]]
    if d.empty:
        return f"Результатов оценочных процедур школы за {result.year} год в объёме правила нет — {NO_DATA}."
    th = p["shnor_threshold"]
    over = d[(d["fail_share"] >= th - 1e-12) & d["enough"]]
    what = "; ".join(f"{r.procedure}, {r.subject}: {fmt_pct(r.fail_share)} ({int(r.failed)} из {int(r.participants)})"
                     for r in over.itertuples())
    level = fmt_num(100 * p["confidence_level"], 0)
    how = f"В таблице — доля «2» ({level}% доверительный интервал) и число участников n. " if compact else ""
    return (how + f"Не ниже порога ШНОР {fmt_pct(th, 0)} (все классы вместе): " + (what if what else "нет") + ".")


def position_text(result: SeasonResult, school_id: str) -> str:
    """ИСБШ, ИУРШ, the quality index against the model's prediction and interval, resilience, the school effect."""
    r = _row(result, school_id)
    parts = []
    if pd.notna(r.get("isbsh")):
        parts.append(f"ИСБШ {fmt_num(r['isbsh'])} (группа {int(r['isbsh_group'])} из 11"
                     + (f", {r['isbsh_level']}" if isinstance(r.get("isbsh_level"), str) and r["isbsh_level"] else "")
                     + ")")
    elif pd.notna(r.get("isbsh_group")):
        parts.append(f"группа ИСБШ {int(r['isbsh_group'])} из 11 (опубликованная; ИСБШ не рассчитан)")
    else:
        parts.append(f"ИСБШ — {NO_DATA} (нет социального паспорта)")
    if pd.notna(r.get("iursh")):
        parts.append(f"ИУРШ {fmt_num(r['iursh'])} (группа {int(r['iursh_group'])} из 4)")
    elif pd.notna(r.get("iursh_group")):
        parts.append(f"группа ИУРШ {int(r['iursh_group'])} из 4")
    else:
        parts.append(f"ИУРШ — {NO_DATA}")
    text = "; ".join(parts) + "."
    text = text[0].upper() + text[1:]
    q = r.get("quality_index")
    if pd.isna(q):
        return text + f" Индекс качества школы не рассчитан — положение с учётом контекста не оценивается ({NO_DATA})."
    text += f" Индекс качества {fmt_num(q, 3)}"
    if pd.notna(r.get("quality_group")):
        text += f" (группа {int(r['quality_group'])} из 11)"
    if result.model is None or pd.isna(r.get("predicted")):
        return text + f". Модель качества не построена — ожидаемое значение {NO_DATA}."
    level = fmt_num(100 * (1 - result.model.alpha), 0)
    text += (f", с учётом контекста ожидалось {fmt_num(r['predicted'], 3)} ({level}% интервал прогноза "
             f"{fmt_num(r['pi_low'], 3)}–{fmt_num(r['pi_high'], 3)}): отклонение {fmt_num(r['residual'], 3)} — "
             f"**{r['resilience'] or 'в пределах ожидаемого'}**.")
    if pd.notna(r.get("school_effect")):
        text += (f" Эффект школы за все годы {fmt_num(r['school_effect'], 3)} (ДИ "
                 f"{fmt_num(r['effect_low'], 3)}…{fmt_num(r['effect_high'], 3)}) — {r['effect_label']}.")
    return text


#: Short names of the risk factors (``contract.RISK_FACTORS``) for the one-page card.
FACTOR_SHORT = {
    1: "оснащение", 2: "дефицит кадров", 3: "компетентность педагогов", 4: "адаптивность учебного процесса",
    5: "внутришкольное повышение квалификации", 6: "риски учебной неуспешности", 7: "обучающиеся с ОВЗ",
    8: "языковые и культурные барьеры", 9: "образовательная среда", 10: "вовлечённость родителей",
    11: "учебная мотивация", 12: "школьное благополучие", 13: "дисциплина в классе",
}


def risk_profile_text(result: SeasonResult, ctx: SupportContext, school_id: str) -> str:
    """The school's risk factors grouped by significance (высокая first, with short names)."""
    if ctx.significance is None or ctx.significance.empty:
        why = (f"нет файла risk_profiles за {result.year} год" if not has_input(result, "risk_profiles")
               else "в файле risk_profiles нет распознанных факторов")
        return f"Рисковый профиль не приводится: {why}."
    if str(school_id) not in ctx.significance.index:
        return f"Рисковый профиль школы не заполнен: школы нет в файле risk_profiles за {result.year} год."
    row = ctx.significance.loc[str(school_id)]
    lines = []
    high = [int(c) for c, v in row.items() if v == 3]
    if high:  # the factors that call for measures, in full
        lines.append(f"- **высокая значимость ({len(high)})**: "
                     + "; ".join(f"{c}. {FACTOR_SHORT.get(c) or RISK_FACTORS.get(c, c)}" for c in high))
    else:
        lines.append("- факторов высокой значимости нет")
    def named(codes: list[int]) -> str:
        return "; ".join(f"{c}. {FACTOR_SHORT.get(c) or RISK_FACTORS.get(c, c)}" for c in codes)

    for score, word in ((2, "средняя значимость"), (1, "низкая значимость")):
        codes = [int(c) for c, v in row.items() if v == score]
        if codes:
            lines.append(f"- {word} ({len(codes)}): {named(codes)}")
    missing = [int(c) for c, v in row.items() if pd.isna(v)]
    if missing:
        lines.append(f"- не оценивались ({len(missing)}): {named(missing)}")
    return "\n".join(lines)


def recommendations_text(result: SeasonResult, ctx: SupportContext, school_id: str, short: bool = False) -> str:
    """How many addressed recommendations the school has (or why none), and which inputs were missing.

    ``short``: the words above the card's short list (:func:`measures_list`), not above the full
    table (:func:`recommendations_table`)."""
    r = _row(result, school_id)
    wanted = result.params["risk"]["recommend_for"]
    notes = []
    if not has_input(result, "monitoring"):
        notes.append(f"нет файла monitoring за {result.year} год — рекомендации по показателям мониторинга не "
                     "формируются")
    if not has_input(result, "risk_profiles"):
        notes.append(f"нет файла risk_profiles за {result.year} год — рекомендации по факторам риска не формируются")
    tail = (" Чего нет в данных: " + "; ".join(notes) + ".") if notes else ""
    if r["status"] not in wanted:
        return (f"Адресные рекомендации формируются для школ со статусами {', '.join(wanted)}; у школы "
                f"{'статуса нет' if not r['status'] else 'статус «' + r['status'] + '»'}." + tail)
    n = len(recommendations_table(ctx, school_id))
    if not n:
        return "Адресных рекомендаций нет: ни одно основание таблицы рекомендаций не сработало." + tail
    if short:
        return f"{n} {plural(n, 'мера', 'меры', 'мер')}, коротко (что вызвало каждую — в рисковом профиле выше и в справке)." + tail
    return f"{n} {plural(n, 'мера', 'меры', 'мер')}: что сделать, кто выполняет и почему." + tail


def measure_short(text: str, limit: int = 52) -> str:
    """A measure's short headline for the one-page card: its first clause (up to the first «:» or «;»),
    without asides in brackets, at most ``limit`` characters cut at a word with «…» — the card
    links to the справка, where the measure is in full (:func:`measures_list`).

    «Составить план закрытия вакансий: …» → «Составить план закрытия вакансий»; «Разработать
    (актуализировать) школьную программу повышения качества образования (ШППКО) и …» →
    «Разработать школьную программу повышения качества …».
    """
    plain = re.sub(r"\s*\([^()]*\)", "", " ".join(str(text).split())).rstrip(".")
    cut = min([i for i in (plain.find(":"), plain.find(";")) if i > 0] or [len(plain)])
    head = plain[:cut].rstrip(" ,")
    if len(head) <= limit + 16:  # a whole clause (a little over the limit rather than cut by a word or two)
        return head
    words = head[:limit + 1].rsplit(" ", 1)[0].rstrip(" ,").split(" ")
    while len(words) > 1 and (len(words[-1]) <= 3 or words[-1] in _DANGLING):  # «… сопровождения на»
        words.pop()
    return " ".join(words) + "\u00a0…"


#: Words a headline cut mid-clause should not end with.
_DANGLING = {"для", "при", "между", "через", "после", "перед", "который", "которые", "которых", "также"}


def measures_list(ctx: SupportContext, school_id: str, report_href: str | None = None) -> str:
    """The school's measures for the one-page card (Markdown): one numbered paragraph of short headlines
    (:func:`measure_short`), then where the full text, addressees and reasons are: section 9 of the
    справка (linked when ``report_href`` is given)."""
    recs = ctx.recommendations
    if recs is None or recs.empty:
        return ""
    d = recs[recs["school_id"].astype(str) == str(school_id)]
    if d.empty:
        return ""
    # one paragraph: short items in a list would leave half of each line empty
    shorts = [measure_short(t) for t in d["recommendation"]]
    items = " ".join(f"**{i}.**\u00a0{t}" + ("" if t.endswith("…") else ".") for i, t in enumerate(shorts, 1))
    where = ("в справке, раздел 9 «Адресные рекомендации»" if report_href is None
             else f"[в справке, раздел 9 «Адресные рекомендации»]({report_href}#{quote(_MEASURES_ANCHOR)})")
    return items + f"\n\nПолный текст мер, исполнители и основание каждой — {where}."


#: The heading of the справка's list of measures (section 9), the anchor the card links.
_MEASURES_ANCHOR = "Адресные-рекомендации"


def recommendations_table(ctx: SupportContext, school_id: str) -> pd.DataFrame:
    """The school's recommendations in words: «Мера» (the full text), «Кто выполняет», «Основание»
    (the status, risk factor or monitoring indicator that triggered it, in words)."""
    cols = ["Мера", "Кто выполняет", "Основание"]
    recs = ctx.recommendations
    if recs is None or recs.empty:
        return pd.DataFrame(columns=cols)
    d = recs[recs["school_id"].astype(str) == str(school_id)]
    return pd.DataFrame({"Мера": [" ".join(str(t).split()) for t in d["recommendation"]],
                         "Кто выполняет": [str(a) for a in d["addressee"]],
                         "Основание": [trigger_words(t) for t in d["trigger"]]}, columns=cols)


def leader_text(result: SeasonResult, ctx: SupportContext, school_id: str) -> str:
    """The suggested school-leader with the explanation, or why none; and whom this school could lead."""
    sid = str(school_id)
    pairs, cand = ctx.pairs, ctx.candidates
    mine = pairs[pairs["partner_id"].astype(str) == sid] if pairs is not None and len(pairs) else pd.DataFrame()
    led = pairs[pairs["leader_id"].astype(str) == sid] if pairs is not None and len(pairs) else pd.DataFrame()
    lines = []
    if len(mine):
        p = mine.iloc[0]
        if pd.notna(p["leader_id"]):
            why = re.sub(r"^школа-лидер № [^:]*: ", "", str(p["explanation"]))
            # the cost formula and the yearly shares of the leader are in the season report
            why = re.sub(r"; стоимость пары .*$", "", why)
            why = re.sub(r"; доля не преодолевших порог: .*$", "; доля «2» ниже медианы округа каждый год", why)
            lines.append(f"**Школа-лидер: {p['leader_id']} ({p['leader_name']}).** " + why + ".")
        else:
            lines.append(str(p["explanation"])[0].upper() + str(p["explanation"])[1:] + ".")
    else:
        r = _row(result, sid)
        lines.append(f"Школа-лидер подбирается для статусов {', '.join(result.params['leaders']['partner_statuses'])}; "
                     f"у школы {'статуса нет' if not r['status'] else 'статус «' + r['status'] + '»'}.")
    if len(led):
        lines.append("Школа предложена школой-лидером для: "
                     + ", ".join(f"{a} ({b})" for a, b in zip(led["partner_id"], led["partner_name"], strict=True)) + ".")
    elif cand is not None and len(cand) and sid in set(cand["school_id"].astype(str)):
        c = cand[cand["school_id"].astype(str) == sid].iloc[0]
        if bool(c["eligible"]):
            lines.append("Школа отвечает условиям школы-лидера (" + str(c["reason"]) + ").")
    return "\n\n".join(lines)


def _key_pairs(history: list) -> list[tuple[str, str]]:
    p = history[-1].params
    order = _procedure_order(p)
    return [(pr, s) for pr in order for s in p["subjects"]]


def trend_table(history: list[SeasonResult], school_id: str) -> pd.DataFrame:
    """The school over the loaded years: status, then the fail share of each procedure × subject of the
    rule (all grades together) — «Показатель», one column per year."""
    sid = str(school_id)
    cols = ["Показатель", *[str(r.year) for r in history]]
    status = {"Показатель": "Статус"}
    for r in history:
        s = r.schools[r.schools["school_id"].astype(str) == sid]
        status[str(r.year)] = status_word(s["status"].iat[0]) if len(s) else "нет в перечне ОО"
    rows = [status]
    m = history[-1].metrics
    m = m[(m["school_id"].astype(str) == sid) & m["in_scope"]]
    # each cell's first row by its key (one pass instead of a mask per cell)
    cells: dict[tuple, tuple] = {}
    for c in zip(m["procedure"], m["subject"], m["year"], m["fail_share"], m["failed"], m["participants"], strict=True):
        cells.setdefault(c[:3], c[3:])
    for pr, subj in _key_pairs(history):
        row = {"Показатель": f"{pr}, {subj}: доля «2»"}
        for r in history:
            c = cells.get((pr, subj, r.year))
            row[str(r.year)] = (f"{fmt_pct(c[0])} ({int(c[1])} из {int(c[2])})" if c is not None and c[2] > 0
                                else "—")
        if any(v != "—" for k, v in row.items() if k != "Показатель"):
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def trend_text(history: list[SeasonResult], ctx: SupportContext, school_id: str) -> str:
    """What changed for the school across the loaded years: list moves, changes beyond chance (with p), the cause."""
    sid = str(school_id)
    res = history[-1]
    if len(history) < 2:
        return (f"Динамика не рассчитывается: загружен один год ({res.year}) — статусы и доли прошлых лет "
                f"неизвестны ({NO_DATA}).")
    lines = []
    first = history[0].year

    def mine(df: pd.DataFrame) -> pd.DataFrame:
        """This school's rows of a dynamics table, within the years of ``history``."""
        if df is None or df.empty:
            return pd.DataFrame()
        return df[(df["school_id"].astype(str) == sid) & (df["year_from" if "year_from" in df else "year"] >= first)]

    t = mine(ctx.transitions)
    moves = []
    for r in t.itertuples():
        for col, lab in (("shnor_change", "ШНОР"), ("shnsu_change", "ШНСУ"), ("risk_change", "зона риска")):
            if getattr(r, col) in ("вошла", "вышла"):
                moves.append(f"в {r.year_to} году {getattr(r, col)} {'в список' if getattr(r, col) == 'вошла' else 'из списка'} {lab}")
    explained = mine(ctx.explained)
    if not moves:
        lines.append(f"Статус в {first}–{res.year} годы не менялся"
                     + (" (менялось условие, по которому школа отнесена к ШНОР, — ниже)." if len(explained) else "."))
    elif explained.empty:  # otherwise each line below names the move
        lines.append("Изменения статуса: " + "; ".join(moves) + ".")
    whys = []
    branch = explained[explained["cause"] == "ветвь правила"] if len(explained) else explained
    if len(branch):  # one line for all the years the ШНОР branch changed
        seq = {int(r.year_from): r.branch_from for r in branch.itertuples()}
        seq.update({int(r.year_to): r.branch_to for r in branch.itertuples()})
        whys.append("- условие ШНОР по годам: " + ", ".join(f"{y} — «{b}»" for y, b in sorted(seq.items())) + ".")
        explained = explained[explained["cause"] != "ветвь правила"]
    for r in explained.itertuples():
        why = re.sub(r"(?<![\w.])-(?=\d)", "−", str(r.explanation))
        if r.cause == "данные":
            why = re.sub(r"^данные: при одних параметрах статус сменился «[^»]*» → «[^»]*»: ", "", why)
        elif r.cause == "ветвь правила":  # the reasons of both years are in the status section and the report
            why = re.sub(r"^ветвь правила: (.*?»): .*$", r"\1", why)
        whys.append(f"- {r.year_from}→{r.year_to}: {status_word(r.status_from)} → {status_word(r.status_to)}, "
                    f"причина — {r.cause}: {why}.")
    if whys:
        lines.append("\n".join(whys))
    f = mine(ctx.fail_changes)
    f = f[f["significant"]] if len(f) else f
    if len(f):
        # the pooled change first, then the largest; the full list is in the season report
        f = f.assign(_all=f["procedure"].eq("все процедуры"), _abs=f["change_pp"].abs())
        f = f.sort_values(["_all", "_abs"], ascending=False)
        shown = "; ".join(
            f"{'все процедуры' if r.procedure == 'все процедуры' else r.procedure + ', ' + r.subject} "
            f"{r.year_from}→{r.year_to}: {fmt_pct(r.share_from)} → {fmt_pct(r.share_to)} "
            f"({p_text(r.p_value)})" for r in f.head(3).itertuples())
        more = f" и ещё {len(f) - 3} — в аналитической справке" if len(f) > 3 else ""
        lines.append(f"Изменения долей «2» за пределами случайных колебаний ({len(f)}): {shown}{more}.")
    last = ""
    if len(f) == 0 and len(mine(ctx.fail_changes)):
        last = "Изменения долей «2» между годами — в пределах случайных колебаний."
    s = mine(ctx.support)
    if len(s) > 1 and pd.notna(s["change_pp"].iat[-1]):
        d = float(s["change_pp"].iat[-1])
        last += (f" В поддержке с {s['included_since'].iat[0]}: доля «2» по всем процедурам правила "
                 f"{'снизилась' if d < 0 else 'выросла'} на {fmt_num(abs(d), 1)} п.п. "
                 f"({fmt_pct(s['fail_share'].iat[0])} → {fmt_pct(s['fail_share'].iat[-1])}).")
    if last:
        lines.append(last.strip())
    return "\n\n".join(lines)
