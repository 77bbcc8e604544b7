"""Every label of the reports in one place: areas, sexes, statuses, warnings, gap words, headings.

Chinese labels of the statuses themselves are reviewed data (``params/assessment.yaml``, read
through :class:`analysis.scorecard.AssessmentSettings`); everything else a page prints as a fixed word is
here, Chinese and English side by side, so a label is changed once and every page follows.
Plain data: importing this module pulls in no chart or notebook library, so the engines may use
it for the words they put in their tables.
"""

from __future__ import annotations

import re

from analysis import config
from analysis.report.numbers import difference_unit

# --- areas, sexes, statuses (Chinese labels of statuses come from params/assessment.yaml) ---


SEX_LABELS = {"female": "女", "male": "男", "total": "合计"}


#: English status labels (the Chinese ones come from params/assessment.yaml)
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "at_risk": "At risk", "off_track": "Off track",
             "insufficient_data": "Insufficient data", "improving": "Improving", "no_clear_change": "No clear change",
             "worsening": "Worsening", "qualitative": "Qualitative"}


STATUS_EN_FINAL = {"off_track": "Not achieved"}


#: 与上期相比: how a change of status is named (analysis.database.history.CHANGE_KINDS), Chinese and English
CHANGE_WORDS = {
    "newly_achieved": ("新实现", "newly achieved"),
    "better": ("好转", "better"),
    "worse": ("转差", "worse"),
    "now_assessable": ("数据已可评估", "now assessable"),
    "no_longer_assessable": ("数据不足，不再可评估", "no longer assessable"),
    "other": ("状态变化", "status changed"),
}


def history_column(source: str, year: int, mode: str = "annual", lang: str = "zh") -> str:
    """The heading of one year's column in the status history: 2023年（回溯） (assessed as of then),
    2024年（本期） (this report), 2022年（已发布） / （中期评估） / （终期评估） (a published report)."""
    if lang == "zh":
        kind = {"current": "本期", "as_of": "回溯"}.get(source) or {"midterm": "中期评估", "final": "终期评估"}.get(
            mode, "已发布")
        return f"{year}年（{kind}）"
    kind = {"current": "this report", "as_of": "as of then"}.get(source) or {
        "midterm": "mid-term evaluation", "final": "final evaluation"}.get(mode, "published")
    return f"{year} ({kind})"


#: English warning labels and the reason in general words (the Chinese reason states the figures)
WARNINGS_EN = {
    "difficult": ("Unlikely to be met", "the probability of meeting the target is low"),
    "past_break": ("Missed in a past year", "the target was not met in a year already observed"),
    "gap_widening": ("Gap widening", "the gap between groups is projected to widen"),
    "reversal": ("Trend reversed", "the recent trend runs against the target"),
    "volatile": ("Volatile", "year-to-year swings are large against the change needed each year"),
    "small_counts": ("Volatile (small counts)",
                     "one case moves the rate a lot: a single year cannot show the change needed; "
                     "judge on multi-year totals"),
    "data_quality": ("Data quality", "values of this target were flagged or quarantined in the cleaning"),
}




SEX_EN = {"female": "female", "male": "male", "total": "total"}


def status_en(status: str, mode: str = "annual") -> str:
    """A status code in English (``off_track`` at the final evaluation: "Not achieved")."""
    return (STATUS_EN_FINAL.get(status) if mode == "final" else None) or STATUS_EN.get(status, status)


# --- the projection engine's words ---


#: the urban and rural parts of every profile's area, in words (the area itself, its towns and its
#: comparators are named by the profile: profile.yaml and areas.yaml)
URBAN_RURAL_WORDS = {"urban": ("城镇", "urban"), "rural": ("农村", "rural")}


CANDIDATE_LABELS = {"trend": "趋势", "weighted_trend": "近期加权趋势", "damped": "阻尼趋势",
                    "naive": "朴素（沿用近期水平）"}


FAMILY_LABELS = {"poisson": "泊松广义线性模型（计数与暴露）", "binomial": "二项广义线性模型（计数）",
                 "logit": "logit尺度（比例）", "log": "对数尺度（水平值）", "linear": "线性尺度", "none": "不预测"}


