"""The evaluation report as a Word document, built from the rendered HTML page and a Word template.

The 妇儿工委 office circulates Word files. The document is made from the page the expert group
reads (``reports/60_report.html``), so the two never say different things: headings, paragraphs,
lists, the tables with their status colours and the charts are carried over in order; the
"¶" anchors, the back-link and the scripts are not.

Every paragraph takes a named style of the template (``params/评估报告样式.docx`` by default):
``Title`` for the report's title, ``Heading 1``/``Heading 2`` for its sections (一、… and
（一）…), ``Normal``, ``List Bullet``, ``Quote`` (the 模拟数据 notice), ``Caption`` (the run's
stamp) and the table style ``Table Grid`` with the paragraph style ``表格文字``. The office
restyles the report by editing those styles in Word — fonts, sizes, margins, header and footer —
without touching code; :func:`build_template` writes the default one (``plan-monitor
word-template``).

References: python-docx, https://python-docx.readthedocs.io/ ; WordprocessingML
(ECMA-376 part 1, §17.16 for the TOC field).
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import re
from pathlib import Path

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from analysis import config

log = logging.getLogger(__name__)

#: the default Word template (the office may restyle it in Word)
DEFAULT_TEMPLATE = config.WORD_TEMPLATE
#: the paragraph style of table cells (a custom style of the template)
TABLE_TEXT = "表格文字"
#: HTML heading -> the paragraph style it takes
HEADING_STYLES = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}
#: elements whose text is not part of the report (anchors, scripts, the back-link)
SKIPPED = ("script", "style", "head", "title", "meta", "link")


class WordError(Exception):
    """The Word document could not be made (template missing or not a Word file)."""


# --- the template ------------------------------------------------------------------------------


def _east_asian_font(style, latin: str, east_asian: str, size_pt: float, bold: bool = False) -> None:
    """Set a style's Latin and East Asian typefaces, size and weight (Word keeps them apart)."""
    style.font.name = latin
    style.font.size = Pt(size_pt)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def build_template(path: Path = DEFAULT_TEMPLATE) -> Path:
    """Write the default Word template: A4, 公文 margins, 仿宋 body, 黑体/楷体 headings, page numbers.

    The typefaces follow the usual layout of government reports (GB/T 9704 in spirit: 小标宋
    title, 黑体 first-level and 楷体 second-level headings, 仿宋 body); a machine without them
    substitutes its own Chinese font. The file is what ``plan-monitor word-template`` writes.
    """
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    styles = doc.styles
    _east_asian_font(styles["Normal"], "Times New Roman", "仿宋", 12)
    styles["Normal"].paragraph_format.line_spacing = 1.35
    styles["Normal"].paragraph_format.space_after = Pt(4)
    _east_asian_font(styles["Title"], "Times New Roman", "方正小标宋简体", 20, bold=False)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Title"].paragraph_format.space_after = Pt(12)
    for name, face, size in (("Heading 1", "黑体", 15), ("Heading 2", "楷体", 14), ("Heading 3", "仿宋", 12)):
        _east_asian_font(styles[name], "Times New Roman", face, size, bold=name == "Heading 3")
        styles[name].paragraph_format.space_before = Pt(10)
        styles[name].paragraph_format.space_after = Pt(4)
        styles[name].paragraph_format.keep_with_next = True
    _east_asian_font(styles["Caption"], "Times New Roman", "仿宋", 9)
    styles["Caption"].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    _east_asian_font(styles["Quote"], "Times New Roman", "楷体", 11)
    _east_asian_font(styles["List Bullet"], "Times New Roman", "仿宋", 12)
    table_text = styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = styles["Normal"]
    _east_asian_font(table_text, "Times New Roman", "仿宋", 9)
    table_text.paragraph_format.line_spacing = 1.0
    table_text.paragraph_format.space_after = Pt(0)
    _page_number_footer(section)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """Append a Word field (PAGE, NUMPAGES, TOC …) to ``paragraph``; Word fills it in."""
    begin, sep, end = (OxmlElement("w:fldChar") for _ in range(3))
    begin.set(qn("w:fldCharType"), "begin")
    sep.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(begin)
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(sep)
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(end)


