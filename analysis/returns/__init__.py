"""Reading what the departments deliver: standard forms, legacy sheets, CSV; the cell parser; the
standard return (template); the real national reference figures; the inventory of input files.
"""


from analysis.returns.read import (  # noqa: F401
    CSV_COLUMNS,
    CSV_REQUIRED,
    DOC_SUFFIXES,
    ENCODINGS,
    LEGACY_KEYS,
    MAPPING_SUFFIX,
    FileProblem,
    RawRead,
    decode,
    read_csv,
    read_legacy,
    read_raw,
)
