"""MkDocs hook: parts of pages generated from the project itself, so they cannot drift.

Markers replaced in a page's Markdown before it is rendered:

``<!-- shnor:contract -->``
    the tables of the data contract, from :data:`shnor_lib.contract.schema.CONTRACT` (the same
    declaration that drives reading, validation and the ``shnor init`` templates);
``<!-- shnor:default-yml -->``
    ``parameters/default.yml`` verbatim, as a YAML code block;
``<!-- shnor:indicators -->``
    the indicator catalogue ``parameters/indicators.yml`` as read and checked by
    :func:`shnor_lib.analysis.indicators.load_catalogue`.

A marker that names something unknown stops the build (``mkdocs build --strict``).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_KINDS = {"str": "текст", "int": "целое число", "float": "число", "yesno": "да/нет"}


def _contract_tables() -> str:
    from shnor_lib.contract.schema import CONTRACT

    out = []
    for spec in CONTRACT.values():
        need = "обязательный файл" if spec.required else "необязательный файл"
        out.append(f"#### `{spec.stem}` — {spec.title} {{ #file-{spec.stem} }}\n")
        key = " × ".join(f"«{spec.column(k).label}»" for k in spec.key)
        out.append(f"*{need.capitalize()}; одна строка — {key}.*")
        if spec.notes:
            out.append(f" {spec.notes}")
        out.append("\n")
        out.append("| Заголовок (рус.) | Заголовок (англ.) | Тип | Обязательный | Единица | Другие принятые заголовки |")
        out.append("|---|---|---|---|---|---|")
        for c in spec.columns:
            aliases = ", ".join(f"«{a}»" for a in c.aliases)
            out.append(f"| {c.label} | `{c.name}` | {_KINDS.get(c.kind, c.kind)} | {'да' if c.required else ''} "
                       f"| {c.unit} | {aliases} |")
        out.append("")
    return "\n".join(out)


def _default_yml() -> str:
    text = (REPO / "parameters" / "default.yml").read_text(encoding="utf-8")
    return "```yaml\n" + text.rstrip("\n") + "\n```"


_POPULATIONS = {"all": "все ОО", "shnor": "ШНОР", "shnsu": "ШНСУ", "shnor_shnsu": "ШНОР ∪ ШНСУ",
                "risk_zone": "зона риска"}


def _indicators() -> str:
    from shnor_lib.analysis.indicators import load_catalogue

    catalogue = load_catalogue(REPO / "parameters" / "indicators.yml")
    out = ["| Код | Показатель | Уровень | Совокупность | Единица | Лучше | Источник |",
           "|---|---|---|---|---|---|---|"]
    for i in catalogue:
        level = "школа" if i.level == "school" else "муниципалитет"
        better = "больше" if i.direction == "higher_better" else "меньше"
        out.append(f"| `{i.code}` | {i.name} | {level} | {_POPULATIONS.get(i.population, i.population)} "
                   f"| {i.unit} | {better} | {i.source} |")
    return "\n".join(out)


_MARKERS = {"<!-- shnor:contract -->": _contract_tables, "<!-- shnor:default-yml -->": _default_yml,
            "<!-- shnor:indicators -->": _indicators}


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (MkDocs hook signature)
    for marker, render in _MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
