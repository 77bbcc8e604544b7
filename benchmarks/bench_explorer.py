"""Does the explorer answer a change of indicator, area or sex in well under a second?

Times, in one process, on the stage tables of a processed folder (default: ``data/processed``,
made by ``make report``):

- **explorer**: :meth:`analysis.report.Explorer.view` of one series — verdict, status history, fan
  chart, model card, back-test and raw cells — plus rendering its figure to PNG as JupyterLab does;
  the stage tables are read once, before the clock starts (their reading is printed apart);
- **peer**: what changing ``indicator_id`` in 30_trends and re-running it cost before the explorer
  — projecting every series again (``trends.project_observations``) and then drawing the same
  fan chart.

- **in JupyterLab** (``--lab``): the notebook 80_explore opened in a real JupyterLab by headless
  Chromium (:func:`analysis.report.lab.check_explorer`), an indicator and then a sex chosen in its
  drop-downs, timed from the choice to the new series on screen (kernel, widgets, rendering
  included); screenshots saved under ``outputs/screenshots/``.

Goal (issue: the analyst's explorer): a change answers in under a second on the shipped data.

Run: ``.venv/bin/python benchmarks/bench_explorer.py [PROCESSED_DIR] [--lab]``.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHOICES = [("C1.9c", "district", "total"), ("C1.9b", "district", "female"), ("C1.3b", "rural", "total"),
           ("W3.2", "district", "total"), ("C1.6", "首阳山街道", "total"), ("W5.3", "district", "female"),
           ("C1.3a", "district", "male"), ("C3.4", "district", "female")]


def render(parts) -> None:
    """What the frontend receives: figures as PNG, tables as HTML."""
    for part in parts:
        if type(part).__name__ == "Figure":
            part.savefig(io.BytesIO(), format="png", dpi=100)
        elif hasattr(part, "to_html"):
            part.to_html()


def main(processed: str = "data/processed", lab: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from analysis import report, trends
    from analysis.catalog import load_catalog
    from analysis.report import style

    style.setup()
    cat = load_catalog()
    t0 = time.perf_counter()
    explorer = report.Explorer(processed, cat)
    print(f"stage tables read once: {time.perf_counter() - t0:.2f} s")
    explorer.view(*CHOICES[0])  # warm: imports, fonts
    times = []
    for choice in CHOICES:
        t = time.perf_counter()
        render(explorer.view(*choice))
        times.append(time.perf_counter() - t)
    print(f"explorer, per change ({len(CHOICES)} series): median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s")
    peer = []
    for choice in CHOICES[:3]:
        t = time.perf_counter()
        result = trends.project_observations(explorer.observations, cat.indicators, trends.ProjectionSettings
                                             .from_params())
        fig = report.fan_chart(result.projections, explorer.observations, *choice, catalog=cat)
        fig.savefig(io.BytesIO(), format="png", dpi=100)
        peer.append(time.perf_counter() - t)
    print(f"peer (re-projecting every series, then the chart), per change: median {statistics.median(peer):.3f} s")
    print(f"explorer is {statistics.median(peer) / statistics.median(times):.0f}x faster; goal < 1 s: "
          f"{'met' if max(times) < 1 else 'NOT met'}")
    if lab:
        from analysis.report import lab as lab_check

        seen = lab_check.check_explorer(processed, "outputs/screenshots")
        for change, seconds in seen.seconds.items():
            print(f"in JupyterLab (Chromium): {change}: {seconds:.2f} s on screen")
        print("screenshots: " + ", ".join(str(p) for p in seen.screenshots) + (
            f"; problems: {seen.problems}" if seen.problems else ""))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--lab"]
    main(*args, lab="--lab" in sys.argv[1:])
