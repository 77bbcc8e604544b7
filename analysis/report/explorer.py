"""The analyst's explorer: any indicator, area and sex, from the stage tables, without editing code.

:class:`Explorer` reads the tables the run (or ``plan-monitor clean/project/assess``) wrote — the
observations, projections, projection models, the scorecard and the status history — once, and
then answers a choice of indicator, area and sex from memory: the verdict in words and its
warnings, the status history, the fan chart with the target and China, the chosen model and its
back-test, and the raw cells behind every value. Choices are checked and explained
(:func:`resolve_selection`): an unknown id, area or sex lists the valid ones and the closest match; a town's
old name or a label (a town's old name, the district's name, 女) is resolved as the cleaning resolves it.

In JupyterLab :meth:`Explorer.interact` shows drop-downs (plan, field, indicator, area, sex) filled
only with the combinations that have data; under papermill or nbval the same view is shown for the
notebook's parameters.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import time
from dataclasses import dataclass

import pandas as pd

from analysis import config
from analysis.catalog import Catalog, load_catalog
from analysis.report.labels import SEX_LABELS, area_label
from analysis.returns import parse

log = logging.getLogger(__name__)


class SelectionError(ValueError):
    """A choice of indicator, area or sex the data do not have, with the valid ones and the closest."""


@dataclass(frozen=True)
class Selection:
    """One series: indicator, area code and sex code."""

    indicator_id: str
    area: str
    sex: str


def _closest(word: str, options: list[str]) -> str:
    near = difflib.get_close_matches(word, options, n=3, cutoff=0.4)
    return f"最接近的是{'、'.join(f'“{n}”' for n in near)}；" if near else ""


def _listing(options: list[str], limit: int = 30) -> str:
    shown = "、".join(options[:limit])
    return shown + (f"等{len(options)}项" if len(options) > limit else "")


def resolve_selection(cat: Catalog, observations: pd.DataFrame, indicator_id: str, area: str | None = "district",
                      sex: str | None = "total") -> Selection:
    """The series an analyst asked for, with names resolved the way the cleaning resolves them
    (an id in any case or the indicator's Chinese name; a town's old name, the district's name, 全国; 女/男/合计);
    :class:`SelectionError` (in Chinese) naming the valid choices and the closest one otherwise.
    ``area=None`` checks the indicator only."""
    ids = list(cat.indicators.index)
    text = str(indicator_id).strip()
    by_case = {i.lower(): i for i in ids}
    by_name = {str(n): i for i, n in cat.indicators["name_zh"].items()}
    iid = text if text in ids else by_case.get(text.lower()) or by_name.get(text)
    if iid is None:
        raise SelectionError(f"指标“{text}”不在目录中。{_closest(text, ids + list(by_name))}"
                             f"目录中的指标编号见 10_catalog 页或 plan-monitor catalog。")
    present = observations[observations["indicator_id"] == iid]
    if present.empty:
        have = sorted(set(observations["indicator_id"]), key=ids.index)
        raise SelectionError(f"指标{iid}（{cat.indicators.loc[iid, 'name_zh']}）没有观测数据。有数据的指标："
                             f"{_listing(have)}。")
    if area is None:  # only the indicator is asked for (an indicator page)
        return Selection(iid, "", "")
    areas = present["area"].drop_duplicates().tolist()
    code = str(area).strip()
    if code not in areas:
        with contextlib.suppress(parse.ParseError):
            code = parse.parse_area(code).code
    if code not in areas:
        labels = [f"{area_label(a)}" + (f"（{a}）" if area_label(a) != a else "") for a in areas]
        raise SelectionError(f"指标{iid}没有地区“{area}”的数据。{_closest(str(area), [area_label(a) for a in areas])}"
                             f"有数据的地区：{_listing(labels)}。")
    sexes = present.loc[present["area"] == code, "sex"].drop_duplicates().tolist()
    sx = str(sex).strip()
    if sx not in sexes:
        with contextlib.suppress(parse.ParseError):
            sx = parse.parse_sex(sx)
    if sx not in sexes:
        raise SelectionError(f"指标{iid}在{area_label(code)}没有“{sex}”的数据。有数据的：" + "、".join(
            f"{SEX_LABELS.get(s, s)}（{s}）" for s in sexes) + "。")
    return Selection(iid, code, sx)


class Explorer:
    """The stage tables of ``processed_dir``, read once, and a view of any series from them (a file of
    ``raw_dir`` newer than the tables is said above every view)."""

    def __init__(self, processed_dir: str | os.PathLike[str] = config.PROCESSED_DIR,
                 catalog: str | os.PathLike[str] | Catalog = config.DEFAULT_CATALOG, mode: str = "annual",
                 year: int = 0, settings_path: str | os.PathLike[str] = config.PARAMS_DIR / "assessment.yaml",
                 raw_dir: str | os.PathLike[str] = config.RAW_DIR):
        from analysis import database, scorecard, trends

        t0 = time.perf_counter()
        out = config.resolve(processed_dir)
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self.observations = trends.load_observations(out)
        missing = [f for f in ("projections.parquet", "projection_models.parquet") if not (out / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{config.display_path(out)} 中没有 {', '.join(missing)}：请先运行 "
                                    "plan-monitor project（或整套运行 make report）")
        self.projections = pd.read_parquet(out / "projections.parquet")
        self.models = pd.read_parquet(out / "projection_models.parquet")
        self.assessment = scorecard.load_assessment(out, self.catalog, mode=mode, year=year,
                                                    settings_path=settings_path)
        try:
            self.history = database.load(out)
        except FileNotFoundError:
            self.history = None
        from analysis.returns import inventory

        newer = inventory.newer_raw_files(out, raw_dir)
        #: said above every view when data/raw/ changed after the cleaning: the tables do not hold it yet
        self.stale = (f"**注意**：data/raw/ 中有{len(newer)}个文件（{'、'.join(newer[:3])}"
                      f"{'等' if len(newer) > 3 else ''}）晚于本页读取的数据表，尚未计入：请先运行 make report"
                      "（或 plan-monitor clean、project、assess）。") if newer else ""
        log.info("explorer: stage tables of %s read in %.2f s", config.display_path(out), time.perf_counter() - t0)

    # --- the choices ---------------------------------------------------------------------------

    def plans(self) -> list[tuple[str, str]]:
        """The plans with data, as (label, code)."""
        have = set(self.observations["indicator_id"])
        ind = self.catalog.indicators
        plans = [p for p in ("W", "C") if any(ind.loc[i, "plan"] == p for i in have if i in ind.index)]
        return [("妇女发展规划" if p == "W" else "儿童发展规划", p) for p in plans]

    def fields(self, plan: str) -> list[tuple[str, int]]:
        """The plan's fields with data, as (label, number)."""
        ind = self.catalog.indicators
        have = ind.loc[ind.index.isin(set(self.observations["indicator_id"])) & (ind["plan"] == plan)]
        names = self.catalog.fields or {}
        return [(f"{plan}{int(f)} {names.get(f'{plan}{int(f)}', {}).get('zh', '')}".strip(), int(f))
                for f in sorted(set(have["field"].astype(int)))]

    def indicators(self, plan: str, field: int) -> list[tuple[str, str]]:
        """The field's indicators with data, in plan order, as (label, id)."""
        ind = self.catalog.indicators
        have = set(self.observations["indicator_id"])
        rows = ind[(ind["plan"] == plan) & (ind["field"].astype(int) == int(field)) & ind.index.isin(have)]
        return [(f"{i} {rows.loc[i, 'name_zh']}", i) for i in rows.index]

    def areas(self, indicator_id: str) -> list[tuple[str, str]]:
        """The areas with values of the indicator: the district, urban/rural, towns, then China."""
        o = self.observations[self.observations["indicator_id"] == indicator_id]
        codes = sorted(set(o["area"]), key=lambda a: (a in parse.comparator_areas(), a != parse.district_code(),
                                                       a not in ("urban", "rural"), a))
        return [(area_label(a), a) for a in codes]

    def sexes(self, indicator_id: str, area: str) -> list[tuple[str, str]]:
        """The sexes with values of the indicator in the area."""
        o = self.observations[(self.observations["indicator_id"] == indicator_id) & (self.observations["area"] == area)]
        return [(SEX_LABELS.get(s, s), s) for s in ("total", "female", "male") if s in set(o["sex"])]

    # --- one series ------------------------------------------------------------------------------

    def raw_cells(self, sel: Selection) -> pd.DataFrame:
        """Every value of the series with the file, sheet and cell it was read from, and its flags."""
        o = self.observations
        rows = o[(o["indicator_id"] == sel.indicator_id) & (o["area"] == sel.area) & (o["sex"] == sel.sex)]
        rows = rows.sort_values("year")
        return pd.DataFrame({"年份": rows["year"].astype(str), "数值": rows["value"], "单位": rows["unit"].fillna(""),
                             "分子": rows["numerator"], "分母": rows["denominator"], "文件": rows["source_file"],
                             "工作表": rows["source_sheet"].fillna(""), "单元格": rows["source_cell"],
                             "标记": rows["flags"].fillna("")})

    def view(self, indicator_id: str, area: str = "district", sex: str = "total") -> list:
        """What the explorer shows for one series, as objects for ``display`` (Markdown, tables, a
        figure), computed from the tables in memory."""
        import matplotlib.pyplot as plt
        from IPython.display import Markdown

        from analysis import report
        from analysis.catalog import target_text

        sel = resolve_selection(self.catalog, self.observations, indicator_id, area, sex)
        entry = self.catalog.entry(sel.indicator_id)
        parts: list = [Markdown(self.stale)] if self.stale else []
        parts += [Markdown(f"## {sel.indicator_id} {entry['name_zh']} · {area_label(sel.area)} · "
                                f"{SEX_LABELS.get(sel.sex, sel.sex)}\n\n**目标**：{target_text(entry)}　"
                                f"**报送部门**：{entry['department']}")]
        result = self.assessment
        sc = result.scorecard
        row = sc[(sc["indicator_id"] == sel.indicator_id) & (sc["area"] == sel.area) & (sc["sex"] == sel.sex)]
        if len(row):
            r = row.iloc[0]
            words = report.indicator_sentence(r, result.observations, self.projections, self.catalog, "zh",
                                              result.settings)
            status = result.settings.label(r["status"], result.mode)
            warn = f"\n\n**预警**：{r['warnings']}" if r["warnings"] else ""
            parts.append(Markdown(f"**评估状态**：{status}。{words}{warn}"))
        else:
            parts.append(Markdown("本序列不单独评估（记分卡只评估目录要求的分组）；下面是它的数据和预测。"))
        if self.history is not None and len(row):
            parts.append(report.status_history(self.history.verdicts[
                (self.history.verdicts["area"] == sel.area) & (self.history.verdicts["sex"] == sel.sex)],
                sel.indicator_id, result.settings))
        fig = report.fan_chart(self.projections, self.observations, sel.indicator_id, sel.area, sel.sex,
                               catalog=self.catalog)
        plt.close(fig)
        parts += [fig, Markdown(report.model_card(self.models, sel.indicator_id, sel.area, sel.sex)),
                  report.table(report.backtest_table(self.models, sel.indicator_id, sel.area, sel.sex)),
                  Markdown("**原始单元格**：每个数值读自的文件、工作表和单元格（标记见数据清理页）。"),
                  report.table(self.raw_cells(sel))]
        return parts

    def show(self, indicator_id: str, area: str = "district", sex: str = "total") -> None:
        """Display :meth:`view` of one series; a bad choice is explained, not raised."""
        from IPython.display import Markdown, display

        try:
            for part in self.view(indicator_id, area, sex):
                display(part)
        except SelectionError as exc:
            display(Markdown(f"**无法显示**：{exc}"))

    def interact(self, indicator_id: str, area: str = "district", sex: str = "total"):
        """Drop-downs for plan, field, indicator, area and sex (only combinations with data), and the
        view of the chosen series, redrawn on each change. Returns the widget box (displayed by the
        notebook); without ipywidgets, the view of the given series."""
        try:
            import ipywidgets as w
        except ImportError:  # a kernel without widgets still shows the parameters' series
            self.show(indicator_id, area, sex)
            return None
        sel = resolve_selection(self.catalog, self.observations, indicator_id, area, sex)
        entry = self.catalog.entry(sel.indicator_id)
        layout = w.Layout(width="auto")
        plan = w.Dropdown(description="规划", options=self.plans(), value=entry["plan"], layout=layout)
        field = w.Dropdown(description="领域", options=self.fields(entry["plan"]), value=int(entry["field"]),
                           layout=layout)
        indicator = w.Dropdown(description="指标", options=self.indicators(entry["plan"], int(entry["field"])),
                               value=sel.indicator_id, layout=w.Layout(width="32em"))
        area_box = w.Dropdown(description="地区", options=self.areas(sel.indicator_id), value=sel.area, layout=layout)
        sex_box = w.Dropdown(description="性别", options=self.sexes(sel.indicator_id, sel.area), value=sel.sex,
                             layout=layout)
        output, timing = w.Output(), w.HTML()
        busy = {"on": False}

        def redraw(*_):
            if busy["on"] or indicator.value is None or area_box.value is None or sex_box.value is None:
                return
            t0 = time.perf_counter()
            output.clear_output(wait=True)
            with output:
                self.show(indicator.value, area_box.value, sex_box.value)
            timing.value = f"<small>用时 {time.perf_counter() - t0:.2f} 秒</small>"

        def refill(box, options):
            keep = box.value
            box.options = options
            values = [v for _, v in options]
            box.value = keep if keep in values else (values[0] if values else None)

        def on_plan(_):
            busy["on"] = True
            refill(field, self.fields(plan.value))
            busy["on"] = False
            on_field(None)

        def on_field(_):
            busy["on"] = True
            refill(indicator, self.indicators(plan.value, field.value))
            busy["on"] = False
            on_indicator(None)

        def on_indicator(_):
            busy["on"] = True
            refill(area_box, self.areas(indicator.value))
            refill(sex_box, self.sexes(indicator.value, area_box.value))
            busy["on"] = False
            redraw()

        def on_area(_):
            busy["on"] = True
            refill(sex_box, self.sexes(indicator.value, area_box.value))
            busy["on"] = False
            redraw()

        plan.observe(on_plan, names="value")
        field.observe(on_field, names="value")
        indicator.observe(on_indicator, names="value")
        area_box.observe(on_area, names="value")
        sex_box.observe(redraw, names="value")
        redraw()
        return w.VBox([w.HBox([plan, field]), indicator, w.HBox([area_box, sex_box, timing]), output])
