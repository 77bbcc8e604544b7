"""Writing files so that a failed or interrupted write leaves the previous file whole."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    Write the file to the yielded path. If the block raises, the temporary file is removed
    and ``path`` keeps its previous content (or stays absent).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); give it the permissions a new file gets
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


#: the timestamp written into reproducible workbooks (zip entries and document properties)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def save_workbook(workbook, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook atomically and byte-for-byte reproducibly.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry; the same
    workbook saved twice would differ. The archive is rewritten with a fixed time so that the
    same content always gives the same bytes (a generated form or sample file can then be
    checked against its regeneration).
    """
    import datetime as dt
    import io
    import zipfile

    fixed = dt.datetime(*FIXED_TIME)
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2020-01-01T00:00:00Z\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, data)
    with atomic_output(path) as tmp:
        tmp.write_bytes(out.getvalue())
    return Path(path)


#: what a spreadsheet reads as the start of a formula (OWASP: CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame):
    """``frame`` with every text cell that a spreadsheet would read as a formula ("=HYPERLINK(…)",
    "@SUM(…)", "+1", "-2+3") prefixed with an apostrophe, so Excel shows it as text. Numbers are
    numbers and stay as they are. Every CSV an analyst may open in Excel is written through this."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith("str"):
            out[col] = out[col].map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v)
    return out
