"""The cleaner against the seeded corpus of faulty and valid returns (tests/returns/corpus.py):
each case cleaned in its own raw folder, beside a good return of another department, and scored
against the action and location worked out from the file's own cells."""

from __future__ import annotations

import re

import pytest

from analysis import clean
from analysis.catalog import load_catalog
from tests.returns import corpus


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cat = load_catalog()
    written = corpus.write_corpus(tmp_path_factory.mktemp("corpus"))
    return {name: (case, clean.clean(raw, cat)) for raw, (name, case) in written.items()}


def neighbour_values() -> int:
    rows = corpus.csv_rows(corpus.NEIGHBOUR)
    value = rows[0].index("数值") if "数值" in rows[0] else 4
    return sum(1 for r in rows[1:] if r and r[value].strip())


def verdict(name: str, case: corpus.Case, result) -> str:
    """'' when the cleaner did what the case expects, else what it did instead."""
    kept = int((result.observations["source_file"] == name).sum())
    q = result.quarantine[result.quarantine["source_file"] == name]
    problems = result.problems[result.problems["source_file"] == name]
    text = " ".join(problems["problem_en"])
    if not problems.empty and not all(re.search(r"[\u4e00-\u9fff]{4}", t) for t in problems["problem"]):
        return f"a problem without its Chinese words: {problems['problem'].tolist()}"
    others = int((result.observations["source_file"] == corpus.NEIGHBOUR.name).sum())
    if others != neighbour_values():
        return f"the good neighbour lost values: {others} of {neighbour_values()} kept"
    cells = q[["source_cell", "reason"]].values.tolist()[:4]
    got = f"kept {kept} of {case.n}; quarantined {cells}; problems {text[:240]!r}"
    if case.action == "read":
        return "" if kept == case.n and q.empty and problems.empty else got
    if case.action == "quarantine":
        hit = q[(q["source_cell"] == case.cell) & (q["reason"] == case.reason)]
        return "" if len(hit) == 1 and len(q) == 1 and kept == case.n and problems.empty else got
    missing = [w for w in case.words if w not in text]
    sheet_ok = not case.sheet or case.sheet in set(problems["source_sheet"])
    return "" if not problems.empty and not missing and sheet_ok and kept == case.n and len(q) == case.quarantined \
        else f"{got} (missing words {missing})"


def test_the_corpus_has_the_cases_the_issue_asks_for(run):
    families = {case.family for case, _ in run.values()}
    assert len(run) >= 60
    assert {"valid", "fullwidth_valid", "layout", "damaged", "markup", "formula", "grey_cell"} <= families


def test_every_case_gets_the_right_action_at_the_right_place(run):
    wrong = {name: why for name, (case, result) in run.items() if (why := verdict(name, case, result))}
    print(f"corpus: {len(run) - len(wrong)} of {len(run)} cases right ({100 * (1 - len(wrong) / len(run)):.1f} %)")
    assert not wrong, "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_every_value_of_every_case_is_accounted_for(run):
    for case, result in run.values():
        s = result.summary
        assert s["values_read"] == s["observations"] + s["quarantined"], case.name
