"""Command line: ``shnor init``, ``shnor validate``, ``shnor compute``, ``shnor report``.

Exit codes: 0 — done; 1 — some reports failed (the others are written), or an internal
error of the program (a short message and the file holding the details); 2 — input,
parameter or command-line errors (nothing is written); 3 — the outputs cannot be written
(no permission, no space left on the disk). No traceback reaches the user unless
``--debug`` (or the environment variable ``SHNOR_DEBUG=1``) asks for it.

Every argument, folder and parameter file is checked before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import shlex
import sys
import traceback
from pathlib import Path

from .errors import ERRORS_FILE, DataValidationError, OutputError, ParameterError, PathError, ShnorError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_DATA, EXIT_WRITE = 0, 1, 2, 3
DEBUG_ENV = "SHNOR_DEBUG"
DEFAULT_OUT = "outputs"
SCREEN_LIMIT = 50  # structural problems printed; all of them go to <out>/validation_errors.txt

# argparse's own messages, in Russian (it has no Russian catalogue of its own).
_ARGPARSE_RU = [
    (r"unrecognized arguments: (.*)", r"неизвестные аргументы: \1"),
    (r"the following arguments are required: (.*)", r"не заданы обязательные аргументы: \1"),
    (r"argument (\S+): invalid int value: '(.*)'", r"аргумент \1: «\2» — не целое число"),
    (r"argument (\S+): expected one argument", r"аргумент \1: не указано значение"),
    (r"argument (\S+): invalid choice: '(.*)' \(choose from (.*)\)", r"аргумент \1: неизвестное значение «\2» "
                                                                     r"(допустимо: \3)"),
    (r"ambiguous option: (\S+) could match (.*)", r"неоднозначный аргумент \1: подходят \2"),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401 - argparse's hook
        for pattern, ru in _ARGPARSE_RU:
            if re.fullmatch(pattern, message):
                message = re.sub(pattern, ru, message)
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_DATA, f"{self.prog}: ошибка: {message}\n")


def _common(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("--data-root", default="data_raw", help="папка с данными сезонов (по умолчанию data_raw)")
    p.add_argument("--municipality", default="all", help="муниципалитет или all")
    p.add_argument("--year", default="all", help="год или all")
    p.add_argument("--strict", action="store_true", help="любая исключённая или преобразованная строка — ошибка")
    p.add_argument("--out", default=None, help=out_help)
    p.add_argument("--params", default=None, help="дополнительный файл параметров YAML")
    _debug(p, argparse.SUPPRESS)


def _debug(p: argparse.ArgumentParser, default) -> None:
    p.add_argument("--debug", action="store_true", default=default,
                   help=f"при внутренней ошибке показать трассировку (то же: {DEBUG_ENV}=1)")


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="shnor", description="Выявление и поддержка ШНОР и ШНСУ: расчёт и отчёты.")
    _debug(ap, False)
    sub = ap.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="создать шаблоны XLSX для нового сезона")
    i.add_argument("--data-root", default="data_raw", help="папка с данными сезонов (по умолчанию data_raw)")
    i.add_argument("--municipality", required=True, help="муниципалитет (имя папки)")
    i.add_argument("--year", required=True, help="год сезона, например 2025")
    i.add_argument("--overwrite", action="store_true", help="заменить уже созданные шаблоны XLSX")
    _debug(i, argparse.SUPPRESS)
    v = sub.add_parser("validate", help="проверить входные файлы")
    _common(v, "куда записать полный список ошибок, если он не помещается на экране (по умолчанию outputs)")
    c = sub.add_parser("compute", help="рассчитать статусы, индексы и модель; записать таблицы")
    _common(c, "папка результатов (по умолчанию outputs)")
    _scheduler(c)
    r = sub.add_parser("report", help="рассчитать и сформировать отчёты HTML/PDF")
    _common(r, "папка результатов (по умолчанию outputs)")
    r.add_argument("--format", default="html,pdf", help="форматы отчёта: html,pdf")
    r.add_argument("--jobs", type=int, default=None, help="число параллельных отчётов (по умолчанию — число ядер)")
    r.add_argument("--resume", action="store_true",
                   help="не пересчитывать отчёты, у которых не изменились данные, параметры и блокнот")
    r.add_argument("--no-cards", action="store_true",
                   help="не формировать карточки школ (только аналитические справки; быстрее)")
    _scheduler(r)
    return ap


def _scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="адрес планировщика кластера Dask (например tcp://10.0.0.5:8786): сезоны считаются на его "
                        "рабочих процессах, которым видны те же папки данных и результатов; нужен пакет "
                        "dask[distributed] (pip install 'shnor[cluster]')")


def cluster_or_local(address: str | None) -> contextlib.AbstractContextManager:
    """``(executor, workers)`` of the cluster at ``address`` (a context manager), or ``(None, None)``:
    the run's own processes on this machine."""
    if not address:
        return contextlib.nullcontext((None, None))
    from .pipeline.executor import cluster_executor

    return cluster_executor(address)