def _page_number_footer(section) -> None:
    """A centred footer 第 X 页 共 Y 页."""
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("第 ")
    _field(para, "PAGE", "1")
    para.add_run(" 页 共 ")
    _field(para, "NUMPAGES", "1")
    para.add_run(" 页")


def open_template(path: Path) -> docx.document.Document:
    """The template with its body emptied (its styles, page set-up, header and footer kept)."""
    if not path.is_file():
        raise WordError(f"{config.display_path(path)}：找不到Word模板文件（可用 plan-monitor word-template 重新生成）")
    try:
        doc = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not .docx
        raise WordError(f"{config.display_path(path)}：不是有效的Word文件（{exc}）") from exc
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


# --- from HTML to Word ------------------------------------------------------------------------


def _style(doc, name: str, fallback: str = "Normal"):
    """The template's style ``name``, or ``fallback`` when the office has deleted it."""
    try:
        return doc.styles[name]
    except KeyError:
        return doc.styles[fallback]


def _text_width(doc) -> int:
    """The width between the margins of the last section, in EMU."""
    s = doc.sections[-1]
    return int(s.page_width - s.left_margin - s.right_margin)


def _clean(text: str) -> str:
    """Text of the page without nbconvert's heading anchors and with its spaces folded."""
    return re.sub(r"\s+", " ", text.replace("¶", ""))


def _add_inline(paragraph, node, bold: bool = False, italic: bool = False, colour: str | None = None) -> None:
    """Append the text under ``node`` to ``paragraph`` as runs, keeping bold, italic and colour."""
    for child in node.children:
        if isinstance(child, NavigableString):
            text = _clean(str(child))
            if text.strip() or (text and paragraph.runs):
                run = paragraph.add_run(text)
                run.bold = bold or None
                run.italic = italic or None
                if colour:
                    run.font.color.rgb = RGBColor.from_string(colour)
            continue
        if not isinstance(child, Tag) or child.name in SKIPPED:
            continue
        if child.name == "a" and "anchor-link" in (child.get("class") or []):
            continue
        if child.name == "br":
            paragraph.add_run().add_break()
            continue
        _add_inline(paragraph, child, bold or child.name in ("strong", "b", "th"),
                    italic or child.name in ("em", "i"), colour)


def _css_rules(style_text: str) -> dict[str, dict[str, str]]:
    """The id selectors of a pandas Styler ``<style>`` block and their declarations."""
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style_text):
        decls = dict((k.strip().lower(), v.strip()) for k, _, v in
                     (d.partition(":") for d in body.split(";") if ":" in d))
        for sel in selectors.split(","):
            sel = sel.strip()
            if re.fullmatch(r"#[\w-]+", sel):
                rules.setdefault(sel[1:], {}).update(decls)
    return rules


def _hex(colour: str | None) -> str | None:
    """A CSS colour as six hex digits, for the colours pandas Styler writes (#rgb, #rrggbb)."""
    if not colour:
        return None
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", colour.strip())
    if not m:
        return None
    h = m.group(1)
    return (h if len(h) == 6 else "".join(c * 2 for c in h)).upper()


