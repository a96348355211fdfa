"""The season pipeline: from a folder of input files to the published tables of every season.

- :mod:`.dataset` — load and validate seasons (:func:`load_dataset`, :class:`Dataset`);
- :mod:`.season` — one season computed: :func:`compute_season` → :class:`SeasonResult`
  (statuses, indices, the quality model, clusters);
- :mod:`.support` — the season's support analyses over its consecutive years (indicators, risk
  profiles and recommendations, dynamics, leader pairs): :class:`SupportResult`;
- :mod:`.batch` — many seasons sharing their work (:func:`compute_all`, :func:`iter_compute`)
  and ``shnor compute`` (:func:`compute_outputs`);
- :mod:`.executor` — where the tasks of a run execute (a ``concurrent.futures`` executor);
- :mod:`.outputs` — writing a season's tables atomically (:func:`write_outputs`);
- :mod:`.provenance` — the run manifest;
- :mod:`.published` — what a season's last published справка showed (``published.json``).
"""

from .batch import compute_all, compute_outputs, iter_compute
from .dataset import Dataset, load_dataset
from .executor import local_executor, run_tasks
from .outputs import StagedOutputs, stage_outputs, write_outputs
from .season import SCHOOL_COLUMNS, SeasonResult, compute_season, season_history
from .support import SupportResult, compute_support, support_tables

__all__ = ["Dataset", "load_dataset", "SeasonResult", "SCHOOL_COLUMNS", "compute_season", "season_history",
           "SupportResult", "compute_support", "support_tables", "compute_all", "iter_compute", "compute_outputs",
           "local_executor", "run_tasks", "write_outputs", "stage_outputs", "StagedOutputs"]
