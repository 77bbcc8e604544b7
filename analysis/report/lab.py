"""The explorer driven in a real JupyterLab by a real browser (the check of 80_explore).

:func:`check_explorer` starts JupyterLab on a free local port with a fresh token, opens a copy of
``notebooks/80_explore.ipynb`` whose parameters point at a processed folder, runs every cell from
the browser (headless Chromium driven by Playwright, as :mod:`analysis.report.browser`), waits for
the drop-downs, chooses another indicator, then a sex, and times how long each change takes to
show the new series in the page — what an analyst sees, widgets, kernel and rendering included. A
screenshot of the page after each change is saved.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.report.browser import CHROMIUM_ARGS, find_chromium
from analysis.report.labels import area_label
from analysis.returns import parse

log = logging.getLogger(__name__)


@dataclass
class LabCheck:
    """What the browser saw: seconds per change (label → seconds), the screenshots, problems."""

    seconds: dict[str, float] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


#: true once the notebook's kernel is up and idle (a null along the way is "not yet", never an error)
KERNEL_IDLE = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle';
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook_for(processed_dir: Path, folder: Path) -> Path:
    """80_explore with its ``processed_dir`` parameter set to ``processed_dir`` (absolute)."""
    nb = json.loads((config.NOTEBOOKS_DIR / "80_explore.ipynb").read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    params["source"] = [f'processed_dir = {str(processed_dir)!r}\n' if line.startswith("processed_dir =") else line
                        for line in params["source"]]
    target = folder / "80_explore.ipynb"
    target.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def _wait_for_server(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


def check_explorer(processed_dir: str | Path, screenshots_dir: str | Path, timeout: float = 180) -> LabCheck:
    """Drive 80_explore in JupyterLab (module docstring); RuntimeError without Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium found: install it (apt-get install chromium fonts-noto-cjk)")
    shots = config.resolve(screenshots_dir)
    shots.mkdir(parents=True, exist_ok=True)
    result = LabCheck()
    port, token = _free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _notebook_for(config.resolve(processed_dir), folder)
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
        try:
            deadline = time.monotonic() + timeout
            base = f"http://127.0.0.1:{port}"
            _wait_for_server(f"{base}/api/status?token={token}", deadline)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 2400})
                page.on("pageerror", lambda e: result.problems.append(f"script error: {e}"))
                page.goto(f"{base}/lab/tree/80_explore.ipynb?token={token}", timeout=timeout * 1000)
                page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                selects = page.locator(".widget-dropdown select")
                selects.nth(4).wait_for(timeout=timeout * 1000)
                area = area_label(parse.district_code())
                page.get_by_text(f"C1.9c 初中生近视率 · {area} · 合计").first.wait_for(timeout=timeout * 1000)
                for label, box, option, expect in [
                        ("indicator C1.9c → C1.9b", 2, "C1.9b 小学生近视率", f"C1.9b 小学生近视率 · {area} · 合计"),
                        ("sex 合计 → 女", 4, "女", f"C1.9b 小学生近视率 · {area} · 女")]:
                    t0 = time.perf_counter()
                    selects.nth(box).select_option(label=option)
                    page.get_by_text(expect).first.wait_for(timeout=timeout * 1000)
                    page.wait_for_function("document.querySelectorAll('.widget-output img').length > 0",
                                           timeout=timeout * 1000)
                    result.seconds[label] = time.perf_counter() - t0
                    news = page.get_by_role("button", name="No")
                    if news.count():
                        news.first.click()  # the "Jupyter news?" notice would cover the view
                    shot = shots / f"80_explore_{len(result.screenshots) + 1}.png"
                    page.locator(".jp-Notebook .jp-Cell").last.screenshot(path=str(shot))
                    result.screenshots.append(shot)
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return result
