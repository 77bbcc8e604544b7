"""The report as PDF: WeasyPrint with the print CSS and the embedded Chinese face, read back with pypdf."""

import subprocess
import sys

import pypdf
import pytest

from analysis.report import pdf

PAGE = """<html><head><style>.jp-RenderedHTMLCommon table { table-layout: fixed; }</style></head><body><main>
<div class="pm-banner"><a href="index.html">← 返回报告目录</a> · 偃师区监测 · 数据截至 2024年</div>
<nav class="pm-contents"><strong>目录</strong><ul><li><a href="#a">一、总体情况</a></li></ul></nav>
<h1 id="t">偃师区妇女儿童发展规划监测报告<a class="anchor-link" href="#t">¶</a></h1>
<h2 id="a">一、总体情况</h2><p>达标率为 <strong>53%</strong>（以45项为分母）。</p>
<div class="jp-RenderedHTMLCommon"><table><thead><tr><th>指标</th><th>状态</th></tr></thead>
<tbody><tr><td>孕产妇死亡率</td><td>已实现</td></tr></tbody></table></div>
</main></body></html>"""


def fonts_of(reader):
    names = set()
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    (folder / "r.html").write_text(PAGE, encoding="utf-8")
    return pypdf.PdfReader(pdf.write_pdf(folder / "r.html", folder / "r.pdf"))


def test_the_engine_is_there_on_this_machine():
    # the environment's WeasyPrint and the system's Pango: the default run makes the PDF
    assert pdf.engine_problem() is None


def test_the_pdf_carries_the_text_title_first_and_numbered_pages(printed):
    text = "".join(p.extract_text() for p in printed.pages)
    assert "偃师区妇女儿童发展规划监测报告" in text and "达标率为 53%" in text and "孕产妇死亡率" in text
    assert "返回报告目录" not in text and "¶" not in text
    first = printed.pages[0].extract_text()
    assert first.index("偃师区妇女儿童发展规划监测报告") < first.index("目录")  # title before stamp and contents
    assert f"第 1 页 共 {len(printed.pages)} 页" in text


def test_only_the_embedded_chinese_face_is_used(printed):
    names = fonts_of(printed)
    assert names and all(n.split("+", 1)[1].startswith("PM-CJK") for n in names), names
    assert all("+" in n for n in names)  # subset prefixes: embedded, not referenced


def test_the_sc_face_is_taken_out_of_the_collection(tmp_path):
    from fontTools.ttLib import TTFont

    face = TTFont(pdf.cjk_font(tmp_path))
    assert face["name"].getDebugName(1) == pdf.CJK_FAMILY


def test_the_pdf_needs_no_system_fonts(tmp_path):
    # fontconfig with no font folders at all: the glyphs come from the embedded face alone
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig><cachedir>' + str(tmp_path / "cache")
                    + "</cachedir></fontconfig>", encoding="utf-8")
    (tmp_path / "r.html").write_text(PAGE, encoding="utf-8")
    code = ("import sys; from pathlib import Path; from analysis.report import pdf; "
            "pdf.write_pdf(Path(sys.argv[1]), Path(sys.argv[2]))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.html"), str(tmp_path / "r.pdf")],
                          env={"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    assert "孕产妇死亡率" in "".join(p.extract_text() for p in reader.pages)
    assert all("PM-CJK" in n for n in fonts_of(reader))


def test_without_an_engine_the_reason_is_given_and_no_file_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "engine_problem", lambda: "PDF排版程序WeasyPrint无法启动：缺少系统库Pango")
    (tmp_path / "r.html").write_text(PAGE, encoding="utf-8")
    with pytest.raises(pdf.PdfError, match="缺少系统库Pango"):
        pdf.write_pdf(tmp_path / "r.html", tmp_path / "r.pdf")
    assert list(tmp_path.iterdir()) == [tmp_path / "r.html"]