def area_name(area: str, lang: str = "zh") -> str | None:
    """The name of an area every page shows by name — the profile's own area (profile.yaml), its
    urban and rural parts, a comparator (params/areas.yaml) — in ``lang``; None for a town."""
    from analysis.returns import parse

    if area == parse.district_code():
        p = config.profile()
        return p.name if lang == "zh" else p.name_en
    if area in URBAN_RURAL_WORDS:
        return URBAN_RURAL_WORDS[area][LANGS.index(lang)]
    return parse.comparator_name(area, lang)


def area_en(area: str) -> str:
    """An area code in English: the profile's area and comparators by their English names, a town
    by its Pinyin name in params/areas.yaml (``en``), anything else as it is."""
    named = area_name(area, "en")
    if named is not None:
        return named
    from analysis.returns import parse

    spec = parse.areas()
    town = (spec.get("towns") or {}).get(area) or (spec.get("former_towns") or {}).get(area) or {}
    return town.get("en", area)


def area_label(area: str) -> str:
    """An area code in Chinese (district → the profile's own name; national → 全国; towns are
    already Chinese)."""
    return area_name(area, "zh") or area


# --- the gap analysis' words ---


GAP_LABELS = {"urban_rural": "城乡差距", "sex": "男女差距"}


GAP_STATUS_LABELS = {"narrowing": "缩小", "stable": "无明显变化", "widening": "扩大", "reversed": "反转",
                 "parity": "保持均等", "insufficient_data": "数据不足"}


GAP_STATUS_COLORS = {"narrowing": "#2A9D8F", "stable": "#8D99AE", "widening": "#D62828", "reversed": "#7B2CBF",
                 "parity": "#457B9D", "insufficient_data": "#BBBBBB"}


GAP_TARGET_LABELS = {"improving": "差距缩小（改善）", "no_clear_change": "无明显变化", "worsening": "差距扩大（恶化）",
                 "insufficient_data": "数据不足"}


POSITION_LABELS = {"below": "低于目标区间", "within": "在目标区间内", "above": "高于目标区间", "unknown": "—"}


PARITY_POSITION_LABELS = {"below": "低于均等", "within": "大致均等", "above": "高于均等", "unknown": "—"}


MEMBERSHIP_LABELS = {"left": "已划出", "not_yet": "未划入"}


FUNNEL_VERDICT_LABELS = {
    "within": "在控制限内（差异可由随机波动解释）",
    "low_warning": "低于95%控制限（警示）", "low_alarm": "低于99.8%控制限（明显偏低）",
    "high_warning": "高于95%控制限（警示）", "high_alarm": "高于99.8%控制限（明显偏高）",
}


#: the English words of the gap tables and headline
GAP_GROUPS_EN = {"sex": {"labels": ("Female", "Male"), "who": ("women/girls", "men/boys"), "what": "sex"},
             "urban_rural": {"labels": ("Rural", "Urban"), "who": ("rural", "urban"), "what": "urban–rural"}}


GAP_STATUS_LABELS_EN = {"narrowing": "Narrowing", "stable": "No clear change", "widening": "Widening",
                    "reversed": "Reversed", "parity": "Parity kept", "insufficient_data": "Insufficient data"}


# --- the report's headings and English words ---


LANGS = ("zh", "en")


#: the unit in which a change is stated, when it is not the value's own unit
CHANGE_UNITS = {"%": (difference_unit("%"), " percentage points"),
                "‰": (difference_unit("‰"), " per mille points")}


COLUMNS_EN = {"编号": "ID", "指标": "Indicator", "基期({baseline})": "Baseline ({baseline})", "最近值": "Latest",
              "目标": "Target", "状态": "Status", "说明": "Statement", "详情": "Details"}


