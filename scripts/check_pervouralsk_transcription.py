"""Re-verify the Pervouralsk 2022 transcription against the seed text, cell by cell.

The seed (``004_b65ed95f4e0ac737.txt``, Pervouralsk programme 2023–2025) is parsed here
independently of how the CSVs in ``data_raw/pervouralsk/2022/`` were produced: tables are found
by their captions and header rows, not by line numbers. Every cell that differs, every missing
or extra row and every wrong header is printed; the script prints ``OK`` and exits 0 only when
everything matches. The transcription decisions it encodes (procedure of grade 9, the notional
teacher total of 1000 with category counts = printed percentage × 10, school 58 kept in
``schools.csv`` with a note) are documented in ``data_raw/pervouralsk/SOURCE.md``.

Usage::

    python3 scripts/check_pervouralsk_transcription.py [SEED] [--data DIR] [-v]

SEED defaults to ``data_raw/pervouralsk/source/programme_2023-2025.txt``, the published text shipped with
the dataset (see the README beside it).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEED = REPO / "data_raw" / "pervouralsk" / "source" / "programme_2023-2025.txt"
DEFAULT_DATA = REPO / "data_raw" / "pervouralsk" / "2022"

# Decisions documented in SOURCE.md (not derivable from the seed text alone).
# The seed prints category shares in percent and no teacher counts. The contract's count columns
# must be integers, so: total = a notional 1000, each category count = printed percent × 10.
# Then count / total × 100 equals the printed percentage exactly (the seed prints at most one
# decimal). The printed percentages are also kept verbatim in the PERCENT_COLUMNS.
NOTIONAL_TEACHERS_TOTAL = "1000"
PERCENT_SCALE = 10
CATEGORY_COLUMNS = {  # seed sub-header (without '**') -> contract count column
    "ВКК": "Высшая категория (ВКК)",
    "1КК": "Первая категория (1КК)",
    "СЗД": "Соответствие должности (СЗД)",
}
PERCENT_COLUMNS = {k: f"{k}, % (как в источнике)" for k in CATEGORY_COLUMNS}  # verbatim copies
# Schools kept in schools.csv although the seed names them only once; the note goes into the
# extra column «Примечание» (blank for every other school). The claim in the note is re-checked.
SCHOOL_NOTE_COLUMN = "Примечание"
SCHOOL_NOTES = {
    "58": "упомянута только в таблице 4 (фактор 1, низкая значимость); вероятно, опечатка "
    "вместо № 28; оставлена как напечатано",
}
SCHOOL_58_RISK_ROWS = [("58", "Низкий уровень оснащения школы", "низкая", "4")]
SUBJECTS = {"<b>Русский язык</b>": "русский язык", "<b>Математика</b>": "математика"}
OGE_GRADE = "9"  # grade-9 rows of tables 7–21 are ГИА-9 (ОГЭ) 2022; grades 5–8 are ВПР

RESULTS_CAPTION = re.compile(r"^Результаты ВПР \(осень 2022\) и ГИА- 9 \(2022\) (.+?)\s*$")
SCHOOL_NO = re.compile(r"№ (\d+)")
MARK_ROW = re.compile(r"^(\d+)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(\d+)$")
RISK_ROW = re.compile(r"^(\d+)\.\s*(.+)$")


# Contract columns each CSV carries, in order (labels of shnor_lib/contract/schema.py). Pinned here so
# that columns the contract gains later do not break the check; `check_labels` verifies that
# every pinned label is still declared by the contract.
PINNED = {
    "results": [
        "Код ОО",
        "Процедура",
        "Предмет",
        "Класс",
        "Участников",
        "Отметка 2",
        "Отметка 3",
        "Отметка 4",
        "Отметка 5",
    ],
    "indices": ["Код ОО", "ИСБШ", "Группа ИСБШ", "ИУРШ", "Группа ИУРШ", "Индекс качества", "Группа качества"],
    "teachers": [
        "Код ОО",
        "Всего педагогов",
        "С высшим образованием",
        "Высшая категория (ВКК)",
        "Первая категория (1КК)",
        "Соответствие должности (СЗД)",
        "Стаж 10 лет и более",
        "Вакансии",
    ],
    "risk_profiles": ["Код ОО", "Фактор риска", "Значимость"],
    "schools": ["Код ОО", "Наименование ОО", "Тип ОО", "Территория", "Число обучающихся"],
}


def labels(stem: str) -> list[str]:
    """The contract labels a transcribed file carries, in order."""
    return list(PINNED[stem])


def check_labels(rep: Report) -> None:
    """Every pinned label must still be a label the data contract declares for that file."""
    sys.path.insert(0, str(REPO))
    from shnor_lib.contract.schema import CONTRACT

    for stem, pinned in PINNED.items():
        declared = {c.label for c in CONTRACT[stem].columns}
        for label in pinned:
            if label not in declared:
                rep.err(f"{stem}: label {label!r} is no longer declared in shnor_lib/contract/schema.py")


def kind_from_name(name: str) -> str:
    for token, kind in (("ООШ", "ООШ"), ("СОШ", "СОШ"), ("гимназ", "гимназия"), ("лице", "лицей")):
        if token.lower() in name.lower():
            return kind
    return ""


def school_numbers(cell: str) -> list[str]:
    """'ОО № 11,16,' -> ['11', '16'] (empty items from trailing commas are dropped)."""
    text = cell.strip()
    if not text:
        return []
    text = re.sub(r"^(ОО\s*)?№+\s*", "", text)
    return [s.strip() for s in text.split(",") if s.strip()]


# ----------------------------------------------------------------------------- seed parsing
class Seed:
    def __init__(self, path: Path) -> None:
        self.lines = path.read_text(encoding="utf-8").split("\n")

    def find(self, predicate, start: int = 0) -> int:
        for i in range(start, len(self.lines)):
            if predicate(self.lines[i]):
                return i
        raise LookupError("seed: table not found")

    def results(self) -> tuple[dict, dict]:
        """{(school, procedure, subject, grade): [participants, n2, n3, n4, n5]}, {school: name}."""
        out: dict = {}
        names: dict = {}
        school = subject = None
        for raw in self.lines:
            line = raw.rstrip("\n")
            cap = RESULTS_CAPTION.match(line.rstrip("\t"))
            if cap:
                names_text = cap.group(1)
                school = SCHOOL_NO.search(names_text).group(1)
                names[school] = names_text
                subject = None
                continue
            if school is None:
                continue
            cells = line.split("\t")
            if cells[0] in SUBJECTS:
                subject = SUBJECTS[cells[0]]
                continue
            row = MARK_ROW.match(line)
            if row and subject:
                grade = row.group(1)
                proc = "ОГЭ" if grade == OGE_GRADE else "ВПР"
                key = (school, proc, subject, grade)
                if key in out:
                    raise ValueError(f"seed: duplicate results row {key}")
                out[key] = [row.group(6), row.group(2), row.group(3), row.group(4), row.group(5)]
                continue
            if (
                not line.strip()
                or re.match(r"^Таблица \d+$", line)
                or line.startswith("Класс\t")
                or line.strip("\t") == "2\t3\t4\t5"
            ):
                continue
            school = subject = None  # any other text ends the table
        return out, names

    def iursh_table(self) -> dict:
        """15-school table: {school: (iursh_group, quality_index, isbsh_group)}."""
        i = self.find(lambda s: s.startswith("Учреждение\tИндекс учительского ресурса школы"))
        out = {}
        for line in self.lines[i + 1 :]:
            if not line.strip():
                break
            name, iursh, quality, isbsh = line.split("\t")
            out[SCHOOL_NO.search(name).group(1)] = (iursh, quality, isbsh)
        return out

    def identifier_table(self) -> tuple[dict, list[str]]:
        """{school: (isbsh_group, quality_group)} and notes on the printed totals."""
        i = self.find(lambda s: s.startswith("Гр ИСБШ\t"))
        quality_groups = self.lines[i + 1].split("\t")
        out: dict = {}
        notes = []
        col_count: Counter = Counter()
        for line in self.lines[i + 2 :]:
            cells = line.split("\t")
            if cells[0].startswith("Итого"):
                for j, total in enumerate(cells[1:-1], start=1):
                    if total and int(total) != col_count[j]:
                        notes.append(
                            f"identifier: column {quality_groups[j]} total {total} != {col_count[j]}"
                        )
                if int(cells[-1]) != len(out):
                    notes.append(f"identifier: grand total {cells[-1]} != {len(out)}")
                break
            n_row = 0
            for j, cell in enumerate(cells[1:-1], start=1):
                for s in school_numbers(cell):
                    if s in out:
                        notes.append(f"identifier: school {s} listed twice")
                    out[s] = (cells[0], quality_groups[j])
                    col_count[j] += 1
                    n_row += 1
            if cells[-1] and int(cells[-1]) != n_row:
                notes.append(f"identifier: row {cells[0]} total {cells[-1]} != {n_row}")
        return out, notes

    def staffing(self) -> tuple[list[str], list[list[str]]]:
        """Header names (category names from the second header row) and data rows."""
        i = self.find(lambda s: s.startswith("ОО\tПроцент аттестованных педагогов"))
        top = self.lines[i].split("\t")
        sub = self.lines[i + 1].split("\t")
        header = [sub[j] if sub[j] else top[j] for j in range(len(top))]
        rows = []
        for line in self.lines[i + 2 :]:
            if not line.strip():
                break
            rows.append(line.split("\t"))
        return header, rows

    def risk_tables(self) -> list[tuple[str, str, str, str]]:
        """[(school, factor name, significance, table number)] for tables 4, 5, 6."""
        out = []
        for table in ("4", "5", "6"):
            i = self.find(lambda s, t=table: s.strip() == f"Таблица {t}")
            h = self.find(lambda s: s.startswith("Факторы риска / значимость\t"), i)
            levels = [c.strip().lower() for c in self.lines[h].split("\t")[1:]]
            for line in self.lines[h + 1 :]:
                if not line.strip():
                    continue  # page breaks inside a table leave blank lines
                m = RISK_ROW.match(line.split("\t")[0])
                if not m or line.count("\t") != 3:
                    break
                cells = line.split("\t")
                for level, cell in zip(levels, cells[1:]):
                    for s in school_numbers(cell):
                        out.append((s, m.group(2).strip(), level, table))
        return out

    def territory(self) -> dict:
        """{school: 'город'|'село'} from the sentence listing urban and rural ШАНС schools."""
        line = self.lines[self.find(lambda s: "городских школ" in s and "сельских школ" in s)]
        urban_part, rural_part = line.split("сельских школ", 1)
        out = {}
        for part, terr in ((urban_part, "город"), (rural_part, "село")):
            m = re.search(r"ШАНС №№\s*([\d,\s]+)", part)
            for s in school_numbers(m.group(1)):
                out[s] = terr
        return out

    def cluster_schools(self) -> set[str]:
        out: set[str] = set()
        for i, line in enumerate(self.lines):
            if re.match(r"^Кластер \d+$", line.strip()):
                nxt = self.find(lambda s: bool(s.strip()), i + 1)
                out.update(school_numbers(self.lines[nxt]))
        return out


# ----------------------------------------------------------------------------- CSV reading
class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []

    def err(self, msg: str) -> None:
        self.errors.append(msg)


def read_csv(path: Path, rep: Report) -> tuple[list[str], list[dict]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        rep.err(f"{path.name}: file missing")
        return [], []
    except UnicodeDecodeError as exc:
        rep.err(f"{path.name}: not UTF-8 ({exc})")
        return [], []
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    header = rows[0]
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            rep.err(f"{path.name} line {n}: {len(row)} fields, header has {len(header)}")
            continue
        d = dict(zip(header, row))
        d["__line__"] = n
        out.append(d)
    return header, out


def check_header(name: str, header: list[str], expected: list[str], rep: Report) -> None:
    if header != expected:
        rep.err(f"{name}: header {';'.join(header)!r} != expected {';'.join(expected)!r}")


def compare_keyed(
    name: str, key_cols: list[str], rows: list[dict], expected: dict, value_cols: list[str], rep: Report
) -> None:
    seen = {}
    for r in rows:
        key = tuple(r[c] for c in key_cols)
        if key in seen:
            rep.err(f"{name} line {r['__line__']}: duplicate key {key} (also line {seen[key]})")
            continue
        seen[key] = r["__line__"]
        if key not in expected:
            rep.err(f"{name} line {r['__line__']}: row {key} is not in the seed")
            continue
        for col, want in zip(value_cols, expected[key]):
            if r[col] != want:
                rep.err(f"{name} line {r['__line__']} {key} [{col}]: CSV {r[col]!r} != seed {want!r}")
    for key in expected:
        if key not in seen:
            rep.err(f"{name}: seed row {key} missing from CSV")


# ----------------------------------------------------------------------------- checks
def check_results(seed: Seed, data: Path, rep: Report) -> dict:
    expected, names = seed.results()
    header, rows = read_csv(data / "results.csv", rep)
    cols = labels("results")
    check_header("results.csv", header, cols, rep)
    compare_keyed("results.csv", cols[:4], rows, expected, cols[4:9], rep)
    return names


def check_indices(seed: Seed, data: Path, rep: Report) -> set[str]:
    iursh = seed.iursh_table()
    ident, notes = seed.identifier_table()
    rep.notes.extend(notes)
    expected = {}
    for s in set(iursh) | set(ident):
        iursh_group, quality, isbsh_group = iursh.get(s, ("", "", ""))
        id_isbsh, id_quality = ident.get(s, ("", ""))
        if isbsh_group and id_isbsh and isbsh_group != id_isbsh:
            rep.notes.append(
                f"indices: school {s} ИСБШ group {isbsh_group} (15-school table) "
                f"vs {id_isbsh} (identifier); the 15-school value is expected"
            )
        expected[(s,)] = ["", isbsh_group or id_isbsh, "", iursh_group, quality, id_quality]
    header, rows = read_csv(data / "indices.csv", rep)
    cols = labels("indices")
    check_header("indices.csv", header, cols, rep)
    compare_keyed("indices.csv", cols[:1], rows, expected, cols[1:], rep)
    return {k[0] for k in expected}


def percent_value(text: str) -> Decimal | None:
    """'39,1' -> Decimal('39.1'); None when the cell is not a plain number."""
    try:
        return Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None


def percent_to_count(text: str) -> str | None:
    """Printed percentage -> count column value: round(percent × 10) as an integer string.

    None when the percentage is not a number or has more than one decimal (then × 10 would not
    be a whole number and the share would no longer be exact).
    """
    value = percent_value(text)
    if value is None:
        return None
    scaled = value * PERCENT_SCALE
    if scaled != scaled.to_integral_value():
        return None
    return str(int(scaled.to_integral_value(rounding=ROUND_HALF_UP)))


def check_teachers(seed: Seed, data: Path, rep: Report) -> set[str]:
    sheader, srows = seed.staffing()
    pos = {h.rstrip("*"): j for j, h in enumerate(sheader)}
    contract = labels("teachers")
    # Extra columns in seed order: the printed percentages of the categories (renamed), then the
    # rest of the table under its own headers. Вакансии is a contract column.
    extra_src = [h for h in sheader[1:] if h.rstrip("*") != "Вакансии"]
    extra_names = [PERCENT_COLUMNS.get(h.rstrip("*"), h) for h in extra_src]
    expected = {}
    for r in srows:
        counts = {}
        for short, col in CATEGORY_COLUMNS.items():
            printed = r[pos[short]]
            count = percent_to_count(printed)
            if count is None:
                rep.err(f"seed: school {r[0]} {short} {printed!r} is not a percentage with ≤ 1 decimal")
                count = printed
            counts[col] = count
        expected[(r[0],)] = [
            NOTIONAL_TEACHERS_TOTAL,
            "",
            counts[CATEGORY_COLUMNS["ВКК"]],
            counts[CATEGORY_COLUMNS["1КК"]],
            counts[CATEGORY_COLUMNS["СЗД"]],
            "",
            r[pos["Вакансии"]],
        ] + [r[sheader.index(h)] for h in extra_src]
    header, rows = read_csv(data / "teachers.csv", rep)
    check_header("teachers.csv", header, contract + extra_names, rep)
    compare_keyed("teachers.csv", contract[:1], rows, expected, contract[1:] + extra_names, rep)
    # Internal consistency of the CSV itself: each count = round(verbatim percent × 10), and the
    # share count / total × 100 reproduces the verbatim percentage exactly.
    total = Decimal(NOTIONAL_TEACHERS_TOTAL)
    for r in rows:
        where = f"teachers.csv line {r['__line__']} ({r.get('Код ОО', '?')})"
        if r.get("Всего педагогов") != NOTIONAL_TEACHERS_TOTAL:
            continue  # already reported by compare_keyed
        for short, col in CATEGORY_COLUMNS.items():
            pcol = PERCENT_COLUMNS[short]
            if col not in r or pcol not in r:
                continue  # header error already reported
            want = percent_to_count(r[pcol])
            if want is None:
                rep.err(f"{where} [{pcol}]: {r[pcol]!r} is not a percentage with ≤ 1 decimal")
            elif r[col] != want:
                rep.err(f"{where} [{col}]: {r[col]!r} != round({r[pcol]} × {PERCENT_SCALE}) = {want}")
            elif Decimal(r[col]) / total * 100 != percent_value(r[pcol]):
                rep.err(f"{where} [{col}]: share {r[col]}/{total} does not reproduce {r[pcol]} %")
    return {k[0] for k in expected}


def check_risk(seed: Seed, data: Path, rep: Report) -> set[str]:
    expected = Counter(seed.risk_tables())
    cols = labels("risk_profiles") + ["Таблица"]
    header, rows = read_csv(data / "risk_profiles.csv", rep)
    check_header("risk_profiles.csv", header, cols, rep)
    got = Counter(tuple(r[c] for c in cols) for r in rows)
    for row in sorted((got - expected).elements()):
        rep.err(f"risk_profiles.csv: row {';'.join(row)} is not in the seed (or duplicated)")
    for row in sorted((expected - got).elements()):
        rep.err(f"risk_profiles.csv: seed row {';'.join(row)} missing from CSV")
    keys = Counter((r[cols[0]], r[cols[1]]) for r in rows)
    for key, n in keys.items():
        if n > 1:
            rep.err(f"risk_profiles.csv: key (school, factor) {key} occurs {n} times")
    return {row[0] for row in expected}


def check_school_58(seed: Seed, used_elsewhere: set[str], rep: Report) -> None:
    """The note on school 58 claims it is named once only, in table 4 (factor 1, low)."""
    rows_58 = [row for row in seed.risk_tables() if row[0] == "58"]
    if rows_58 != SCHOOL_58_RISK_ROWS:
        rep.err(f"seed: school 58 risk rows {rows_58} != {SCHOOL_58_RISK_ROWS}; revise its note")
    if "58" in used_elsewhere:
        rep.err("seed: school 58 appears outside table 4; revise its note in schools.csv")
    rep.notes.append("schools: 58 is named only in table 4 (likely a misprint of 28); kept as printed")


def check_schools(seed: Seed, data: Path, rep: Report, names: dict, used: set[str]) -> None:
    territory = seed.territory()
    named = used | set(names) | seed.cluster_schools() | set(territory)
    for s in SCHOOL_NOTES:
        if s not in named:
            rep.err(f"schools: {s} has a note but is not named in the seed")
    expected = {}
    for s in named:
        name = names.get(s, f"ОО № {s}")
        expected[(s,)] = [name, kind_from_name(name), territory.get(s, ""), "", SCHOOL_NOTES.get(s, "")]
    cols = labels("schools") + [SCHOOL_NOTE_COLUMN]
    header, rows = read_csv(data / "schools.csv", rep)
    check_header("schools.csv", header, cols, rep)
    compare_keyed("schools.csv", cols[:1], rows, expected, cols[1:], rep)
    present = {r["Код ОО"] for r in rows if "Код ОО" in r}
    for s in sorted(used - present, key=int):
        rep.err(f"school {s} is used in a data file but absent from schools.csv")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "seed",
        nargs="?",
        type=Path,
        default=DEFAULT_SEED,
        help="source text file (default: data_raw/pervouralsk/source/programme_2023-2025.txt)",
    )
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder with the transcribed CSVs (default: data_raw/pervouralsk/2022)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="also print notes")
    args = ap.parse_args(argv)

    if not args.seed.is_file():
        print(f"seed not found: {args.seed}")
        return 2
    seed = Seed(args.seed)
    rep = Report()
    check_labels(rep)
    names = check_results(seed, args.data, rep)
    used = {k[0] for k in seed.results()[0]}
    used |= check_indices(seed, args.data, rep)
    used |= check_teachers(seed, args.data, rep)
    check_school_58(seed, used | set(names) | seed.cluster_schools() | set(seed.territory()), rep)
    used |= check_risk(seed, args.data, rep)
    check_schools(seed, args.data, rep, names, used)

    if args.verbose:
        for note in rep.notes:
            print("NOTE:", note)
    for e in rep.errors:
        print("DIFF:", e)
    if rep.errors:
        print(f"FAILED: {len(rep.errors)} difference(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
