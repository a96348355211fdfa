#!/usr/bin/env bash
# Set up shnor on a fresh Debian/Ubuntu machine and build the demo season's reports.
#   bash scripts/setup.sh            # install + reports for data_raw/demo
#   SHNOR_SKIP_DEMO=1 bash scripts/setup.sh   # install only
# It ends by printing the one line that makes `shnor` a command of the terminal:
#   source <folder of the program>/.venv/bin/activate
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

# PDF reports need a Chrome/Chromium; the PDF checks need poppler-utils; DejaVu fonts carry Cyrillic.
need=()
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
   && ! command -v google-chrome >/dev/null && ! command -v google-chrome-stable >/dev/null; then
  need+=(chromium)
fi
command -v pdftotext >/dev/null || need+=(poppler-utils)
{ command -v fc-list >/dev/null && fc-list | grep -qi dejavu; } || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "Устанавливаю системные пакеты: ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Не найдены: ${need[*]}. Отчёты HTML будут сформированы; для PDF установите Chrome или Chromium." >&2
  fi
fi

if [ -z "${SHNOR_SKIP_DEMO:-}" ]; then
  .venv/bin/shnor report --municipality demo
fi

# The one line that puts `shnor` on the PATH of the user's terminal (once per terminal window).
printf '\nГотово. Чтобы команда shnor работала в этом окне терминала, выполните:\n    source %q\n' \
  "$PWD/.venv/bin/activate"
