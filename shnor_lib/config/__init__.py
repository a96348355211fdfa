"""Parameters: the shipped defaults, a municipality's overrides, validation (:mod:`.params`)."""
