"""Rendering executed notebooks to HTML for the expert group, and publishing them safely.

Pages are rendered without code cells (readers see narrative, tables and charts only) into
a staging folder beside ``reports/``; only when every page of a run has rendered is the
staging folder swapped in, so a failed or interrupted run leaves the previous reports whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from analysis.catalog import plan_order

log = logging.getLogger(__name__)

TEMPLATES = Path(str(files("analysis.report") / "templates"))
MANIFEST = "manifest.json"
#: cells tagged so are left out of the HTML (set-up cells an analyst needs, a reader does not)
REMOVE_CELL_TAG = "remove-cell"


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The text of the notebook's first Markdown heading — in a Markdown cell, or in the Markdown a
    code cell displayed (the report writes its title in the page's language that way) — or
    ``default`` when it has none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts = [cell.source]
        else:
            texts = [str(out.get("data", {}).get("text/markdown", "")) for out in cell.get("outputs", [])]
        for text in texts:
            for line in text.splitlines():
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
    return default


def render_notebook(executed: Path, html_path: Path, stamp: dict[str, Any]) -> str:
    """Write ``executed`` as an HTML page without code cells; return the page's title.

    ``stamp`` (run time, run id, commit, params file, title) is printed in the page's
    header and footer so a printed page still says where it came from; with ``lang: en`` (a page
    made with ``-p lang=en``) in English, with ``title_en``.
    """
    nb = nbformat.read(executed, as_version=4)
    title = notebook_title(nb, executed.stem)
    exporter = HTMLExporter(
        template_name="plan_monitor",
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.language_code = "en" if stamp.get("lang") == "en" else "zh-CN"
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={REMOVE_CELL_TAG}, enabled=True), enabled=True
    )
    resources = {"metadata": {"name": title}, "plan_monitor": dict(stamp)}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.write_text(with_contents(body, label="Contents" if stamp.get("lang") == "en" else "目录"),
                         encoding="utf-8")
    log.info("rendered %s -> %s (%d bytes)", executed.name, html_path.name, len(body))
    return title


def with_contents(html: str, min_headings: int = 3, label: str = "目录") -> str:
    """The page with a table of contents of its section headings (h2, h3) under its banner.

    Pages with fewer than ``min_headings`` sections are left as they are. The contents link to
    the anchors nbconvert gives every heading.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    headings = [h for h in soup.find_all(["h2", "h3"]) if h.get("id")]
    banner = soup.find("div", class_="pm-banner")
    if len(headings) < min_headings or banner is None:
        return html
    nav = soup.new_tag("nav", attrs={"class": "pm-contents"})
    heading = soup.new_tag("strong")
    heading.string = label
    nav.append(heading)
    items = soup.new_tag("ul")
    for h in headings:
        item = soup.new_tag("li", attrs={"class": f"pm-contents-{h.name}"})
        link = soup.new_tag("a", href=f"#{h['id']}")
        link.string = h.get_text(" ", strip=True).rstrip("¶").strip()
        item.append(link)
        items.append(item)
    nav.append(items)
    banner.insert_after(nav)
    return str(soup)


def read_manifest(reports_dir: Path) -> dict[str, Any]:
    """The manifest of a reports folder (pages and latest run), or an empty one."""
    path = reports_dir / MANIFEST
    if not path.is_file():
        return {"pages": {}, "latest_run": None}
    return json.loads(path.read_text(encoding="utf-8"))


def index_summary(parameters: dict[str, Any]) -> dict[str, str]:
    """What the index says above its links: the report's mode and year, its headline and the
    模拟数据 notice, as HTML, from the stage tables the run just wrote (``parameters`` are the
    run's: processed_dir, catalog, mode, year, assessment).

    The words are those of the report itself (:func:`analysis.report.headline_text`,
    :func:`analysis.report.synthetic_notice`), so the index and the report cannot disagree.
    """
    import mistune
    import pandas as pd

    from analysis import catalog, config, scorecard
    from analysis.report.scorecard import headline_text
    from analysis.report.sentences import synthetic_notice

    processed = config.resolve(parameters.get("processed_dir", config.PROCESSED_DIR))
    cat = catalog.load_catalog(parameters.get("catalog", config.DEFAULT_CATALOG))
    result = scorecard.load_assessment(processed, cat, mode=parameters.get("mode", "annual"),
                                       year=parameters.get("year") or None,
                                       settings_path=parameters.get("assessment", scorecard.DEFAULT_SETTINGS))
    sources = pd.read_parquet(processed / "observations.parquet", columns=["source_file"])["source_file"].unique()
    return {"headline": mistune.html(headline_text(result, "zh")),
            "notice": mistune.html(synthetic_notice(sources, "zh")),
            "mode": result.headline["mode"], "year": str(result.headline["year"])}


def write_index(reports_dir: Path, manifest: dict[str, Any], title: str) -> Path:
    """Write ``manifest.json`` and ``index.html`` linking every page, stamped with the run: the
    evaluation report first (its Word and PDF files, headline and 模拟数据 notice), then the
    stage pages, the indicator pages (with a filter) and, folded, the run's inputs."""
    (reports_dir / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    pages = sorted(manifest["pages"].values(), key=lambda p: p["notebook"])
    html = env.get_template("index.html.j2").render(
        title=title, run=manifest["latest_run"], documents=manifest.get("documents"),
        summary=manifest.get("summary"),
        pages=[p for p in pages if "indicator" not in p],
        indicator_pages=sorted((p for p in pages if "indicator" in p), key=lambda p: plan_order(p["indicator"])),
    )
    index = reports_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    return index


def start_staging(reports_dir: Path, run_id: str, keep: bool = True) -> Path:
    """Create the staging folder beside ``reports_dir``; with ``keep``, holding a copy of its
    current pages (a run of one notebook, ``--only``, keeps the other pages)."""
    staging = reports_dir.parent / f".{reports_dir.name}.staging-{run_id}"
    if staging.exists():
        shutil.rmtree(staging)
    if keep and reports_dir.is_dir():
        shutil.copytree(reports_dir, staging)
    else:
        staging.mkdir(parents=True)
    return staging


def publish(staging: Path, reports_dir: Path) -> None:
    """Swap ``staging`` in as ``reports_dir`` with renames; the old folder is removed after.

    Both folders sit in the same parent, so each rename is atomic; if the second rename
    fails the first is undone, and the previous reports stay in place.
    """
    old = None
    if reports_dir.exists():
        old = reports_dir.parent / f".{reports_dir.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(reports_dir, old)
    try:
        os.replace(staging, reports_dir)
    except OSError:
        if old is not None:
            os.replace(old, reports_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    log.info("published %s", reports_dir)


def discard(staging: Path) -> None:
    """Remove a staging folder after a failed run (the published reports are untouched)."""
    shutil.rmtree(staging, ignore_errors=True)