def _check_jobs_env() -> None:
    value = os.environ.get("SHNOR_JOBS", "").strip()
    if value and not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ShnorError(f"Переменная окружения SHNOR_JOBS = «{value}»: ожидается целое число не меньше 1 "
                         "(число параллельных процессов) или пусто.")


def _shown(path: str | Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _names(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" и ещё {len(items) - limit}" if len(items) > limit else "")


def params_lines(params_by_municipality: dict[str, dict]) -> list[str]:
    """What the run prints about its parameters: the files used and every value that differs
    from the package's defaults (municipalities with the same files and values together)."""
    from .config.params import differences_from_defaults, value_text

    groups: dict[tuple, list[str]] = {}
    for m, p in params_by_municipality.items():
        files = tuple(_shown(s) for s in p.get("_sources", [])[1:])
        diff = tuple(f"{k} = {value_text(v)}" for k, v in differences_from_defaults(p))
        groups.setdefault((files, diff), []).append(m)
    lines = []
    for (files, diff), munis in groups.items():
        used = " + ".join(("по умолчанию", *files))
        head = f"Параметры ({_names(munis)}): {used}"
        if diff:
            lines.append(f"{head}; отличаются от умолчаний:")
            lines.extend(f"    {d}" for d in diff)
        else:
            lines.append(f"{head}." if not files else f"{head}; значения совпадают с умолчаниями.")
    return lines


def _prepare(args, writes: bool) -> dict[str, dict]:
    """Every check that can be made before anything is written; print the parameters used.

    Returns the parameters of each selected municipality (loaded once, used by the run).
    """
    from .config.params import default_parameters_dir, load_project_params, project_parameters_dir
    from .io.paths import check_output_folder, check_selection, season_folder_problems
    from .io.readers import list_seasons

    check_selection(args.municipality, args.year)
    root = Path(args.data_root)
    pdir = project_parameters_dir(root)
    explicit, args.out = args.out is not None, args.out or DEFAULT_OUT
    try:
        check_output_folder(args.out, {"данных (--data-root)": root},
                            containers={"параметров": pdir, "параметров пакета": default_parameters_dir()},
                            writable=writes)
        args.out_checked = True
    except PathError:
        if writes or explicit:
            raise
        # validate writes nothing but a long list of errors: never into the data, and not for a default
        # folder that happens to lie there (`--data-root .`) — the list goes to the temporary folder then
        args.out_checked = False
    _check_jobs_env()
    odd = season_folder_problems(root, args.municipality)
    if odd:
        raise DataValidationError(odd)
    munis = sorted({m for m, _ in list_seasons(root, args.municipality, args.year)})
    params = {m: load_project_params(root, m, args.params) for m in munis}
    if args.params and not munis:
        load_project_params(root, None, args.params)  # a broken --params file is named even when no data are found
    for line in params_lines(params):
        print(line)
    # Everything is checked: a list of errors left by an earlier run must not pass for this run's.
    if args.out_checked:
        with contextlib.suppress(OSError):
            (Path(args.out) / ERRORS_FILE).unlink(missing_ok=True)
    return params


def _cmd_init(args) -> int:
    from .io.templates import create_templates

    written = create_templates(Path(args.data_root), args.municipality, args.year, overwrite=args.overwrite,
                               log=print)
    # the hint is a command that works as printed: the same data folder, quoted for the shell
    root = "" if args.data_root == "data_raw" else f" --data-root {shlex.quote(str(args.data_root))}"
    print(f"Создано шаблонов: {len(written)}. Заполните их и запустите: "
          f"shnor validate{root} --municipality {shlex.quote(str(args.municipality))} --year {args.year}")
    return EXIT_OK


def _load(args, params: dict[str, dict]):
    from .pipeline.dataset import load_dataset

    return load_dataset(Path(args.data_root), args.municipality, args.year, strict=args.strict, params_for=params)


def _cmd_validate(args) -> int:
    data = _load(args, _prepare(args, writes=False))
    for (m, y) in data.keys(args.municipality, args.year):
        s = data.seasons[(m, y)]
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
    return EXIT_OK


def _rows_word(n: int) -> str:
    from .report.format import plural

    return f"{n} {plural(n, 'строка', 'строки', 'строк')}"


def _cmd_compute(args) -> int:
    from tqdm import tqdm

    from .config.params import load_project_params
    from .io.readers import list_seasons
    from .pipeline.batch import compute_outputs

    loaded = _prepare(args, writes=True)
    root = Path(args.data_root)

    def params_for(m: str) -> dict:
        return loaded[m] if m in loaded else load_project_params(root, m, args.params)

    total = len(list_seasons(root, args.municipality, args.year))
    # Compute everything first, publish afterwards: a failure leaves no partial set.
    with cluster_or_local(args.scheduler) as (executor, workers), \
            tqdm(total=total, desc="Расчёт", unit="сезон", disable=total < 2, file=sys.stderr) as bar:
        written = compute_outputs(root, Path(args.out), args.municipality, args.year, params_for,
                                  strict=args.strict, progress=bar.update, jobs=workers, executor=executor)
    for _, target, line, notes in written:
        print(f"{line} → {target}")
        for note in notes:
            print(f"    примечание: {note}")
    return EXIT_OK


def _cmd_report(args) -> int:
    from .report.batch import check_report_arguments, run_season_reports

    check_report_arguments(args.format, args.jobs)
    _prepare(args, writes=True)
    return run_season_reports(args)


# ---------------------------------------------------------------- errors as the user reads them

_OS_REASONS = {
    errno.ENOSPC: ("на диске нет свободного места", "Освободите место или укажите --out на другом диске и "
                                                   "запустите команду снова."),
    errno.EDQUOT: ("исчерпана дисковая квота", "Освободите место или укажите --out в другом месте."),
    errno.EACCES: ("нет прав доступа", "Укажите другую папку (--out) или попросите администратора дать права."),
    errno.EPERM: ("операция запрещена", "Укажите другую папку (--out) или попросите администратора дать права."),
    errno.EROFS: ("диск доступен только для чтения", "Укажите --out на другом диске."),
    errno.ENOTDIR: ("в пути есть файл там, где нужна папка", "Укажите папку для результатов (--out)."),
    errno.EISDIR: ("там, где нужен файл, — папка", "Уберите эту папку или укажите другую --out."),
}


def _os_message(exc: OSError, args) -> str:
    """An error of the file system (disk full, no permission) in words, with what to do."""
    reason, hint = _OS_REASONS.get(exc.errno or 0, (exc.strerror or str(exc), "Проверьте папку и запустите снова."))
    out = Path(args.out).resolve() if getattr(args, "out", None) else None
    name = Path(os.fsdecode(exc.filename)).resolve() if exc.filename else None
    if out is not None and name is not None and name.is_relative_to(out):
        where = f" при записи в папку результатов «{_shown(out)}»"  # not the hidden temporary name
    elif name is not None:
        where = f" («{name}»)"
    else:
        where = ""
    return (f"Ошибка файловой системы{where}: {reason}. {hint} "
            "Наполовину записанных файлов нет: каждый файл заменяется целиком или остаётся прежним.")


def _crash_message(exc: BaseException, argv: list[str] | None) -> str:
    """A short message for an error the program did not expect; the traceback goes to a file."""
    import tempfile

    from . import __version__

    detail = "".join(traceback.format_exception(exc))
    try:
        fd, name = tempfile.mkstemp(prefix="shnor-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"shnor {__version__}\nкоманда: shnor {' '.join(argv or sys.argv[1:])}\n\n{detail}")
        where = f"Подробности записаны в файл {name} — приложите его, сообщая об ошибке разработчикам."
    except OSError:
        where = "Сообщите о ней разработчикам."
    first = (str(exc).strip().splitlines() or [""])[0]
    first = first if len(first) <= 200 else first[:199] + "…"
    return (f"Программа остановилась из-за непредвиденной ошибки ({type(exc).__name__}: {first}). {where} "
            f"Трассировка на экране — с --debug или {DEBUG_ENV}=1.")


def save_full_list(exc: DataValidationError, args: argparse.Namespace, shown: int) -> None:
    """When the screen showed only ``shown`` problems, write them all to ``<out>/validation_errors.txt``
    (the system's temporary folder when there is no usable ``--out``) and print where."""
    if len(exc.problems) <= shown:
        return
    saved = exc.save(Path(args.out) if getattr(args, "out_checked", False) else None)
    print(f"Все ошибки (всего: {len(exc.problems)}) записаны в файл: {saved.resolve()}", file=sys.stderr)


def _report_problems(exc: DataValidationError, args) -> None:
    print(exc.report(SCREEN_LIMIT), file=sys.stderr)
    save_full_list(exc, args, SCREEN_LIMIT)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")
    handlers = {"init": _cmd_init, "validate": _cmd_validate, "compute": _cmd_compute, "report": _cmd_report}
    try:
        return handlers[args.command](args)
    except DataValidationError as exc:
        _report_problems(exc, args)
        return EXIT_DATA
    except ParameterError as exc:
        print(f"Ошибка в параметрах: {exc}", file=sys.stderr)
        return EXIT_DATA
    except OutputError as exc:
        print(f"Ошибка записи: {exc}", file=sys.stderr)
        return EXIT_WRITE
    except ShnorError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("Прервано.", file=sys.stderr)
        return 130
    except OSError as exc:
        if debug:
            raise
        print(_os_message(exc, args), file=sys.stderr)
        return EXIT_WRITE
    except Exception as exc:
        if debug:
            raise
        print(_crash_message(exc, argv), file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
