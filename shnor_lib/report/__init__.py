"""The report layer: it reads computed seasons and turns them into words, tables, charts and
documents — the season report's sections (:mod:`.sections`, one module per section), the one
number formatter (:mod:`.format`), HTML for notebooks and the table of contents (:mod:`.html`),
charts (:mod:`.plots`), school cards (:mod:`.cards`), the Pervouralsk reproduction
(:mod:`.reproduction`), running the notebooks and exporting HTML/PDF (:mod:`.runner`,
:mod:`.export`, :mod:`.batch`) and the batch cache (:mod:`.context`).
"""
