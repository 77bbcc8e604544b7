"""The data-quality page's tables: what arrived, what was quarantined or flagged, what is covered
and what was not reported — from a :class:`~analysis.clean.stage.CleanResult`, in the page's words.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from analysis import kinds
from analysis.catalog import Catalog
from analysis.clean import selfeval
from analysis.clean.stage import REASONS, REVIEW_FLAGS, CleanResult
from analysis.returns import parse


def monitored(cat: Catalog) -> pd.DataFrame:
    """The catalog entries the returns should carry: monitorable, with a number to collect."""
    t = cat.indicators
    return t[t["monitorable"] & t["kind"].isin(kinds.MEASURED_KINDS)]


#: how a file was read, in the words of the data-quality page
READ_AS_ZH = {"long CSV": "长表 CSV", "legacy sheet": "原有格式工作簿（按映射文件读取）", "mapping": "映射文件",
              "documentation": "说明文档", "problem": "无法读取"}


def read_as_zh(read_as: str) -> str:
    """How a file was read, in Chinese ("standard return (卫健委, 2024)" → "标准填报表（卫健委，2024年）",
    "self-evaluation (妇联, 2024)" → "定性目标自评表（妇联，2024年）")."""
    m = re.fullmatch(r"(standard return|self-evaluation) \((.*), (.*)\)", str(read_as))
    if m:
        form = "标准填报表" if m.group(1) == "standard return" else "定性目标自评表"
        return f"{form}（{m.group(2)}，{m.group(3)}年）"
    return READ_AS_ZH.get(str(read_as), str(read_as))


def files_report(result: CleanResult, cat: Catalog) -> pd.DataFrame:
    """What arrived: each file, how it was read, its values, and the departments whose
    indicators it carries (from the catalog), kept and quarantined."""
    obs, q, se = result.observations, result.quarantine, result.self_evaluations
    rows = []
    for _, f in result.files.iterrows():
        ids = set(obs.loc[obs["source_file"] == f["file"], "indicator_id"])
        ids |= set(q.loc[(q["source_file"] == f["file"]) & q["indicator_id"].notna(), "indicator_id"])
        ids |= set(se.loc[se["source_file"] == f["file"], "indicator_id"])
        departments = sorted({cat.indicators.loc[i, "department"] for i in ids if i in cat.indicators.index})
        rows.append({"文件": f["file"], "读取方式": read_as_zh(f["read_as"]), "部门": "、".join(departments) or "—",
                     "数值": int(f["values"]),
                     "保留": int((obs["source_file"] == f["file"]).sum() + (se["source_file"] == f["file"]).sum()),
                     "隔离": int((q["source_file"] == f["file"]).sum())})
    return pd.DataFrame(rows)


def self_evaluations_report(result: CleanResult, cat: Catalog) -> pd.DataFrame:
    """The member units' self-evaluation forms: for every unit leading a qualitative target, its
    targets, the rows kept for its latest form year (those without 进展说明 among them), the rows
    quarantined, and the file — a unit that sent no form is listed as 未报送."""
    t = cat.indicators
    led = t[t["kind"] == "qualitative"].groupby("department").size()
    se = result.self_evaluations
    q = result.quarantine
    refused = q[q["reason"].isin(list(selfeval.REASONS))]
    rows = []
    for department, n in led.sort_values(ascending=False, kind="stable").items():
        mine = se[se["department"] == department]
        year = int(mine["year"].max()) if len(mine) else None
        latest = mine[mine["year"] == year] if year else mine
        files = sorted(set(latest["source_file"]))
        ids = t.index[t["department"] == department]
        rows.append({"单位": department, "定性目标（项）": int(n), "自评年度": f"{year}年" if year else "未报送",
                     "已自评（项）": int(latest["indicator_id"].nunique()),
                     "其中未填进展说明": int(latest["flags"].str.contains("no_progress").sum()),
                     "隔离": int(refused["indicator_id"].isin(ids).sum()), "文件": "、".join(files) or "—"})
    return pd.DataFrame(rows)


def coverage(result: CleanResult, cat: Catalog) -> pd.DataFrame:
    """Values kept per monitored indicator (rows, in plan order) and year (columns), counting
    every area of the district and every sex; comparators (national …) are left out."""
    obs = result.observations[~result.observations["area"].isin(parse.comparator_areas())]
    ids = list(monitored(cat)["id"])
    years = sorted(set(result.observations["year"])) or [int(parse.cleaning_rules()["years"]["last"])]
    table = obs.pivot_table(index="indicator_id", columns="year", values="value", aggfunc="count")
    table = table.reindex(index=ids, columns=years).fillna(0).astype(int)
    table.index = [f"{i} {cat.indicators.loc[i, 'name_zh']}" for i in ids]
    table.columns = [int(c) for c in table.columns]
    return table


def not_reported(result: CleanResult, cat: Catalog) -> pd.DataFrame:
    """Monitored indicators with no district value at all: what is missing against the catalog."""
    have = set(result.observations.loc[~result.observations["area"].isin(parse.comparator_areas()), "indicator_id"])
    m = monitored(cat)
    m = m[~m["id"].isin(have)]
    return pd.DataFrame({"编号": m["id"], "指标": m["name_zh"], "报送部门": m["department"]}).reset_index(drop=True)


def flagged_for_review(result: CleanResult) -> pd.DataFrame:
    """Kept values whose flags ask for review, with their location."""
    obs = result.observations
    mask = obs["flags"].map(lambda f: bool(set(str(f).split(";")) & set(REVIEW_FLAGS)))
    labels = {"indicator_id": "指标", "year": "年份", "area": "地区", "sex": "性别", "value": "数值",
              "unit": "单位", "source_file": "文件", "source_sheet": "工作表", "source_cell": "单元格",
              "flags": "标记"}
    return obs.loc[mask, list(labels)].rename(columns=labels).reset_index(drop=True)


def quarantine_table(result: CleanResult) -> pd.DataFrame:
    """The quarantine for readers: location, the value as written, the reason in words."""
    q = result.quarantine
    return pd.DataFrame({
        "文件": q["source_file"], "工作表": q["source_sheet"], "单元格": q["source_cell"],
        "原始值": q["raw_value"], "指标": q["indicator_id"].fillna("—"), "年份": q["year"],
        "原因": q["reason"].map(REASONS), "说明": q["message"],
    })


def headline(summary: dict[str, Any]) -> str:
    """The summary in one paragraph for the report, with the accounting identity stated."""
    s = summary
    check = "成立" if s["accounting_holds"] else "不成立（程序错误，请报告）"
    reasons = "、".join(f"{REASONS.get(k, k)} {v} 个" for k, v in s["quarantined_by_reason"].items())
    text = (f"共读取 {s['files']} 个文件中的 {s['values_read']} 个数值：保留 {s['observations']} 个"
            f"（其中 {s['flagged']} 个标记待复核），隔离 {s['quarantined']} 个"
            + (f"（{reasons}）" if reasons else "") + f"；另有 {s['missing_cells']} 个应填单元格为空或注明无数据。"
            f"核对：各文件数据区中有数字的单元格逐格核对均已读取，读取数 = 保留数 + 隔离数，{check}。")
    if s["file_problems"]:
        text += f" {len(s['file_problems'])} 个文件无法读取，见下文。"
    e = s.get("self_evaluations")
    if e:
        refused = "、".join(f"{REASONS.get(k, k)} {v} 行" for k, v in e["quarantined_by_reason"].items())
        refused = f"（{refused}）" if refused else ""
        check = "成立。" if e["holds"] else "不成立（程序错误，请报告）。"
        text += (f"\n\n成员单位定性目标自评表 {e['forms']} 份，共 {e['rows_read']} 行自评：保留 {e['kept']} 行"
                 f"（其中 {e['no_progress']} 行未填写进展说明），隔离 {e['quarantined']} 行{refused}；"
                 f"逐格核对，读取行数 = 保留 + 隔离，{check}")
    return text
