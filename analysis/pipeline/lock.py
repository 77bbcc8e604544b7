"""One run at a time on a data folder: an exclusive lock that a second run refuses to wait on.

Two scheduled runs overlapping on ``data/processed`` would interleave their tables (one run's
observations with the other's projections). Every command that writes the processed folder
takes :func:`exclusive` on it first; the lock is an ``fcntl`` lock on a file in that folder, so
the system releases it when the process ends, however it ends — a killed run leaves no stale
lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from analysis import config

LOCK_NAME = ".plan-monitor.lock"


class Busy(RuntimeError):
    """Another run holds the folder."""


@contextmanager
def exclusive(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if needed) for the ``with`` block; raise :class:`Busy`,
    naming the process that holds it and since when, when another run has it."""
    folder = config.resolve(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fh = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise Busy(f"{config.display_path(folder)} is in use by {holder}: another plan-monitor run is "
                       "writing it. Wait for it to finish (the lock goes with that process), then run again") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}")
        fh.flush()
        yield path
    finally:
        fh.close()
