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


def run_notebook(name: str, tmp_path, **parameters) -> str:
    """Execute ``notebooks/<name>.ipynb`` with papermill (the suite's kernel, working directory
    ``tmp_path``) and return everything it displayed as text: Markdown, HTML, plain text,
    streams, and ``<png>`` for each image."""
    import nbformat
    import papermill as pm

    from analysis import config, suite

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
