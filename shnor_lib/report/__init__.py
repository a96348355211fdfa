"""The report layer: it reads computed seasons and turns them into words, tables, charts and
documents — the season report's prose (:mod:`.narrative`), charts (:mod:`.plots`), school cards
(:mod:`.cards`), the Pervouralsk reproduction (:mod:`.reproduction`), running the notebooks and
exporting HTML/PDF (:mod:`.runner`, :mod:`.export`, :mod:`.batch`) and the batch cache
(:mod:`.context`).
"""
