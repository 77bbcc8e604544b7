"""One run at a time on a data folder: an exclusive lock that a second run refuses to wait on.

Two scheduled runs overlapping on ``data/processed`` would interleave their tables (one run's
observations with the other's projections). Every command that writes the processed folder
takes :func:`exclusive` on it first: an ``fcntl`` lock on the folder itself, which the system
releases when the process ends, however it ends — a killed run leaves no stale lock behind. While
it is held, a note in the folder (``.plan-monitor.lock``) says who holds it since when, for the
message a second run gives; it goes when the lock is released.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from analysis import config

NOTE_NAME = ".plan-monitor.lock"


class Busy(RuntimeError):
    """Another run holds the folder."""


@contextmanager
def exclusive(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if needed) for the ``with`` block; raise :class:`Busy`,
    naming the process that holds it and since when, when another run has it."""
    folder = config.resolve(folder)
    folder.mkdir(parents=True, exist_ok=True)
    note = folder / NOTE_NAME
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = note.read_text(encoding="utf-8").strip() if note.is_file() else "another process"
            raise Busy(f"{config.display_path(folder)} is in use by {holder}: another plan-monitor run is "
                       "writing it. Wait for it to finish (the lock goes with that process), then run again") from None
        note.write_text(f"pid {os.getpid()} since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}",
                        encoding="utf-8")
        try:
            yield folder
        finally:
            with suppress(FileNotFoundError):
                note.unlink()
    finally:
        os.close(fd)