def _shade(cell, fill: str) -> None:
    """Fill a table cell with a colour (the status colours of the scorecard)."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(row) -> None:
    """Mark a table row as a header row, repeated at the top of every page the table spans."""
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _grid(table_tag: Tag) -> list[list[tuple[Tag, int, int] | None]]:
    """The HTML table as a grid: each slot the cell starting there (with its spans) or None."""
    rows = table_tag.find_all("tr")
    grid: list[list[tuple[Tag, int, int] | None]] = []
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(rows):
        grid.append([])
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in taken:
                grid[r].append(None)
                c += 1
            colspan, rowspan = int(cell.get("colspan", 1) or 1), int(cell.get("rowspan", 1) or 1)
            grid[r].append((cell, rowspan, colspan))
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, c + dc))
            grid[r].extend([None] * (colspan - 1))
            c += colspan
        while (r, c) in taken:
            grid[r].append(None)
            c += 1
    return grid


def _display_length(text: str) -> int:
    """The width of ``text`` in half-width characters (a Chinese character counts two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _column_widths(doc, table, grid, cells, ncols: int, rules: dict[str, dict[str, str]]) -> None:
    """Share the text width among the columns by the length of their longest entry (capped), so
    that a column of sentences gets the room and a column of codes does not (Word's default is
    equal widths); a column the page keeps on one line (``white-space: nowrap``, the status
    words) is given at least the width of its longest entry."""
    longest, keep = [2] * ncols, [0] * ncols
    for row in grid:
        for c, slot in enumerate(row):
            if slot is None or slot[2] != 1:
                continue
            n = _display_length(slot[0].get_text(strip=True))
            longest[c] = max(longest[c], min(n, 60))
            if rules.get(slot[0].get("id", ""), {}).get("white-space") == "nowrap":
                keep[c] = max(keep[c], n)
    half_char = Pt(9) / 2  # a half-width character of the table text (9 pt)
    floor = [int(k * half_char + Cm(0.5)) for k in keep]
    width = _text_width(doc) - sum(floor)
    weights = [0 if keep[c] else longest[c] + 4 for c in range(ncols)]
    total = sum(weights) or 1
    table.autofit = False
    for c in range(ncols):
        emu = floor[c] + int(width * weights[c] / total)
        table.columns[c].width = emu
        for r in range(len(grid)):
            cells[r * ncols + c].width = emu


def add_table(doc, table_tag: Tag, rules: dict[str, dict[str, str]]) -> None:
    """Append an HTML table (a pandas Styler table) as a Word table, colours and spans kept."""
    grid = _grid(table_tag)
    if not grid:
        return
    ncols = max(len(r) for r in grid)
    table = doc.add_table(rows=len(grid), cols=ncols)
    with contextlib.suppress(KeyError):  # the office removed the table style: Word's plain table
        table.style = doc.styles["Table Grid"]
    header_rows = len(table_tag.thead.find_all("tr")) if table_tag.thead else 0
    style_id = _style(doc, TABLE_TEXT).style_id
    cells = table._cells  # once: python-docx recomputes the grid on every table.cell()
    merges = []
    for r, row in enumerate(grid):
        if r < header_rows:
            _repeat_header(table.rows[r])
        for c, slot in enumerate(row):
            if slot is None:
                continue
            cell_tag, rowspan, colspan = slot
            cell = cells[r * ncols + c]
            if rowspan > 1 or colspan > 1:
                merges.append((r, c, min(r + rowspan, len(grid)) - 1, min(c + colspan, ncols) - 1))
            para = cell.paragraphs[0]
            para._p.style = style_id
            decl = rules.get(cell_tag.get("id", ""), {})
            fill = _hex(decl.get("background-color"))
            if fill:
                _shade(cell, fill)
            _add_inline(para, cell_tag, bold=cell_tag.name == "th" and r < header_rows,
                        colour=_hex(decl.get("color")))
    _column_widths(doc, table, grid, cells, ncols, rules)
    for r0, c0, r1, c1 in merges:  # after filling: a merge changes the grid the cell list indexes
        cells[r0 * ncols + c0].merge(cells[r1 * ncols + c1])
    doc.add_paragraph()


def add_image(doc, img: Tag) -> None:
    """Append an inline PNG/JPEG chart at the text width (its aspect kept)."""
    src = img.get("src", "")
    m = re.match(r"data:image/(png|jpeg);base64,(.*)", src, re.S)
    if not m:
        log.warning("image not embedded in the page, left out of the Word file: %s", src[:80])
        return
    doc.add_picture(io.BytesIO(base64.b64decode(m.group(2))), width=_text_width(doc))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def add_contents(doc, label: str = "目录") -> None:
    """A table of contents (Word's TOC field over Heading 1–2), filled in when Word opens the file;
    headed ``label`` (the page's own word for it: 目录, or Contents on an English page)."""
    para = doc.add_paragraph(style=_style(doc, "Heading 1"))
    para.add_run(label)
    hint = ("（目录在Word中打开时更新；如未更新，请按F9）" if label == "目录"
            else "(the contents are filled in when Word opens the file; press F9 if they are not)")
    _field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', hint)
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)


