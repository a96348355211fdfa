"""Charts of the reports: one shared style and seaborn-shaped plot functions, by family.

Every axes-level function has the shape ``plot_xxx(data, *, ax=None, **kws) -> Axes`` (as
seaborn's): it draws into ``ax`` (a new figure when None) and returns the Axes. Titles, axis
labels and legends are in Russian; numbers use the decimal comma. When the data do not allow a
chart, the function still returns an Axes with its title and a plain «Недостаточно данных: …»
message instead of failing, so a report section always shows why it is empty.

The functions only read what :func:`shnor_lib.pipeline.season.compute_season` and
:mod:`shnor_lib.analysis` produced; they compute nothing a report could quote differently.
Nothing is random: labels are spread by a fixed rule, so the same data give the same picture.

=================  ====================================================================
module             charts
=================  ====================================================================
:mod:`.style`      the palette, :func:`set_style`, :func:`show_figure`, shared helpers
:mod:`.results`    statuses, marks by school, the school × grade heat map and its table (1, 3)
:mod:`.context`    schools by group of ИСБШ / ИУРШ (section 5)
:mod:`.model`      quality against ИСБШ, deviations with intervals, the funnel (section 6)
:mod:`.clusters`   cluster profiles (section 7)
:mod:`.monitoring` indicators: fact against plan (section 8)
:mod:`.risk`       risk-factor significance by school (section 9)
:mod:`.card`       the school card's two charts
=================  ====================================================================

Usage::

    from shnor_lib.report import plots
    plots.set_style()
    ax = plots.plot_status_counts(res.schools)
    plots.show_figure(ax)          # display in a notebook and close the figure
"""

from .card import plot_card_position, plot_school_results, school_card_figure
from .clusters import plot_cluster_profiles
from .context import plot_index_distribution
from .model import plot_funnel, plot_quality_vs_isbsh, plot_school_effects
from .monitoring import plot_indicator_plan
from .results import (
    fail_heatmap_figure,
    fail_share_table,
    mark_distribution_figure,
    plot_fail_heatmap,
    plot_mark_distribution,
    plot_status_counts,
)
from .risk import plot_risk_heatmap
from .style import (
    MARK_COLORS,
    PALETTE,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
    figure_title,
    set_style,
    show_figure,
)

__all__ = [
    "PALETTE", "STATUS_ORDER", "STATUS_COLORS", "STATUS_LABELS", "MARK_COLORS",
    "set_style", "show_figure", "figure_title",
    "plot_status_counts", "plot_mark_distribution", "mark_distribution_figure", "plot_fail_heatmap",
    "fail_heatmap_figure", "fail_share_table", "plot_index_distribution", "plot_quality_vs_isbsh", "plot_school_effects", "plot_funnel",
    "plot_card_position", "plot_cluster_profiles", "plot_indicator_plan", "plot_risk_heatmap", "plot_school_results", "school_card_figure",
]
