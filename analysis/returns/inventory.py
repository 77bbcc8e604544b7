"""What went into a run: every input file with its size and SHA-256 checksum.

The overview notebook shows this table and the report index is stamped with it, so a
reader can tell exactly which returns and which parameters a set of reports was made from.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis import config

log = logging.getLogger(__name__)

INVENTORY_COLUMNS = ["folder", "file", "bytes", "sha256"]


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks (large workbooks stay out of memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path: str | Path | None) -> str | None:
    """The SHA-256 of a params file a stage table was made with (None for no file: settings or a
    catalog passed as objects); what the stages record beside their tables to know them again."""
    if path is None or not config.resolve(path).is_file():
        return None
    return sha256(config.resolve(path))


def inventory(folders: Iterable[str | Path]) -> pd.DataFrame:
    """List every file under ``folders`` (recursively, hidden files excluded), in path order.

    Returns one row per file: the folder as given, the file's path relative to that folder
    (POSIX form), its size in bytes and its SHA-256. A folder that does not exist is an
    error, not an empty table: a run pointed at the wrong place must say so.
    """
    rows = []
    for folder in folders:
        base = config.resolve(folder)
        if not base.is_dir():
            raise FileNotFoundError(f"input folder {config.display_path(base)} does not exist")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                rows.append(
                    {
                        "folder": config.display_path(base),
                        "file": rel.as_posix(),
                        "bytes": path.stat().st_size,
                        "sha256": sha256(path),
                    }
                )
    table = pd.DataFrame(rows, columns=INVENTORY_COLUMNS)
    log.info("inventory: %d files under %s", len(table), [str(f) for f in folders])
    return table


def parameters_table(run_parameters: dict, received: dict) -> pd.DataFrame:
    """The run file's parameters beside the values a notebook actually received.

    Shown in the overview so that a reader sees when ``-p`` overrode the run file.
    """
    names = list(dict.fromkeys([*run_parameters, *received]))
    return pd.DataFrame(
        {
            "参数": names,
            "运行文件中的值": [run_parameters.get(n, "—") for n in names],
            "本次使用的值": [received.get(n, run_parameters.get(n)) for n in names],
        }
    )


def raw_readme(raw_dir: str | Path, lang: str = "zh") -> str:
    """The text of the raw-data folder's note on where each file comes from: ``说明.md`` for a
    Chinese page when the folder has one, else ``README.md``.

    A raw folder without ``README.md`` is an error: data in the suite must say where it came from.
    """
    folder = config.resolve(raw_dir)
    if lang == "zh" and (folder / "说明.md").is_file():
        return (folder / "说明.md").read_text(encoding="utf-8")
    path = folder / "README.md"
    if not path.is_file():
        raise FileNotFoundError(
            f"{config.display_path(path)} is missing: the raw-data folder must say where "
            "its files come from (real or synthetic, and from whom)"
        )
    return path.read_text(encoding="utf-8")


SYNTHETIC_MARKERS = ("synthetic", "模拟")


def synthetic_files(paths) -> list[str]:
    """The files among ``paths`` that hold synthetic data (a path part naming it so)."""
    return sorted({str(p) for p in paths if any(m in str(p).lower() for m in SYNTHETIC_MARKERS)})


def data_as_of(processed_dir: str | Path) -> str:
    """The latest year of the district's cleaned data ("2024年"): what a report's figures are
    as of; '' before the cleaning has run. Comparators (national …) do not count."""
    path = config.resolve(processed_dir) / "observations.parquet"
    if not path.is_file():
        return ""
    obs = pd.read_parquet(path, columns=["year", "area"])
    from analysis.returns import parse

    district = obs[~obs["area"].astype(str).isin(parse.comparator_areas())]
    return f"{int(district['year'].max())}年" if len(district) else ""


def newer_raw_files(processed_dir: str | Path, raw_dir: str | Path = config.RAW_DIR) -> list[str]:
    """The files under ``raw_dir`` changed after ``observations.parquet`` in ``processed_dir`` was
    written: the cleaned tables a page reads do not include them yet (empty when none, or when
    either folder is missing)."""
    obs = config.resolve(processed_dir) / "observations.parquet"
    raw = config.resolve(raw_dir)
    if not obs.is_file() or not raw.is_dir():
        return []
    made = obs.stat().st_mtime
    return sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*")
                  if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime > made)


def inputs_fingerprint(folder: str | Path, names: Iterable[str]) -> dict[str, str | None]:
    """The SHA-256 of each stage table ``names`` in ``folder`` (None for one that is missing) and of
    the suite's code (:func:`code_fingerprint`): what a later stage records beside its own tables, so
    a page re-run reads them only while their inputs and the code that made them are unchanged."""
    base = config.resolve(folder)
    return {"code": code_fingerprint(), **{name: (sha256(base / name) if (base / name).is_file() else None)
                                          for name in names}}


@functools.cache
def code_fingerprint() -> str:
    """The SHA-256 of every module of the ``analysis`` package (read once per process): another
    version of the code makes the stage tables of the previous one stale."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()
