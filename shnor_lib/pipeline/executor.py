"""Where the tasks of a run execute: a :class:`concurrent.futures.Executor`.

``shnor compute`` splits the municipalities into tasks (each loads, validates, computes and
stages its own seasons) and submits them to an executor: by default worker processes on this
machine (:func:`local_executor`). Anything with the same interface — ``submit(fn, *args)``
returning a :class:`concurrent.futures.Future` — can take their place, e.g. a Dask cluster's
``Client(address).get_executor()``, as long as its workers see the same data and output
folders. :func:`run_tasks` waits for every task, so one failing task never hides what the
others found.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["Executor", "TaskOutcome", "local_executor", "run_tasks"]


@contextmanager
def local_executor(workers: int) -> Iterator[Executor]:
    """``workers`` processes on this machine, started with ``spawn`` (the parent may hold threads,
    which must never be forked); shut down, after their tasks, on leaving the ``with`` block."""
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@dataclass
class TaskOutcome:
    """What one task gave: its ``value``, or the ``error`` it raised (then ``value`` is None)."""

    value: Any = None
    error: BaseException | None = None


def run_tasks(executor: Executor, fn: Callable[..., Any], tasks: Sequence[tuple],
              on_done: Callable[[Any], None] | None = None) -> list[TaskOutcome]:
    """Run ``fn(*task)`` for every task on ``executor`` and wait for all of them.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        From :func:`local_executor`, or any executor with the same interface.
    fn : callable
        A module-level function (worker processes import it by name).
    tasks : sequence of tuple
        The arguments of each call.
    on_done : callable, optional
        Called in this process with the value of each task that succeeded, as it finishes
        (e.g. to advance a progress bar).

    Returns
    -------
    list of TaskOutcome
        In the order of ``tasks``, whatever order they finished in. A task that raised does
        not stop the others: its error is in its outcome, for the caller to raise once every
        task has finished (and every staged output can be cleaned up).
    """
    futures = {executor.submit(fn, *task): i for i, task in enumerate(tasks)}
    outcomes = [TaskOutcome() for _ in tasks]
    for future in as_completed(futures):
        i = futures[future]
        try:
            outcomes[i].value = future.result()
        except BaseException as exc:  # noqa: BLE001 - kept for the caller, which re-raises it after the others
            outcomes[i].error = exc
            continue
        if on_done is not None:
            on_done(outcomes[i].value)
    return outcomes
