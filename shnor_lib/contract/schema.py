"""The declared data contract (Методика §10, docs/methodology/data-contract.md).

One table of files, columns, Russian labels, types and checks drives loading,
validation, the README's contract section and the templates. Nothing else in
the package hard-codes a column name of an input file.

Every check of a column is declared here, once, on its :class:`Column`: its kind (how a
cell is read), whether it is required, whether it may be negative (``signed``), the
bounds of a code (``bounds``: grades, index groups) and the total it may not exceed
(``max_of``: a count of pupils not above the school's pupils). Both validation paths of
:mod:`shnor_lib.contract.validate` (one season, many seasons at once) are generated from
these declarations; a new check is a new field value here, not code in either path.

School codes sort numerically where they are numbers (:func:`school_id_key`): the one
order of every table and list of schools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .vocabulary import load_vocabulary

__all__ = [
    "Column",
    "FileSpec",
    "CONTRACT",
    "SIGNIFICANCE_LEVELS",
    "RISK_FACTORS",
    "RISK_FACTOR_ALIASES",
    "RISK_PROFILE_VARIANTS",
    "RISK_PROFILE_VARIANT_NAMES",
    "normalize_label",
    "canonical_procedure",
    "canonical_subject",
    "contract_markdown",
    "school_id_key",
    "sorted_school_ids",
    "school_id_order",
]


@dataclass(frozen=True)
class Column:
    """One column of an input file.

    Parameters
    ----------
    name : English name used in code and accepted as a header.
    label : Russian label accepted as a header (the one the templates use).
    kind : ``"str"``, ``"int"`` (a count), ``"float"`` (a share or score) or ``"yesno"``.
    required : the file is unusable without it.
    unit : shown in templates and the README.
    aliases : further accepted headers (other spellings met in real forms).
    signed : values below zero are allowed (z-scores); a negative count, share or score is a typo.
    bounds : (lowest, highest) value of a code, both allowed (a grade, an index group).
    noun : how a message names one value of a bounded column («класс 15 вне диапазона 1–11»).
    max_of : the total the value may not exceed: a column of the same file (``"students_total"``)
        or ``"<file>.<column>"`` of the school's row in another file (``"schools.students_total"``).
    percent : how a cell written with «%» is read: ``"marks"`` (the row's marks are percentages,
        converted from participants), ``"share"`` (a fraction: «15%» is 0.15); None refuses it.
    """

    name: str
    label: str
    kind: str = "int"
    required: bool = False
    unit: str = "чел."
    aliases: tuple[str, ...] = ()
    signed: bool = False
    bounds: tuple[int, int] | None = None
    noun: str = ""
    max_of: str | None = None
    percent: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """One input file of a season: its stem, its key and its columns."""

    stem: str
    title: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False
    open_columns: bool = False  # monitoring: the catalogue adds its own fields
    notes: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def bounded(self) -> list[Column]:
        """Columns with declared bounds, in file order."""
        return [c for c in self.columns if c.bounds is not None]

    @property
    def limited(self) -> list[Column]:
        """Columns with a declared total they may not exceed, in file order."""
        return [c for c in self.columns if c.max_of is not None]


_ID = Column("school_id", "Код ОО", "str", True, "", ("ОО", "Номер ОО", "Код школы"))

CONTRACT: dict[str, FileSpec] = {
    spec.stem: spec
    for spec in (
        FileSpec(
            "schools",
            "Перечень общеобразовательных организаций",
            ("school_id",),
            (
                _ID,
                Column("name", "Наименование ОО", "str", True, "", ("Наименование", "Учреждение")),
                Column("kind", "Тип ОО", "str", unit="СОШ/ООШ/гимназия/лицей"),
                Column("territory", "Территория", "str", unit="город/село"),
                Column("students_total", "Число обучающихся", "int", aliases=("Всего обучающихся",)),
                Column("fisoko_login", "Логин ФИС ОКО", "str", unit="eduNNNNNN",
                       aliases=("Логин", "Логин ОО", "Логин в ФИС ОКО", "Логин ОО в ФИС ОКО", "login")),
            ),
            required=True,
            notes="«Логин ФИС ОКО» нужен, только если выгрузки ФИС ОКО лежат в папке fisoko и код ОО — не логин.",
        ),
        FileSpec(
            "results",
            "Результаты оценочных процедур",
            ("school_id", "procedure", "subject", "grade"),
            (
                _ID,
                Column("procedure", "Процедура", "str", True, "ВПР/ОГЭ/ЕГЭ"),
                Column("subject", "Предмет", "str", True, ""),
                Column("grade", "Класс", "int", True, "", bounds=(1, 11), noun="класс"),
                Column("participants", "Участников", "int", True, aliases=("Количество участников",),
                       max_of="schools.students_total"),
                Column("n2", "Отметка 2", "float", aliases=("«2»", "2"), percent="marks"),
                Column("n3", "Отметка 3", "float", aliases=("«3»", "3"), percent="marks"),
                Column("n4", "Отметка 4", "float", aliases=("«4»", "4"), percent="marks"),
                Column("n5", "Отметка 5", "float", aliases=("«5»", "5"), percent="marks"),
                Column("failed", "Не преодолели порог", "int"),
                Column("high", "Высокий балл", "int", unit="чел. (80+ баллов)"),
                Column("mean_score", "Средний балл", "float", unit="балл"),
                Column("journal_lowered", "Понизили", "float", unit="чел. или доля", percent="share"),
                Column("journal_confirmed", "Подтвердили", "float", unit="чел. или доля", percent="share"),
                Column("journal_raised", "Повысили", "float", unit="чел. или доля", percent="share"),
            ),
            required=True,
            notes="ВПР/ОГЭ: отметки n2–n5; ЕГЭ: failed, high, mean_score.",
        ),
        FileSpec(
            "social",
            "Социальный паспорт школы",
            ("school_id",),
            (
                _ID,
                Column("students_total", "Число обучающихся", "int", True, aliases=("Всего обучающихся",)),
                Column("both_parents_higher_ed", "Оба родителя с высшим образованием", "int", max_of="students_total"),
                Column("single_parent", "Из неполных семей", "int", max_of="students_total"),
                Column("non_native_russian", "Русский язык не родной", "int", max_of="students_total"),
                Column("on_register", "Состоят на учёте", "int", aliases=("На учёте (ВШУ/ПДН/КДН)",),
                       max_of="students_total"),
                Column("unemployed_parents", "Безработные родители", "int", max_of="students_total"),
                Column("ovz", "Обучающиеся с ОВЗ", "int", max_of="students_total"),
            ),
        ),
        FileSpec(
            "teachers",
            "Кадровый состав",
            ("school_id",),
            (
                _ID,
                Column("teachers_total", "Всего педагогов", "int", True),
                Column("higher_education", "С высшим образованием", "int", max_of="teachers_total"),
                Column("category_highest", "Высшая категория (ВКК)", "int", aliases=("ВКК",), max_of="teachers_total"),
                Column("category_first", "Первая категория (1КК)", "int", aliases=("1КК",), max_of="teachers_total"),
                Column("category_szd", "Соответствие должности (СЗД)", "int", aliases=("СЗД",),
                       max_of="teachers_total"),
                Column("experience_10plus", "Стаж 10 лет и более", "int", max_of="teachers_total"),
                Column("vacancies", "Вакансии", "int"),
            ),
        ),
        FileSpec(
            "monitoring",
            "Мониторинговая форма",
            ("school_id",),
            (
                _ID,
                Column("teachers_total", "Всего педагогов"),
                Column("teachers_diagnosed", "Прошли диагностику дефицитов"),
                Column("teachers_diag_subject", "Диагностика: предметные"),
                Column("teachers_diag_method", "Диагностика: методические"),
                Column("teachers_diag_psych", "Диагностика: психолого-педагогические"),
                Column("teachers_method_support", "Получили методическую поддержку"),
                Column("teachers_network_mo", "Включены в сетевые МО"),
                Column("teachers_method_active", "В методическом активе"),
                Column("teachers_iom", "Имеют ИОМ"),
                Column("diag_level_a", "Уровень A"),
                Column("diag_level_b", "Уровень B"),
                Column("diag_level_c", "Уровень C"),
                Column("diag_level_d", "Уровень D"),
                Column("students_total", "Число обучающихся"),
                Column("students_iup", "Обучающихся с ИУП"),
                Column("students_tutor", "С тьюторской поддержкой"),
                Column("has_curator", "Закреплён куратор", "yesno", unit="да/нет"),
                Column("has_leader_school", "Закреплена школа-лидер", "yesno", unit="да/нет"),
                Column("has_shppko", "Есть ШППКО", "yesno", unit="да/нет"),
                Column("has_failure_prevention", "Программа профилактики неуспешности", "yesno", unit="да/нет"),
                Column("risk_internet_solved", "Риск: интернет устранён", "yesno", unit="да/нет"),
                Column("risk_computers_solved", "Риск: компьютерная техника устранён", "yesno", unit="да/нет"),
                Column("risk_staff_solved", "Риск: кадровый дефицит устранён", "yesno", unit="да/нет"),
            ),
            open_columns=True,
            notes="Поля мониторинговой формы; каталог показателей может добавлять свои (они сохраняются как есть).",
        ),
        FileSpec(
            "risk_profiles",
            "Рисковые профили",
            ("school_id", "factor"),
            (
                _ID,
                Column("factor", "Фактор риска", "str", True,
                       "название фактора или его номер в варианте профиля (столбец «Вариант профиля»)"),
                Column("significance", "Значимость", "str", True, "высокая/средняя/низкая"),
                Column("factor_label", "Наименование фактора", "str", False,
                       "название фактора, когда в «Фактор риска» номер"),
                Column("profile_variant", "Вариант профиля", "str", False,
                       "ШНОР, ШНСУ или каталог — чья нумерация факторов"),
            ),
            notes=("Фактор называется по названию или по номеру вместе с вариантом профиля: в таблицах ФИОКО "
                   "нумерация факторов разная (в профиле ШНСУ № 4 — «Высокая доля обучающихся с ОВЗ», в профиле "
                   "ШНОР — «Риски низкой адаптивности учебного процесса»). Номер без варианта и без названия — ошибка."),
        ),
        FileSpec(
            "official_lists",
            "Официальные списки школ (ФИОКО, «500+», Рособрнадзор)",
            ("school_id", "list_name"),
            (
                _ID,
                Column("list_name", "Список", "str", True,
                       "ФИОКО ШНОР, ФИОКО ШНСУ, 500+, Рособрнадзор: признаки необъективности"),
                Column("source", "Источник", "str", False, "документ, дата, страница"),
            ),
            notes=("По строке на школу и список, в который её включил официальный источник; отчёт ставит эти "
                   "списки рядом со статусами по правилу программы и объясняет каждое расхождение."),
        ),
        FileSpec(
            "indices",
            "Готовые индексы (опубликованные или рассчитанные вне программы)",
            ("school_id",),
            (
                _ID,
                Column("isbsh", "ИСБШ", "float", unit="z", signed=True),
                Column("isbsh_group", "Группа ИСБШ", "int", unit="1–11", bounds=(1, 11), noun="группа"),
                Column("iursh", "ИУРШ", "float", unit="z", signed=True),
                Column("iursh_group", "Группа ИУРШ", "int", unit="1–4", bounds=(1, 4), noun="группа"),
                Column("quality_index", "Индекс качества", "float", unit="0–1", percent="share"),
                Column("quality_group", "Группа качества", "int", unit="1–11", bounds=(1, 11), noun="группа"),
            ),
        ),
    )
}

REQUIRED_FILES = [s.stem for s in CONTRACT.values() if s.required]

SIGNIFICANCE_LEVELS = {"высокая": 3, "средняя": 2, "низкая": 1}

RISK_FACTORS = {
    1: "Низкий уровень оснащения школы",
    2: "Дефицит педагогических кадров",
    3: "Недостаточная предметная и методическая компетентность педагогов",
    4: "Риски низкой адаптивности учебного процесса",
    5: "Несформированность внутришкольной системы повышения квалификации",
    6: "Высокая доля обучающихся с рисками учебной неуспешности",
    7: "Высокая доля обучающихся с ОВЗ",
    8: "Низкое качество преодоления языковых и культурных барьеров",
    9: "Пониженный уровень качества школьной образовательной и воспитательной среды",
    10: "Низкий уровень вовлечённости родителей",
    11: "Низкая учебная мотивация обучающихся",
    12: "Пониженный уровень школьного благополучия",
    13: "Низкий уровень дисциплины в классе",
}

# How each published profile numbers the factors (seed 004): «ШНОР» — FIOKO's profile of schools
# with low results and of the зона риска (tables 4 and 6, numbers 1–10 as RISK_FACTORS); «ШНСУ» —
# FIOKO's profile of schools in unfavourable social conditions (table 5: № 4 is ОВЗ, № 6–8 are
# motivation, well-being and discipline, № 9 the share at risk of failure); «каталог» — the
# package's own numbers 1–13 (the template's list). Keys are normalised (normalize_label).
RISK_PROFILE_VARIANTS: dict[str, dict[int, int]] = {
    "шнор": {n: n for n in range(1, 11)},
    "шнсу": {1: 1, 2: 2, 3: 3, 4: 7, 5: 8, 6: 11, 7: 12, 8: 13, 9: 6, 10: 10},
    "каталог": {n: n for n in RISK_FACTORS},
}
RISK_PROFILE_VARIANT_NAMES = {"шнор": "ШНОР", "шнсу": "ШНСУ", "каталог": "каталог"}

# Other wordings of the same factors met in published profiles (seed 004, tables 4–6).
RISK_FACTOR_ALIASES = {
    "Недостаточная предметная и методическая компетентность педагогических работников": 3,
}


def normalize_label(text: object) -> str:
    """Lower-case, ё→е, collapse spaces and strip quotes so headers match loosely."""
    s = str(text).replace("\ufeff", "").strip().lower().replace("ё", "е")
    s = s.replace("«", "").replace("»", "").replace('"', "")
    return " ".join(s.split())


def canonical_procedure(value: object) -> str | None:
    """Map a procedure spelling to ВПР/ОГЭ/ЕГЭ/… (``parameters/vocabulary.yml``); None when unknown."""
    return load_vocabulary().procedure(value)


def canonical_subject(value: object) -> str | None:
    """Map a subject spelling to its canonical name (``parameters/vocabulary.yml``); None when unknown."""
    return load_vocabulary().subject(value)


def contract_markdown() -> str:
    """The contract as Markdown tables (the README's section is generated from this)."""
    out = []
    for spec in CONTRACT.values():
        req = "обязательный" if spec.required else "необязательный"
        out.append(f"### `{spec.stem}` — {spec.title} ({req})\n")
        if spec.notes:
            out.append(spec.notes + "\n")
        out.append("| column | Russian label | type | required | unit |")
        out.append("|---|---|---|---|---|")
        for c in spec.columns:
            out.append(f"| `{c.name}` | {c.label} | {c.kind} | {'yes' if c.required else ''} | {c.unit} |")
        out.append("")
    return "\n".join(out)



# ---------------------------------------------------------------- school codes

def school_id_key(school_id: object) -> tuple[int, int, str]:
    """Sort key of a school code: numeric codes in numeric order (2 before 10), then the others
    as text («14а», «edu660001»). The one order of every table and list of schools."""
    s = str(school_id)
    return (0, int(s), "") if s.isascii() and s.isdigit() else (1, 0, s)


def sorted_school_ids(ids: Iterable[object]) -> list[str]:
    """School codes as text, in :func:`school_id_key` order, without repeats."""
    return sorted({str(i) for i in ids}, key=school_id_key)


def school_id_order(ids: pd.Series) -> pd.Series:
    """The rank of each code in :func:`school_id_key` order: a ``key=`` for ``DataFrame.sort_values``
    (several columns at once; equal codes get equal ranks)."""
    keys = ids.map(school_id_key)
    ranks = {key: k for k, key in enumerate(sorted(set(keys)))}
    return keys.map(ranks)
