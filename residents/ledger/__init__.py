"""Excel ledgers (台账) of households and residents.

`columns` is the file format every module shares; `template` writes the empty ledger users fill in,
`importer` checks and imports a filled one, `export` writes the filtered resident list.
"""