def _blocks(node: Tag):
    """The block elements of the page in reading order (headings, paragraphs, lists, tables, charts)."""
    for child in node.children:
        if not isinstance(child, Tag) or child.name in SKIPPED:
            continue
        classes = child.get("class") or []
        block = child.name in HEADING_STYLES or child.name in ("p", "ul", "ol", "blockquote", "table", "img", "pre")
        if block or child.name == "nav" or "pm-banner" in classes or "pm-footer" in classes:
            yield child
        else:
            yield from _blocks(child)


def html_to_docx(html: str, template: Path = DEFAULT_TEMPLATE) -> docx.document.Document:
    """The evaluation report page as a Word document in the template's styles."""
    soup = BeautifulSoup(html, "html.parser")
    doc = open_template(template)
    rules: dict[str, dict[str, str]] = {}
    for style in soup.find_all("style"):
        rules.update(_css_rules(style.get_text()))
    stamp = soup.find("div", class_="pm-banner")
    contents = False
    body = soup.body or soup
    for block in _blocks(body):
        classes = block.get("class") or []
        if "pm-banner" in classes:
            continue  # the stamp goes under the title
        if "pm-footer" in classes:
            _add_inline(doc.add_paragraph(style=_style(doc, "Caption")), block)
            continue
        if block.name == "nav":
            contents = block.strong.get_text(strip=True) if block.strong else "目录"  # under the title
            continue
        if block.name in HEADING_STYLES:
            para = doc.add_paragraph(style=_style(doc, HEADING_STYLES[block.name]))
            _add_inline(para, block)
            if block.name == "h1" and stamp is not None:
                for link in stamp.find_all("a"):
                    link.decompose()
                _add_inline(doc.add_paragraph(style=_style(doc, "Caption")), stamp)
                doc.paragraphs[-1].runs[0].text = doc.paragraphs[-1].runs[0].text.lstrip(" ·")
                doc.core_properties.title = _clean(block.get_text()).strip()
            if block.name == "h1" and contents:
                add_contents(doc, contents)
        elif block.name in ("ul", "ol"):
            style = _style(doc, "List Bullet" if block.name == "ul" else "List Number")
            for item in block.find_all("li", recursive=False):
                _add_inline(doc.add_paragraph(style=style), item)
        elif block.name == "blockquote":
            _add_inline(doc.add_paragraph(style=_style(doc, "Quote")), block)
        elif block.name == "table":
            add_table(doc, block, rules)
        elif block.name == "img":
            add_image(doc, block)
        else:  # p, pre
            imgs = block.find_all("img")
            if imgs and not block.get_text(strip=True):
                for img in imgs:
                    add_image(doc, img)
                continue
            para = doc.add_paragraph(style=_style(doc, "Normal"))
            _add_inline(para, block)
    return doc


def write_docx(html_path: Path, docx_path: Path, template: Path = DEFAULT_TEMPLATE) -> Path:
    """Write the Word document of the rendered page ``html_path`` (atomically: a temporary file renamed)."""
    doc = html_to_docx(html_path.read_text(encoding="utf-8"), template)
    tmp = docx_path.with_name(f".{docx_path.name}.tmp")
    doc.save(str(tmp))
    tmp.replace(docx_path)
    log.info("wrote %s from %s with template %s", docx_path.name, html_path.name, config.display_path(template))
    return docx_path
