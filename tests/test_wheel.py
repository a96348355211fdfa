"""The built wheel works outside the checkout: it carries the default parameters, vocabulary,
catalogues, notebooks and templates, and a project's own ``parameters/`` overrides them.

The wheel is built from this checkout (no network: hatchling is a dev dependency) and installed
into a fresh virtual environment in a temporary folder. The environment borrows the third-party
libraries of the project's environment through a ``.pth`` line naming its site-packages (and
their Jupyter data files through ``JUPYTER_PATH``): a plain path line, so the checkout's
editable-install hook in that folder is not run and ``shnor_lib`` can only come from the wheel
(the test checks where it was imported from). No network is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SHIPPED = ["parameters/default.yml", "parameters/vocabulary.yml", "parameters/indicators.yml",
           "parameters/recommendations.yml", "notebooks/season_report.ipynb", "notebooks/school_card.ipynb"]


def _run(cmd: list[str], cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} → {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin folder, environment) of a fresh venv holding only the wheel of this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SHNOR_CACHE_DIR")}
    built = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "--no-index",
                  "-w", str(base / "dist"), str(REPO)], base, env)
    wheel = next((base / "dist").glob("shnor-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
          str(wheel)], base, env)
    # the libraries the wheel depends on, from the project's environment (offline, seconds)
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     base, env).stdout.strip())
    (site / "zz_project_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # pip installs the data files of those libraries (nbconvert's HTML templates) under their
    # environment's share/jupyter, where Jupyter looks for them
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return wheel, venv / "bin", env, built.stdout + built.stderr


def test_the_wheel_carries_parameters_notebooks_and_templates(installed):
    wheel, _, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in SHIPPED:
        assert f"shnor_lib/resources/{source}" in names, source
    assert "shnor_lib/report/templates/shnor_report/index.html.j2" in names


def test_installed_wheel_computes_and_reports_the_demo_outside_the_checkout(installed, tmp_path):
    _, bin_dir, env, _ = installed
    project = tmp_path / "проект"
    shutil.copytree(REPO / "data_raw" / "demo", project / "data_raw" / "demo")
    # the project's own parameters/demo.yml overrides the shipped one
    shipped = (REPO / "parameters" / "demo.yml").read_text(encoding="utf-8")
    assert "municipality_name: Демонстрационный муниципальный округ" in shipped
    (project / "parameters").mkdir()
    (project / "parameters" / "demo.yml").write_text(
        shipped.replace("Демонстрационный муниципальный округ", "Проверочный округ из проекта"), encoding="utf-8")

    where = _run([str(bin_dir / "python"), "-c", "import shnor_lib; print(shnor_lib.__file__)"], tmp_path, env)
    assert Path(where.stdout.strip()).is_relative_to(bin_dir.parent), where.stdout
    assert not Path(where.stdout.strip()).is_relative_to(REPO)

    common = ["--data-root", "проект/data_raw", "--out", "результаты", "--municipality", "demo", "--year", "2024"]
    computed = _run([str(bin_dir / "shnor"), "compute", *common], tmp_path, env)
    assert "parameters/demo.yml" in computed.stdout and "Проверочный округ из проекта" in computed.stdout
    season = tmp_path / "результаты" / "demo" / "2024"
    for name in ("schools.csv", "schools.xlsx", "metrics.csv", "manifest.json"):
        assert (season / name).is_file(), name

    _run([str(bin_dir / "shnor"), "report", *common, "--format", "html", "--no-cards", "--jobs", "1"], tmp_path, env)
    report = (season / "report.html").read_text(encoding="utf-8")
    assert "Проверочный округ из проекта" in report
    assert (season / "report.ipynb").is_file() and (tmp_path / "результаты" / "index.html").is_file()
    assert str(REPO) not in report


def test_building_the_package_prints_no_deprecation_warnings(installed):
    # the build backend's own output (pip -v): setuptools used to print walls about `project.license`
    log = installed[3]
    assert "Successfully built shnor" in log or "Saved" in log, log[-2000:]
    assert "deprecat" not in log.lower() and "warning" not in log.lower(), log[-4000:]
