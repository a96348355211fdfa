"""The computations of the methodology, pure functions of tables and parameters.

Metrics with intervals (:mod:`.metrics`), ШНОР / зона риска / ШНСУ rules and objectivity flags
(:mod:`.rules`), ИСБШ / ИУРШ / quality index (:mod:`.indices`), quality against context
(:mod:`.model_frame`, :mod:`.models`, :mod:`.predictive`, :mod:`.robustness`, :mod:`.simulation`;
the funnel of the model's scores, :mod:`.funnel`),
clusters (:mod:`.clustering`), monitoring indicators (:mod:`.indicators`), risk profiles and
recommendations (:mod:`.risk`), dynamics (:mod:`.dynamics`) and leader pairing (:mod:`.leaders`).
"""