#: the 60_report notebook's section headings (Markdown), Chinese and English
HEADINGS = {
    "title": (
        "# {area}妇女儿童发展规划监测报告\n\n"
        "{plans}的"
        "监测评估报告，按年度监测、中期评估和终期评估的通行结构编排：基本情况、总体情况、主要成效、存在的主要问题、"
        "分领域目标完成情况（每项目标一句话说明现状、趋势和达标概率）、预警清单、性别与城乡差距、对策建议和附表，"
        "另附数据质量和方法说明。成效和问题由监测数据归纳，对策建议并入评估组填写的文字。",
        "# Monitoring Report of the {area_en} Women's and Children's Development Plans ({first}–{final})\n\n"
        "The monitoring and evaluation report of the Women's Development Plan and the Children's Development "
        "Plan of {full_area_en} ({first}–{final}), in the structure of the annual, mid-term and final "
        "evaluations: the {level_en}, overview, main achievements, main problems, the targets field by field (each "
        "in one sentence: where it stands, its trend and its chance of being met), early warnings, gender and "
        "urban–rural gaps, recommendations and the annex table, with data-quality and methods annexes. "
        "Achievements and problems are drawn from the monitoring data; the recommendations are the expert "
        "group's own text."),
    "basic": ("## 一、基本情况\n\n{whole}人口和出生情况，只列监测数据中有的数（没有的如实说明，不作估计）。",
              "## 1. The {level_en}\n\nPopulation and births of the {level_en}: only the figures the monitoring data "
              "carry (what they do not carry is said, not estimated)."),
    "overall": ("## 二、总体情况", "## 2. Overview"),
    "compared": ("### 与上期相比\n\n评估状态发生变化的目标和修订的数值；往年的评估结论保存在监测数据库中。",
                 "### Compared with the previous report\n\nTargets whose status changed and values revised; the "
                 "verdicts of earlier reports are kept in the monitoring database."),
    "progress": ("### 进度比较（时间过半、任务过半）\n\n各项目标评估年份的数值（或预测值）与“{baseline}年基期值到"
                 "{final}年目标值”的直线进度相比。",
                 "### Progress against the straight path\n\nEach target's value (or projection) in the evaluation "
                 "year against the straight path from its {baseline} baseline to the {final} target."),
    "achievements": ("## 三、主要成效\n\n以下由监测数据归纳，每一条都可在附表和分领域评估中核对。",
                     "## 3. Main achievements\n\nDrawn from the monitoring data; each item can be checked in the "
                     "annex table and the assessment by field."),
    "problems": ("## 四、存在的主要问题\n\n以下由监测数据归纳：难以实现和存在风险的目标、出现不利变化的指标、"
                 "扩大的差距和数据缺口。",
                 "## 4. Main problems\n\nDrawn from the monitoring data: targets off track or at risk, "
                 "indicators worsening, gaps widening and data missing."),
    "women": ("## 五、妇女发展规划：分领域评估\n\n"
              "每个领域一张表：基期（{baseline}年）值、最近值、目标、评估状态（颜色和文字）和一句话说明；"
              "有预警的目标附指标页链接。其下是该领域有数据的数值目标的小图：黑点为观测值，蓝色扇形为80%（深）和95%（浅）预测区间，"
              "红色点线为目标，橙线为全国。",
              "## 5. Women's Development Plan: assessment by field\n\nOne table per field: baseline ({baseline}) "
              "value, latest value, target, status (colour and word) and a one-sentence statement; targets with a "
              "warning link to their indicator page. Below, small charts of the field's numeric targets with "
              "data: black dots are observed values, the blue fan the 80% (dark) and 95% (light) projection "
              "intervals, the red dotted line the target, the orange line China."),
    "children": ("## 六、儿童发展规划：分领域评估", "## 6. Children's Development Plan: assessment by field"),
    "warnings": ("## 七、预警清单\n\n按严重程度排序，每条附原因和指标页链接。",
                 "## 7. Early warnings\n\nMost severe first, each with its reason and a link to the indicator page."),
    "gaps": ("## 八、性别差距与城乡差距\n\n"
             "男女之间、城乡之间的差距及其变化（方法见 docs/gaps.md；计数过小的不公布数值）。",
             "## 8. Sex and urban–rural gaps\n\nGaps between women and men (girls and boys) and between rural and "
             "urban areas, and how they change (method: docs/gaps.md; values resting on small counts are not "
             "published)."),
    "recommendations": ("## 九、对策建议", "## 9. Recommendations"),
    "attainment": ("## 附表：指标达标情况表\n\n两个规划的全部目标：基期值、最近值、目标值、评估状态和报送单位。"
                   "定性目标一并列出，其“状态”为牵头成员单位的自评结论（标为“自评：……”，据成员单位自评），"
                   "不是本报告的评估结论，不计入达标率。",
                   "## Annex table: attainment of every target\n\nEvery target of both plans: baseline, latest "
                   "value, target, status and the reporting unit. Qualitative targets are included; their status "
                   "is the leading member unit's self-assessment (marked 'self-assessed'), not this report's "
                   "verdict, and is not counted in the achievement rate."),
    "quality": ("## 附件一：数据质量\n\n"
                "清洗步骤的结果：未报送的指标、被隔离（未采用）的数值、需要复核的数值和空白单元格。",
                "## Annex 1: Data quality\n\nWhat the cleaning found: indicators not reported, values quarantined "
                "(not used), values to review and blank cells."),
    "not_reported": ("### 未报送数据的指标", "### Indicators not reported"),
    "quarantine": ("### 隔离的数值", "### Quarantined values"),
    "revisions": ("### 修订的数值", "### Revised values"),
    "flagged": ("### 需要复核的数值", "### Values to review"),
    "missing": ("### 空白单元格（按文件）", "### Blank cells (by file)"),
    "methods": ("## 附件二：方法说明", "## Annex 2: Methods"),
}




