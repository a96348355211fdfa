"""A report run leaves no kernel noise on the user's terminal.

jupyter_client interrupts a kernel (SIGINT) before shutting it down. When the interrupt
arrives while the kernel is still finishing its last request, the kernel prints
«[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.» on the terminal of ``shnor report``:
rarely (a race of milliseconds), more often on a loaded machine. The notebook below widens that
window deterministically: it makes the kernel answer the client's last request
(``kernel_info_request``, sent by papermill after the cells) and then stay two seconds inside it.
"""

from __future__ import annotations

import nbformat

from shnor_lib.report.runner import ReportJob, run_report

BUSY_AFTER_LAST_REPLY = '''\
import time

kernel = get_ipython().kernel
answer = kernel.shell_handlers["kernel_info_request"]


async def answer_then_stay_busy(*args):
    await answer(*args)
    time.sleep(2)  # the reply is sent; the kernel is still inside the request


kernel.shell_handlers["kernel_info_request"] = answer_then_stay_busy
'''


def test_shutting_the_kernel_down_prints_no_keyboard_interrupt(tmp_path, capfd):
    notebook = tmp_path / "busy.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BUSY_AFTER_LAST_REPLY)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    outcome = run_report(ReportJob(notebook, tmp_path / "out"), formats=())
    assert outcome.ok, outcome.error
    terminal = capfd.readouterr()
    assert "KeyboardInterrupt" not in terminal.err + terminal.out
    assert "IPKernelApp" not in terminal.err + terminal.out
