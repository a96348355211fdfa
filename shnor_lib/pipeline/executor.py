"""Where the tasks of a run execute: a :class:`concurrent.futures.Executor`.

``shnor compute`` splits the municipalities into tasks (each loads, validates, computes and
stages its own seasons) and submits them to an executor: by default worker processes on this
machine (:func:`local_executor`). Anything with the same interface — ``submit(fn, *args)``
returning a :class:`concurrent.futures.Future` — can take their place: :func:`cluster_executor`
gives a Dask distributed cluster's ``Client(address).get_executor()`` (``--scheduler ADDRESS``),
whose workers must see the same data and output folders. :func:`run_tasks` waits for every
task, so one failing task never hides what the others found.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import ShnorError

__all__ = ["Executor", "TaskOutcome", "call_with_env", "cluster_executor", "local_executor", "run_tasks"]

#: Seconds to wait for the scheduler of ``--scheduler ADDRESS`` before giving up.
CONNECT_TIMEOUT = 10


@contextmanager
def local_executor(workers: int, initializer: Callable[[], object] | None = None) -> Iterator[Executor]:
    """``workers`` processes on this machine, started with ``spawn`` (the parent may hold threads,
    which must never be forked); shut down, after their tasks, on leaving the ``with`` block.
    ``initializer`` runs once in each process as it starts (e.g. to keep a browser for its life)."""
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"),
                             initializer=initializer) as pool:
        yield pool


@contextmanager
def cluster_executor(address: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[tuple[Executor, int]]:
    """The workers of the Dask distributed cluster whose scheduler listens at ``address``.

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786`` (what ``dask scheduler`` prints).
    timeout : float
        Seconds to wait for the scheduler.

    Yields
    ------
    (executor, slots)
        A :class:`concurrent.futures.Executor` submitting to the cluster (tasks are never
        deduplicated: ``pure=False``) and the number of worker threads it had when connected
        (at least 1), to split the work into enough tasks.

    Raises
    ------
    ShnorError
        ``dask[distributed]`` is not installed, or the scheduler cannot be reached; the
        message says what to do.
    """
    try:
        # here: an optional heavy dependency, needed only with --scheduler
        from distributed import Client
    except ImportError:
        raise ShnorError("Для работы на кластере (--scheduler) нужен пакет dask[distributed], а он не установлен. "
                         "Установите его: pip install 'shnor[cluster]' (или pip install 'dask[distributed]') — "
                         "или запустите команду без --scheduler, на этом компьютере.") from None
    _check_reachable(address, timeout)
    failure = None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    # MemoryError: a port that speaks another protocol (Dask reads a garbage frame length)
    except (OSError, TimeoutError, ValueError, TypeError, MemoryError) as exc:
        failure = (f"Не удалось подключиться к планировщику Dask по адресу «{address}» за {timeout:g} с "
                   f"({type(exc).__name__}). {_ADDRESS_HINT}")
    if failure is not None:
        # the half-made client prints a traceback when collected: collect it now, quietly
        hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
        try:
            gc.collect()
        finally:
            sys.unraisablehook = hook
        raise ShnorError(failure)
    try:
        slots = sum(client.nthreads().values())
        yield client.get_executor(pure=False), max(1, slots)
    finally:
        client.close()


_ADDRESS_HINT = ("Проверьте адрес (вид: tcp://хост:8786 — его печатает команда `dask scheduler`) и что "
                 "планировщик запущен и доступен с этого компьютера; или запустите команду без --scheduler.")


def _check_reachable(address: str, timeout: float) -> None:
    """Refuse a malformed or unreachable scheduler address before a Dask client is made (a
    client that failed to connect prints its own traceback when it is collected)."""
    # here: an optional heavy dependency, needed only with --scheduler
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        raise ShnorError(f"--scheduler «{address}»: это не адрес планировщика Dask. {_ADDRESS_HINT}") from None
    if scheme not in ("tcp", "tls"):
        raise ShnorError(f"--scheduler «{address}»: протокол «{scheme}» не поддерживается (нужен tcp:// или tls://). "
                         f"{_ADDRESS_HINT}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = "истекло время ожидания" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise ShnorError(f"Не удалось подключиться к планировщику Dask по адресу «{address}»: {reason}. "
                         f"{_ADDRESS_HINT}") from None


def call_with_env(env: dict[str, str], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with ``env`` set in the environment of the process running it.

    Local worker processes inherit the environment of the run; a cluster's workers do not,
    so a task that reads an environment variable (e.g. the report's cache folder) is
    submitted as ``call_with_env(env, fn, ...)``.
    """
    os.environ.update(env)
    return fn(*args, **kwargs)


@dataclass
class TaskOutcome:
    """What one task gave: its ``value``, or the ``error`` it raised (then ``value`` is None)."""

    value: Any = None
    error: BaseException | None = None


def run_tasks(executor: Executor, fn: Callable[..., Any], tasks: Sequence[tuple],
              on_done: Callable[[Any], object] | None = None) -> list[TaskOutcome]:
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