UNITS_EN = {"/10万": " per 100,000", "岁": " years", "元": " yuan", "所": "", "年": " years", "人": "",
            "百分点": " percentage points", "小时": " hours", "课时": " class hours", "分钟": " minutes",
            "名/千名儿童": " per 1,000 children", "张/千名儿童": " per 1,000 children", "次": " times", "家": "",
            "个": ""}


#: the plan's words for targets without a value, in English
TARGET_PHRASES_EN = {"逐步提高": "gradually higher", "逐步下降": "gradually lower", "差距缩小": "gap narrowed",
                     "定性目标": "qualitative target",
                     "一般不低于本地党员总数中女性比例": "as a rule not below the share of women among Party members"}

#: the words of a direction target (提高, 明显下降, 城乡差距逐步缩小, 上升趋势得到有效控制 …) in English, read
#: as the plans write them: what changes (the trend of a rise, a gap), the direction, how (明显, 持续 …);
#: a county's own wording of the same directions needs no entry of its own
DIRECTION_WORDS_EN = {
    "trend": (("上升趋势得到有效控制", "rise brought under control"), ("上升趋势减缓", "rise slowed")),
    "subject": (("城乡差距", "urban–rural gap "), ("性别差距", "gender gap "), ("差距", "gap ")),
    "manner": (("进一步巩固", "consolidated and still "), ("明显", "markedly "), ("显著", "markedly "),
               ("持续", "steadily "), ("不断", "steadily "), ("逐步", "gradually "), ("稳步", "steadily "),
               ("进一步", "still ")),
    "direction": (("提高", "higher"), ("提升", "higher"), ("增加", "higher"), ("增长", "higher"),
                  ("延长", "longer"), ("下降", "lower"), ("降低", "lower"), ("减少", "lower"),
                  ("缩小", "narrower"), ("巩固", "consolidated")),
}


def direction_words_en(words: str) -> str | None:
    """A direction target's words in English (明显下降 → "markedly lower", 城乡差距逐步缩小 →
    "urban–rural gap gradually narrower"), or None when they are not the plans' words of a direction."""
    text = words.strip()
    for zh, en in DIRECTION_WORDS_EN["trend"]:
        if text == zh:
            return en
    subject = next(((zh, en) for zh, en in DIRECTION_WORDS_EN["subject"] if text.startswith(zh)), ("", ""))
    text = text[len(subject[0]):]
    manner = next(((zh, en) for zh, en in DIRECTION_WORDS_EN["manner"] if text.startswith(zh)), ("", ""))
    text = text[len(manner[0]):]
    direction = dict(DIRECTION_WORDS_EN["direction"]).get(text)
    return None if direction is None else f"{subject[1]}{manner[1]}{direction}"



REASONS_EN = {"unknown_indicator": "indicator not in the catalog", "not_a_year": "year not recognised",
              "year_out_of_range": "year outside the monitoring period", "unknown_area": "area not recognised",
              "area_not_in_district": "town no longer in the district that year", "unknown_sex": "sex not recognised",
              "not_a_number": "not a number", "unit_not_understood": "unit not recognised",
              "unit_mismatch": "unit cannot be converted", "out_of_range": "outside the possible range",
              "numerator_exceeds_denominator": "numerator larger than denominator",
              "no_value": "numerator and denominator but no value can be computed",
              "duplicate": "reported twice (same value)", "conflicting_duplicate": "reported twice, values differ",
              "not_asked": "value in a grey cell the form does not ask for",
              "formula_not_computed": "a formula whose result was never saved",
              "interpretation_failed": "could not be interpreted (a program error)",
              # a member unit's self-evaluation form (analysis/clean/selfeval.py)
              "unknown_target": "target id not in the catalog",
              "not_qualitative": "not a qualitative target (its figures come by the returns)",
              "other_department": "a target another unit leads", "no_conclusion": "no conclusion chosen",
              "conclusion_not_allowed": "conclusion not one of the allowed words",
              "duplicate_self_evaluation": "self-evaluated twice (same content)",
              "conflicting_self_evaluation": "self-evaluated twice, conclusions differ"}


