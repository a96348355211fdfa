"""The season pipeline: from a folder of input files to the published tables of every season.

- :mod:`.dataset` — load and validate seasons (:func:`load_dataset`, :class:`Dataset`);
- :mod:`.season` — one season computed: :func:`compute_season` → :class:`SeasonResult`
  (statuses, indices, the quality model, clusters);
- :mod:`.batch` — many seasons sharing their work (:func:`compute_all`, :func:`iter_compute`)
  and ``shnor compute`` (:func:`compute_outputs`);
- :mod:`.outputs` — writing a season's tables atomically (:func:`write_outputs`);
- :mod:`.provenance` — the run manifest.
"""

from .batch import compute_all, compute_outputs, iter_compute
from .dataset import Dataset, load_dataset
from .outputs import StagedOutputs, stage_outputs, write_outputs
from .season import SCHOOL_COLUMNS, SeasonResult, compute_season

__all__ = ["Dataset", "load_dataset", "SeasonResult", "SCHOOL_COLUMNS", "compute_season", "compute_all",
           "iter_compute", "compute_outputs", "write_outputs", "stage_outputs", "StagedOutputs"]
