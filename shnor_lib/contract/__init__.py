"""The data contract: what a season's files hold and what the program accepts.

- :mod:`.schema` declares the files, columns, Russian labels, types and checks (one table that
  drives reading, validation, the templates and the documentation);
- :mod:`.vocabulary` the procedures, subjects and grades the rules read (``parameters/vocabulary.yml``);
- :mod:`.validate` turns text cells into typed tables: structural errors stop the run, row-level
  inconsistencies are converted or quarantined into the issues ledger.
"""
