"""Small hand-written observations for the tests of the statistical modules."""

import numpy as np
import pandas as pd


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


def observations_table(records: list[dict], cat, source_file: str = "synthetic/test.csv") -> pd.DataFrame:
    """An observations table (the cleaning step's contract) from short dicts such as
    :func:`observation_rows` makes: the catalog's unit, no counts or flags unless given, a district
    total unless the dict says otherwise."""
    from analysis.clean import OBSERVATION_COLUMNS

    out = []
    for r in records:
        unit = cat.indicators.loc[r["indicator_id"], "unit"]
        out.append({"area": "district", "sex": "total", "numerator": np.nan, "denominator": np.nan, "flags": "",
                    "unit": unit if isinstance(unit, str) else None, "source_file": source_file,
                    "source_sheet": "", "source_cell": "A1", **r})
    frame = pd.DataFrame(out)[OBSERVATION_COLUMNS]
    frame["year"] = frame["year"].astype("int64")
    return frame


def run_notebook(name: str, tmp_path, **parameters) -> str:
    """Execute ``notebooks/<name>.ipynb`` with papermill (the suite's kernel, working directory
    ``tmp_path``) and return everything it displayed as text: Markdown, HTML, plain text,
    streams, and ``<png>`` for each image."""
    import nbformat
    import papermill as pm

    from analysis import config
    from analysis.pipeline import suite

    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name=suite.KERNEL_NAME, progress_bar=False, cwd=str(tmp_path))
    texts = []
    for cell in nbformat.read(out, as_version=4).cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            texts.append(data.get("text/markdown", "") + data.get("text/html", "") + data.get("text/plain", "")
                         + o.get("text", "") + ("<png>" if "image/png" in data else ""))
    return "\n".join(texts)


def fail_parquet_writes(monkeypatch, part: str) -> None:
    """Make every parquet write whose path contains ``part`` fail as a full disk would (the others
    are written): the way to break a multi-file write half-way."""
    import pandas as pd

    honest = pd.DataFrame.to_parquet

    def failing(frame, path, *args, **kwargs):
        if part in str(path):
            raise OSError("disk full")
        return honest(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
