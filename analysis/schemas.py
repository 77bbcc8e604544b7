"""The contracts of the tables the suite writes, as pandera schemas.

Checked right before writing (``validate_or_raise``), with lazy validation so every
failure is reported at once. The columns follow the data contracts of the design card.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

SEXES = ["female", "male", "total"]

#: the years an observation may carry (the observations contract)
OBSERVATION_YEARS = (1990, 2035)

OBSERVATIONS = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column(str),
        "year": pa.Column("int64", pa.Check.in_range(*OBSERVATION_YEARS)),
        "area": pa.Column(str),
        "sex": pa.Column(str, pa.Check.isin(SEXES)),
        "value": pa.Column(float),
        "unit": pa.Column(str, nullable=True),
        "numerator": pa.Column(float, pa.Check.ge(0), nullable=True),
        "denominator": pa.Column(float, pa.Check.ge(0), nullable=True),
        "source_file": pa.Column(str),
        "source_sheet": pa.Column(str),
        "source_cell": pa.Column(str),
        "flags": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    unique=["indicator_id", "year", "area", "sex"],
)

QUARANTINE = pa.DataFrameSchema(
    {
        "source_file": pa.Column(str),
        "source_sheet": pa.Column(str),
        "source_cell": pa.Column(str),
        "raw_value": pa.Column(str),
        "indicator_id": pa.Column(str, nullable=True),
        "year": pa.Column("Int64", nullable=True),
        "area": pa.Column(str, nullable=True),
        "sex": pa.Column(str, nullable=True),
        "reason": pa.Column(str),
        "message": pa.Column(str),      # in Chinese, what the pages show
        "message_en": pa.Column(str),   # the same in English
    },
    strict=True,
    ordered=True,
    coerce=True,
)


def _conclusion_codes() -> list[str]:
    """The conclusions a self-evaluation may carry (``params/selfeval.yaml``)."""
    from analysis.returns import selfeval

    return list(selfeval.load_settings().codes)


SELF_EVALUATIONS = pa.DataFrameSchema(
    {
        "plan": pa.Column(str, pa.Check.isin(["W", "C"])),
        "indicator_id": pa.Column(str),
        "department": pa.Column(str),
        "year": pa.Column("int64", pa.Check.in_range(*OBSERVATION_YEARS)),
        "conclusion": pa.Column(str, pa.Check(lambda s: s.isin(_conclusion_codes()),
                                              error="a conclusion code of params/selfeval.yaml")),
        "progress": pa.Column(str),     # 进展说明 as written ("" when left blank: flagged no_progress)
        "evidence": pa.Column(str),     # 佐证材料 as written
        "note": pa.Column(str),         # 填报人/备注 as written
        "source_file": pa.Column(str),
        "source_sheet": pa.Column(str),
        "source_cell": pa.Column(str),  # the 自评结论 cell
        "flags": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    unique=["indicator_id", "year"],
)


class ContractError(ValueError):
    """A table that breaks its contract; the message lists every failing check."""


def validate_or_raise(frame: pd.DataFrame, schema: pa.DataFrameSchema, name: str) -> pd.DataFrame:
    """Validate ``frame`` lazily; raise :class:`ContractError` listing every failure."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "index", "failure_case"]].head(50)
        raise ContractError(f"{name} breaks its contract:\n{cases.to_string(index=False)}") from exc
