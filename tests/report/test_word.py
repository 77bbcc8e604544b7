"""The report as Word: built from the rendered page in the template's styles, read back with python-docx."""

import base64
import io

import docx
import pytest
from docx.oxml.ns import qn
from PIL import Image

from analysis.report import word


def png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


PAGE = f"""<html><head><style>
#T_a_row0_col1 {{ background-color: #1a9850; white-space: nowrap; }}
#T_a_row1_col1, #T_a_row1_col0 {{ background-color: #fc8d59; color: #fff; }}</style></head><body><main>
<div class="pm-banner"><a href="index.html">← 返回报告目录</a> · 偃师区监测 · 数据截至 2024年</div>
<nav class="pm-contents"><strong>目录</strong><ul><li><a href="#a">一、总体情况</a></li></ul></nav>
<div class="jp-Cell"><div>
<h1 id="t">偃师区妇女儿童发展规划监测报告<a class="anchor-link" href="#t">¶</a></h1></div></div>
<blockquote><p><strong>⚠ 模拟数据</strong>：不得引用。</p></blockquote>
<div><h2 id="a">一、总体情况<a class="anchor-link" href="#a">¶</a></h2>
<p>达标率为 <strong>53%</strong>（以45项为分母）。</p>
<ul><li>妇女与健康（8项）：孕产妇死亡率</li><li>儿童与健康（9项）</li></ul>
<h3 id="b">（一）妇女与健康<a class="anchor-link" href="#b">¶</a></h3>
<table id="T_a"><thead><tr><th colspan="2">指标与状态</th><th>说明</th></tr></thead>
<tbody><tr><td id="T_a_row0_col0">孕产妇死亡率</td><td id="T_a_row0_col1">已实现</td><td>2024年发生0例。</td></tr>
<tr><td id="T_a_row1_col0">小学生近视率</td><td id="T_a_row1_col1">存在风险</td><td>方向相反。</td></tr></tbody></table>
<div class="jp-RenderedImage"><img src="data:image/png;base64,{png()}"></div>
</div></main><div class="pm-footer">生成时间 2026-12-03 15:36:23（北京时间） · 运行编号 20261203-073623</div>
</body></html>"""


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return word.build_template(tmp_path_factory.mktemp("tpl") / "样式.docx")


@pytest.fixture(scope="module")
def document(tmp_path_factory, template):
    folder = tmp_path_factory.mktemp("word")
    (folder / "r.html").write_text(PAGE, encoding="utf-8")
    path = word.write_docx(folder / "r.html", folder / "r.docx", template)
    return docx.Document(str(path))


def test_headings_paragraphs_and_lists_keep_their_order_and_styles(document):
    got = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert got[0] == ("Title", "偃师区妇女儿童发展规划监测报告")
    assert got[1][0] == "Caption" and got[1][1].startswith("偃师区监测") and "返回" not in got[1][1]
    assert ("Heading 1", "目录") in got
    assert ("Quote", "⚠ 模拟数据：不得引用。") in got
    heads = [t for s, t in got if s.startswith("Heading")]
    assert heads == ["目录", "一、总体情况", "（一）妇女与健康"]  # no "¶" anchors
    assert ("List Bullet", "妇女与健康（8项）：孕产妇死亡率") in got
    assert got[-1][0] == "Caption" and "运行编号 20261203-073623" in got[-1][1]
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "53%" in bold


def test_the_contents_is_a_word_toc_field_updated_on_opening(document):
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body
    assert document.settings.element.find(qn("w:updateFields")) is not None


def test_a_table_keeps_its_cells_spans_header_row_and_status_colours(document):
    (table,) = document.tables
    assert [c.text for c in table.rows[1].cells] == ["孕产妇死亡率", "已实现", "2024年发生0例。"]
    assert table.rows[0].cells[0].text == table.rows[0].cells[1].text == "指标与状态"  # colspan merged
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    fills = {c.text: c._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for c in table.rows[2].cells[:2]}
    assert fills == {"小学生近视率": "FC8D59", "存在风险": "FC8D59"}
    assert table.rows[2].cells[1].paragraphs[0].runs[0].font.color.rgb == docx.shared.RGBColor(0xFF, 0xFF, 0xFF)
    assert table.rows[1].cells[2].paragraphs[0].style.name == word.TABLE_TEXT
    widths = [c.width for c in table.rows[1].cells]
    assert widths[1] > 0 and sum(widths) <= document.sections[0].page_width


def test_charts_are_embedded_at_the_text_width(document):
    (shape,) = document.inline_shapes
    s = document.sections[-1]
    assert abs(shape.width - (s.page_width - s.left_margin - s.right_margin)) < 10


def test_the_default_template_sets_the_chinese_typefaces_and_page_numbers(template):
    doc = docx.Document(str(template))
    fonts = {name: doc.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
             for name in ("Normal", "Heading 1", "Heading 2", word.TABLE_TEXT)}
    assert fonts == {"Normal": "仿宋", "Heading 1": "黑体", "Heading 2": "楷体", word.TABLE_TEXT: "仿宋"}
    assert "NUMPAGES" in doc.sections[0].footer._element.xml
    assert round(doc.sections[0].page_width.cm, 1) == 21.0


def test_a_restyled_template_restyles_the_report(tmp_path, template):
    doc = docx.Document(str(template))
    doc.styles["Heading 1"].font.size = docx.shared.Pt(22)
    doc.sections[0].left_margin = docx.shared.Cm(5)
    doc.save(tmp_path / "office.docx")
    (tmp_path / "r.html").write_text(PAGE, encoding="utf-8")
    out = docx.Document(str(word.write_docx(tmp_path / "r.html", tmp_path / "r.docx", tmp_path / "office.docx")))
    assert out.styles["Heading 1"].font.size == docx.shared.Pt(22)
    assert round(out.sections[0].left_margin.cm, 2) == 5.0
    assert "NUMPAGES" in out.sections[0].footer._element.xml  # the template's footer kept


def test_a_template_without_a_style_falls_back_to_normal(tmp_path, template):
    doc = docx.Document(str(template))
    doc.styles[word.TABLE_TEXT].delete()
    doc.save(tmp_path / "bare.docx")
    (tmp_path / "r.html").write_text(PAGE, encoding="utf-8")
    out = docx.Document(str(word.write_docx(tmp_path / "r.html", tmp_path / "r.docx", tmp_path / "bare.docx")))
    assert out.tables[0].rows[1].cells[0].paragraphs[0].style.name == "Normal"


def test_a_missing_or_broken_template_is_named_in_chinese(tmp_path):
    (tmp_path / "r.html").write_text(PAGE, encoding="utf-8")
    with pytest.raises(word.WordError, match="找不到Word模板文件"):
        word.write_docx(tmp_path / "r.html", tmp_path / "r.docx", tmp_path / "none.docx")
    (tmp_path / "bad.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(word.WordError, match="不是有效的Word文件"):
        word.write_docx(tmp_path / "r.html", tmp_path / "r.docx", tmp_path / "bad.docx")
    assert not (tmp_path / "r.docx").exists()


def test_the_shipped_template_has_every_style_the_report_uses():
    # the committed params/评估报告样式.docx has every style the report uses
    doc = docx.Document(str(word.DEFAULT_TEMPLATE))
    names = {s.name for s in doc.styles}
    assert {"Title", "Heading 1", "Heading 2", "Normal", "List Bullet", "Quote", "Caption", "Table Grid",
            word.TABLE_TEXT} <= names
