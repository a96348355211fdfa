"""Everything that touches files: reading seasons (:mod:`.readers`, ФИС ОКО exports in
:mod:`.fisoko`), writing tables that are safe in Excel (:mod:`.writers`), the XLSX templates of
``shnor init`` (:mod:`.templates`), atomic writes (:mod:`.atomic`) and names that become folders
(:mod:`.paths`).
"""
