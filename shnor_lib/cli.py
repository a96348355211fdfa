"""Command line: ``shnor validate``, ``shnor compute``, ``shnor report``.

Exit codes: 0 — done; 2 — input or parameter errors (nothing written);
1 — some reports failed (the others are written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DataValidationError, ParameterError, ShnorError

__all__ = ["main"]

EXIT_DATA = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", default="data_raw", help="папка с данными сезонов (по умолчанию data_raw)")
    p.add_argument("--municipality", default="all", help="муниципалитет или all")
    p.add_argument("--year", default="all", help="год или all")
    p.add_argument("--strict", action="store_true", help="любая исключённая или преобразованная строка — ошибка")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="shnor", description="Выявление и поддержка ШНОР и ШНСУ: расчёт и отчёты.")
    sub = ap.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="создать шаблоны XLSX для нового сезона")
    i.add_argument("--data-root", default="data_raw", help="папка с данными сезонов (по умолчанию data_raw)")
    i.add_argument("--municipality", required=True, help="муниципалитет (имя папки)")
    i.add_argument("--year", required=True, help="год сезона, например 2025")
    i.add_argument("--overwrite", action="store_true", help="заменить уже созданные шаблоны XLSX")
    v = sub.add_parser("validate", help="проверить входные файлы")
    _common(v)
    c = sub.add_parser("compute", help="рассчитать статусы, индексы и модель; записать таблицы")
    _common(c)
    c.add_argument("--out", default="outputs", help="папка результатов (по умолчанию outputs)")
    c.add_argument("--params", default=None, help="дополнительный файл параметров YAML")
    r = sub.add_parser("report", help="рассчитать и сформировать отчёты HTML/PDF")
    _common(r)
    r.add_argument("--out", default="outputs", help="папка результатов (по умолчанию outputs)")
    r.add_argument("--params", default=None, help="дополнительный файл параметров YAML")
    r.add_argument("--format", default="html,pdf", help="форматы отчёта: html,pdf")
    r.add_argument("--jobs", type=int, default=None, help="число параллельных отчётов (по умолчанию — число ядер)")
    r.add_argument("--resume", action="store_true",
                   help="не пересчитывать отчёты, у которых не изменились данные, параметры и блокнот")
    r.add_argument("--no-cards", action="store_true",
                   help="не формировать карточки школ (только аналитические справки; быстрее)")
    return ap


def _parameters_dir(data_root: Path) -> Path | None:
    candidate = data_root.resolve().parent / "parameters"
    return candidate if (candidate / "default.yml").exists() else None


def _check_selection(args) -> None:
    """Municipality and year become folder names: refuse ../, separators and odd characters."""
    from .paths import safe_component

    if args.municipality != "all":
        safe_component(args.municipality, "муниципалитет")
    if args.year != "all":
        y = safe_component(args.year, "год")
        if not (y.isascii() and y.isdigit()):
            from .errors import PathError
            raise PathError(f"Недопустимое значение (год): «{y}» — ожидается год цифрами, например 2024, или all.")


def _cmd_init(args) -> int:
    from .xlsx_templates import create_templates

    written = create_templates(Path(args.data_root), args.municipality, args.year, overwrite=args.overwrite,
                               log=print)
    print(f"Создано шаблонов: {len(written)}. Заполните их и запустите: "
          f"shnor validate --municipality {args.municipality} --year {args.year}")
    return 0


def _load(args):
    from .pipeline import load_dataset

    _check_selection(args)
    data = load_dataset(Path(args.data_root), args.municipality, args.year, strict=args.strict)
    return data


def _cmd_validate(args) -> int:
    data = _load(args)
    n_issues = 0
    for (m, y) in data.keys(args.municipality, args.year):
        s = data.seasons[(m, y)]
        n_issues += len(s.issues)
        files = ", ".join(sorted(s.tables))
        print(f"{m} {y}: файлы в порядке ({files}); строк исключено/преобразовано: {len(s.issues)}")
        for _, i in s.issues.iterrows():
            print(f"    {i['file']}, строка {i['row']}: {i['action']} — {i['reason']}")
        for _, r in s.readings.iterrows():
            print(f"    {r['file']}, столбец «{r['column']}»: «{r['written']}» прочитано как «{r['read_as']}» "
                  f"(словарь parameters/vocabulary.yml; {_rows_word(r['rows'])})")
        for file, header in s.unknown_columns:
            print(f"    {file}: столбец «{header}» не входит в формат файла — не используется")
    print("Проверка завершена: структурных ошибок нет.")
    return 0


def _rows_word(n: int) -> str:
    from .narrative import plural

    return f"{n} {plural(n, 'строка', 'строки', 'строк')}"


def _cmd_compute(args) -> int:
    from functools import partial

    from tqdm import tqdm

    from .params import load_params
    from .pipeline import compute_outputs
    from .readers import list_seasons

    _check_selection(args)
    root = Path(args.data_root)
    params_for = partial(load_params, path=args.params, parameters_dir=_parameters_dir(root))
    total = len(list_seasons(root, args.municipality, args.year))
    # Compute everything first, publish afterwards: a failure leaves no partial set.
    with tqdm(total=total, desc="Расчёт", unit="сезон", disable=total < 2, file=sys.stderr) as bar:
        written = compute_outputs(root, Path(args.out), args.municipality, args.year, params_for,
                                  strict=args.strict, progress=bar.update)
    for _, target, line, notes in written:
        print(f"{line} → {target}")
        for note in notes:
            print(f"    примечание: {note}")
    return 0


def _cmd_report(args) -> int:
    from .reporting import run_season_reports

    return run_season_reports(args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"init": _cmd_init, "validate": _cmd_validate, "compute": _cmd_compute, "report": _cmd_report}
    try:
        return handlers[args.command](args)
    except DataValidationError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_DATA
    except ParameterError as exc:
        print(f"Ошибка в параметрах: {exc}", file=sys.stderr)
        return EXIT_DATA
    except ShnorError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("Прервано.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