#: the projection engine's reasons for not projecting a series (analysis/trends/batch.py), in Chinese
def _p_value_zh(p: float) -> str:
    """A p value as a statistical page prints it: "p < 0.001" below a thousandth, else three decimals."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


_ENGINE_REASONS_ZH = (
    (r"only (\d+) points?: a trend needs at least (\d+)", r"仅有\1个观测值，至少需要\2个才能判断趋势"),
    (r"all (\d+) values are bounds \(以上\), not values: nothing to project",
     r"全部\1个数值都是下限（“以上”），不是实际数值，不作预测"),
    (r"qualitative indicator: no unit in the catalog, nothing to project", "定性指标，目录中没有计量单位，不作预测"),
    (r"unit not in params/units\.yaml: its kind and range are unknown",
     "计量单位不在 params/units.yaml 中，无法确定其类型和取值范围"),
    (r"indicator not in the catalog: unit and range unknown", "指标不在目录中，计量单位和取值范围未知"),
    (r"no projection for this series \(run the projection stage\)", "该序列尚无预测（请先运行预测步骤）"),
    (r"series (\S+?)/(\S+?)/(\S+?) was not projected: ", r"序列 \1/\2/\3 未作预测："),
    (r"not projected: ", "未作预测："),
    # the warnings of a series' fit (projection_models.warnings, joined by "; ")
    (r"(\d+) value\(s\) published as a lower bound \(以上\) kept as the value: the level may be understated",
     r"\1个数值以下限（“以上”）发布，按该值使用，水平可能被低估"),
    (r"(\d+) approximate value\(s\) \(近, 多\) kept as published", r"\1个近似值（“近”“多”）按发布值使用"),
    (r"(\d+) value\(s\) flagged 'jump' by the cleaning step kept", r"\1个数值在清洗中被标记为跳变，仍予保留"),
    (r"(\d+) value\(s\) at the bound of the range moved ([\d.e-]+) inside it for the logit scale",
     r"\1个数值处于取值范围边界，为进行logit变换向内移动\2"),
    (r"two points: the slope is their difference and the volatility their change \(1 df\)",
     "仅两个观测值：斜率为两者之差，波动为两者之变化（自由度1）"),
    (r"no events in any year: constant rate with half an event added \(Jeffreys\); slope not estimable from the "
     r"series", "各年均无发生例数：按加半例（Jeffreys）估计恒定率，无法由本序列估计斜率"),
    (r"overdispersion: Pearson chi2/df = ([\d.]+) \(p = ([\d.e-]+)\); covariance scaled by it \(quasi-likelihood\) "
     r"and sampling noise widened to match",
     lambda m: f"存在过度离散：皮尔逊χ²/自由度 = {m[1]}（{_p_value_zh(float(m[2]))}），协方差按此放大（拟似然），"
               "抽样噪声相应放宽"),
    (r"every event in the first or last year, or only a few events: the likelihood cannot pin the slope down, which "
     r"has a normal prior \(sd ([\d.]+) per year on the link scale\)",
     r"发生例数全部集中在首年或末年，或例数很少：似然无法确定斜率，斜率采用正态先验（联系尺度上每年标准差\1）"),
    (r"the GLM did not converge", "广义线性模型未收敛"),
    (r"; ", "；"),
)


def engine_reason_zh(text: str) -> str:
    """An engine's reason (``projection_models.reason``, the error of ``simulate_paths``) in Chinese,
    for a Chinese page: "only 1 point: a trend needs at least 2" → "仅有1个观测值，至少需要2个才能判断趋势"."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    out = str(text)
    for pattern, zh in _ENGINE_REASONS_ZH:
        out = re.sub(pattern, zh, out)
    return out
