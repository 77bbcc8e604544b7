"""Checking the rendered pages in a real browser: no broken images, links or script errors.

Each HTML page under ``reports/`` is opened in headless Chromium (Debian's package, driven by
Playwright; no browser download), a full-page screenshot is saved, and the page fails the
check when an image did not load, a link points at a file or an anchor that does not exist,
or a script raised an error. The screenshots are for people: open them to see that the
Chinese text renders as text, not boxes.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from analysis import config

log = logging.getLogger(__name__)

#: where Debian's chromium package puts the browser (``apt-get install chromium``)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: flags for a closed network: no background connections the sandbox would refuse
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class PageCheck:
    """The outcome for one page: its screenshot and every problem found."""

    page: str
    screenshot: Path
    problems: list[str] = field(default_factory=list)


def find_chromium() -> str | None:
    """The path of an installed Chromium, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def _link_problems(page_path: Path, hrefs: list[str], anchors: set[str]) -> list[str]:
    """Links that lead nowhere: a relative file that does not exist, or an anchor not in the page."""
    problems = []
    for href in hrefs:
        url = urlparse(href)
        if url.scheme in ("http", "https", "mailto", "data", "javascript"):
            continue  # outside the reports: not checked (the network is not assumed)
        if not url.path:
            if url.fragment and url.fragment not in anchors:
                problems.append(f"link to '#{url.fragment}', which is not an anchor of the page")
            continue
        target = (page_path.parent / unquote(url.path)).resolve()
        if not target.exists():
            problems.append(f"link to '{href}', which does not exist")
    return problems


def check_pages(reports_dir: str | Path = config.REPORTS_DIR, screenshots_dir: str | Path | None = None,
                width: int = 1200) -> list[PageCheck]:
    """Open every ``*.html`` page of ``reports_dir`` in headless Chromium and check it.

    Screenshots go to ``screenshots_dir`` (default ``outputs/screenshots``). Raises
    RuntimeError when no Chromium is installed (``apt-get install chromium``).
    """
    from playwright.sync_api import sync_playwright

    reports = config.resolve(reports_dir)
    shots = config.resolve(screenshots_dir or config.OUTPUTS_DIR / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium found: install it (apt-get install chromium fonts-noto-cjk)")
    pages = sorted(reports.glob("*.html"))
    if not pages:
        raise FileNotFoundError(f"no HTML pages in {config.display_path(reports)}: run plan-monitor run first")
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for path in pages:
                results.append(_check_one(browser, path, shots / f"{path.stem}.png", width))
        finally:
            browser.close()
    for r in results:
        log.info("%s: %s", r.page, "ok" if not r.problems else "; ".join(r.problems))
    return results


#: In the page: the distinct non-ASCII characters of its text (up to 40) that Chromium draws exactly
#: as it draws a code point no font has (U+10FFFD, private use) — an empty box, not a glyph: a page
#: of Chinese without a CJK font passes every other check and is unreadable.
MISSING_GLYPHS_JS = """() => {
  const font = getComputedStyle(document.body).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext('2d');
  const draw = (t) => { g.clearRect(0, 0, 48, 48); g.font = `32px ${font}`; g.fillText(t, 4, 38);
                        return canvas.toDataURL(); };
  const box = draw(String.fromCodePoint(0x10FFFD));
  const chars = [...new Set([...document.body.innerText].filter(c => c.codePointAt(0) > 0x2FFF
                                                                && !/\\s/.test(c)))].slice(0, 40);
  return chars.filter(c => draw(c) === box);
}"""


def _check_one(browser, path: Path, shot: Path, width: int) -> PageCheck:
    result = PageCheck(page=path.name, screenshot=shot)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.on("pageerror", lambda exc: result.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: result.problems.append(f"console error: {msg.text}")
            if msg.type == "error" else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    broken = page.eval_on_selector_all(
        "img", "els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => (e.src || '').slice(0, 80))")
    result.problems += [f"image that did not load: {src}" for src in broken]
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    anchors = set(page.eval_on_selector_all("[id], a[name]", "els => els.map(e => e.id || e.getAttribute('name'))"))
    result.problems += _link_problems(path, hrefs, anchors)
    boxes = page.evaluate(MISSING_GLYPHS_JS)
    if boxes:
        result.problems.append("characters drawn as empty boxes (no font has them): " + " ".join(boxes)
                               + " — install fonts-noto-cjk")
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return result
