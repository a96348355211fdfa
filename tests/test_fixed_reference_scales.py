"""Regional fixed reference scales (Методика §4.6): with ``quality.reference: fixed`` and
``iursh.group_cuts`` the groups mean the same in every municipality and year. Expected groups are
computed by hand from the formulas of §4.1 (half-sd bands) and the cut-points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib import load_params
from shnor_lib.analysis.indices import compute_iursh, compute_quality_groups, teacher_shares
from shnor_lib.config.params import ParameterError


def _params(tmp_path, text):
    p = tmp_path / "p.yml"
    p.write_text(text, encoding="utf-8")
    return load_params(path=p)


FRAME = pd.DataFrame({"municipality": ["a", "a", "a", "b", "b"], "year": 2024,
                      "school_id": ["1", "2", "3", "1", "2"], "quality_index": [0.8, 0.9, 1.0, 0.9, 0.95]})


def test_fixed_quality_scale_gives_the_same_group_to_the_same_index_in_every_municipality(tmp_path):
    p = _params(tmp_path, "quality:\n  reference: fixed\n  fixed: [0.9, 0.1]\n")
    # z = (q − 0.9) / 0.1: −1, 0, 1, 0, 0.5 → round(z / 0.5) + 6: 4, 6, 8, 6, 7
    assert list(compute_quality_groups(FRAME, p)) == [4, 6, 8, 6, 7]
    # by municipality (the default) the same 0.9 is group 6 in a (its mean) but group 4 in b (below its mean)
    local = compute_quality_groups(FRAME, load_params())
    assert (local[1], local[3]) == (6, 4)


def test_iursh_cut_points_replace_the_quartiles(tmp_path):
    p = _params(tmp_path, "iursh:\n  group_cuts: [-0.5, 0, 0.5]\n  weights: {category: null, experience: null}\n")
    t = pd.DataFrame({"municipality": "a", "year": 2024, "school_id": [str(i) for i in range(5)],
                      "teachers_total": 10.0, "higher_education": [1.0, 3.0, 5.0, 7.0, 9.0],
                      "category_highest": 1.0, "category_first": 0.0, "experience_10plus": 5.0})
    out = compute_iursh(teacher_shares(t, p), p)
    # higher-ed shares 0.1..0.9: z = (−√2, −√2/2, 0, √2/2, √2) → cuts −0.5 | 0 | 0.5: groups 1, 1, 2, 4, 4
    # (0 is not above the cut 0, so group 2)
    assert list(out["iursh"]) == pytest.approx([-np.sqrt(2), -np.sqrt(2) / 2, 0, np.sqrt(2) / 2, np.sqrt(2)])
    assert list(out["iursh_group"]) == [1, 1, 2, 4, 4]


@pytest.mark.parametrize("text", ["quality:\n  reference: fixed\n",
                                  "iursh:\n  group_cuts: [0.5, 0]\n",
                                  "iursh:\n  group_cuts: [0, 0.5, 0.5]\n"])
def test_incomplete_fixed_scales_are_refused(tmp_path, text):
    with pytest.raises(ParameterError):
        _params(tmp_path, text)
