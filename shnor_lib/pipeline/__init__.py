"""The season pipeline: load and validate seasons, compute every table of a season, write
the outputs (:mod:`.season`); the run manifest (:mod:`.provenance`).
"""
