"""Small hand-written observations for the tests of the statistical modules."""


def observation_rows(indicator_id, years, values, area="district", sex="total", num=None, den=None,
                     flags=None) -> list[dict]:
    """Rows of the observations table for one series (numerator/denominator and flags when given)."""
    out = []
    for i, (y, v) in enumerate(zip(years, values, strict=True)):
        row = {"indicator_id": indicator_id, "year": int(y), "area": area, "sex": sex, "value": float(v)}
        if num is not None:
            row["numerator"], row["denominator"] = float(num[i]), float(den[i])
        if flags is not None:
            row["flags"] = flags[i]
        out.append(row)
    return out
