"""The synthetic member units' self-evaluations of their qualitative targets (模拟数据), seeded and reproducible.

For :data:`YEAR`, every unit leading a qualitative target except :data:`NOT_REPORTING` returns the
form of ``plan-monitor self-evaluation-form``, filled by :func:`analysis.returns.selfeval.fill_form`
as a unit would: a conclusion drawn from :data:`CONCLUSION_WEIGHTS` (a realistic mix — most targets
basically achieved or achieved, some not achieved, a few that cannot be assessed), a progress note
(left out for about one row in eight: kept, flagged ``no_progress``), the evidence, and a row now and
then left blank (a target not reported). Every text says 模拟; the file names begin ``模拟_自评_``
and the title carries the synthetic mark. Nothing here is quarantined: the sample's planted problems
are the returns' (:data:`analysis.synthetic.world.PLANTED`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from analysis.catalog import Catalog
from analysis.returns import selfeval, template
from analysis.synthetic.world import SYNTHETIC_MARK

#: the year of the synthetic self-evaluations
YEAR = 2024

#: the file of one unit's form
FILE = "模拟_自评_{department}_{year}.xlsx"

#: the unit that sends no form (every one of its targets reads 未报送)
NOT_REPORTING = "网信办"

#: the chance of each conclusion (codes of params/selfeval.yaml)
CONCLUSION_WEIGHTS = {"achieved": 0.32, "basically_achieved": 0.43, "not_achieved": 0.15, "cannot_assess": 0.10}

#: the chance that a row's progress note is left out, and that the whole row is left blank
P_NO_PROGRESS, P_BLANK = 0.12, 0.04

PROGRESS = {
    "achieved": "（模拟）{year}年围绕“{name}”制定年度工作要点并全面落实，相关任务已按规划要求完成。",
    "basically_achieved": "（模拟）“{name}”各项工作有序推进，主要任务基本落实；部分镇（街道）进展不均衡，需持续加强。",
    "not_achieved": "（模拟）“{name}”进度滞后：受经费、人员等因素制约，尚未达到规划要求，拟作为下一年度重点推进。",
    "cannot_assess": "（模拟）“{name}”缺少统计口径和监测数据，暂无法评估，建议明确评估方法和责任分工。",
}


def units(cat: Catalog) -> list[str]:
    """The units leading a qualitative target, in ``params/departments.yaml`` order."""
    led = set(cat.indicators.loc[cat.indicators["kind"] == "qualitative", "department"])
    return [d for d in template.departments() if d in led]


def answers(seed: int, cat: Catalog, department: str) -> list[dict]:
    """One unit's filled rows, drawn from its own seed (``[seed, crc32('self-evaluation'), crc32(unit)]``):
    independent of every other unit's, so a change to one form never moves another."""
    rng = np.random.default_rng([seed, zlib.crc32(b"self-evaluation"), zlib.crc32(department.encode("utf-8"))])
    codes = list(CONCLUSION_WEIGHTS)
    settings = selfeval.load_settings()
    full = template.departments()[department]["name"]
    out = []
    for row in selfeval.form_rows(cat, department):
        blank, code = rng.random() < P_BLANK, codes[rng.choice(len(codes), p=list(CONCLUSION_WEIGHTS.values()))]
        no_progress = rng.random() < P_NO_PROGRESS
        if blank:
            continue
        name = cat.indicators.at[row["indicator_id"], "name_zh"]
        out.append({"indicator_id": row["indicator_id"], "conclusion": settings.word(code),
                    "progress": None if no_progress else PROGRESS[code].format(year=YEAR, name=name),
                    "evidence": f"（模拟）《{full}{YEAR}年度妇女儿童发展规划实施情况自查报告》", "note": "模拟数据"})
    return out


def write_self_evaluations(seed: int, cat: Catalog, out: Path) -> list[Path]:
    """Every reporting unit's filled form for :data:`YEAR` in ``out``, written and filled as a unit
    would (each file atomically, byte for byte reproducibly)."""
    paths = []
    for department in units(cat):
        if department == NOT_REPORTING:
            continue
        path = out / FILE.format(department=department, year=YEAR)
        selfeval.write_form(cat, department, YEAR, path, title_mark=SYNTHETIC_MARK)
        selfeval.fill_form(path, answers(seed, cat, department))
        paths.append(path)
    return paths


def readme_lines(seed: int, cat: Catalog) -> list[str]:
    """The README's section on the self-evaluation forms: who reported, the mix of conclusions."""
    settings = selfeval.load_settings()
    reporting = [d for d in units(cat) if d != NOT_REPORTING]
    rows = [a for d in reporting for a in answers(seed, cat, d)]
    led = int((cat.indicators["kind"] == "qualitative").sum())
    mix = Counter(a["conclusion"] for a in rows)
    counts = ", ".join(f"{c['zh']} {mix.get(c['zh'], 0)}" for c in settings.conclusions)
    blank = sum(len(selfeval.form_rows(cat, d)) for d in reporting) - len(rows)
    return [
        "## Self-evaluation forms (定性目标自评表)", "",
        f"`{FILE.format(department='<unit>', year=YEAR)}`: {len(reporting)} of the {len(units(cat))} units leading "
        f"a qualitative target return the form of `plan-monitor self-evaluation-form` for {YEAR}; "
        f"**{NOT_REPORTING}** sends none, so its targets read 未报送. Of the {led} qualitative targets, "
        f"{len(rows)} are self-evaluated: {counts}; {blank} row{'' if blank == 1 else 's'} left blank in a "
        "returned form (未报送 too); "
        f"{sum(a['progress'] is None for a in rows)} conclusions come without a progress note (kept, flagged "
        "`no_progress`). Every text in them says 模拟; none is quarantined.", ""]
