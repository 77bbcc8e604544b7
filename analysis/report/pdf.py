"""The evaluation report as PDF: the rendered HTML page printed by WeasyPrint with print CSS.

WeasyPrint comes from PyPI with the environment and lays pages out with the system's Pango
library. The Chinese typeface is the environment's own Noto Sans CJK (the ``noto-cjk-sans-otc``
package): its Simplified Chinese face is taken out of the font collection once
(:func:`cjk_font`) and given to the page as ``@font-face``, so the PDF embeds it and never
depends on the fonts a machine happens to have. ``templates/print.css`` sets the page: A4,
第 X 页 共 Y 页, a running title, tables the width of the text with their header repeated.

Where WeasyPrint cannot start (Pango missing), :func:`engine_problem` says so in words, and the
run publishes the HTML and Word files without a PDF (:mod:`analysis.pipeline.suite`).

Reference: WeasyPrint, https://doc.courtbouillon.org/weasyprint/ (fonts: ``FontConfiguration``).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from analysis import config
from analysis.report.html import TEMPLATES

log = logging.getLogger(__name__)

PRINT_CSS = TEMPLATES / "print.css"
#: the face of the Noto Sans CJK collection with Simplified Chinese glyph forms
CJK_FAMILY = "Noto Sans CJK SC"


class PdfError(Exception):
    """The PDF could not be made (no engine, or the engine failed on the page)."""


@cache
def engine_problem() -> str | None:
    """Why no PDF can be made on this machine (in Chinese), or None when WeasyPrint works."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi: fails without the library)
    except ImportError:
        return "未安装PDF排版程序WeasyPrint（运行 make report 重新安装环境）"
    except OSError as exc:
        return (f"PDF排版程序WeasyPrint无法启动：缺少系统库Pango（{exc}）；"
                "Debian/Ubuntu可安装 libpango-1.0-0 libpangoft2-1.0-0")
    return None


def cjk_font(cache_dir: Path | None = None) -> Path:
    """The Simplified Chinese face of the environment's Noto Sans CJK collection, as one font file.

    WeasyPrint reads a font collection's first face only (Japanese forms in this one), so the
    SC face is written out once to ``outputs/fonts/`` and reused while the collection is unchanged.
    """
    import noto_cjk_sans_otc
    from fontTools.ttLib import TTCollection

    source = Path(noto_cjk_sans_otc.FONT_PATH)
    cache_dir = cache_dir or config.OUTPUTS_DIR / "fonts"
    stat = source.stat()
    target = cache_dir / f"NotoSansCJKsc-Regular-{stat.st_size}-{int(stat.st_mtime)}.otf"
    if target.is_file():
        return target
    collection = TTCollection(str(source), lazy=True)
    for face in collection.fonts:
        if face["name"].getDebugName(1) == CJK_FAMILY:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            face.save(str(tmp))
            tmp.replace(target)
            log.info("extracted %s from %s to %s", CJK_FAMILY, source.name, target)
            return target
    raise PdfError(f"{source}: no face named {CJK_FAMILY!r} in the font collection")


def for_print(html: str, font: Path) -> str:
    """The page made ready for paper: title first, then the run's stamp and the contents; the
    print CSS and the embedded Chinese typeface added last in the head, so they win over the
    screen styles of the page (pandas Styler's, nbconvert's) at equal specificity."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.find("h1")
    if title is not None:
        anchor = title
        for cls in ("pm-banner", "pm-contents"):
            el = soup.find(class_=cls)
            if el is not None:
                anchor.insert_after(el.extract())
                anchor = el
    style = soup.new_tag("style")
    style.string = (f"@font-face {{ font-family: 'PM CJK'; src: url('{font.as_uri()}'); }}\n"
                    + PRINT_CSS.read_text(encoding="utf-8"))
    (soup.head or soup).append(style)
    return str(soup)


def write_pdf(html_path: Path, pdf_path: Path, font: Path | None = None) -> Path:
    """Print the rendered page ``html_path`` to ``pdf_path`` (atomically) with the print CSS.

    Raises :class:`PdfError` when there is no engine or it fails.
    """
    problem = engine_problem()
    if problem:
        raise PdfError(problem)
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = for_print(html_path.read_text(encoding="utf-8"), font or cjk_font())
    fonts = FontConfiguration()
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    try:
        HTML(string=html, base_url=str(html_path.parent)).write_pdf(str(tmp), font_config=fonts)
    except Exception as exc:  # WeasyPrint raises many kinds; the run reports it and goes on
        tmp.unlink(missing_ok=True)
        raise PdfError(f"PDF排版失败：{exc}") from exc
    tmp.replace(pdf_path)
    log.info("wrote %s from %s", pdf_path.name, html_path.name)
    return pdf_path
