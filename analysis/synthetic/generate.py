"""The entry point of the synthetic sample: draw, write every file and the README beside them."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from analysis import config
from analysis.catalog import Catalog, load_catalog
from analysis.synthetic.draw import Sample, draw
from analysis.synthetic.forms import (
    FILE_NOTES,
    _district,
    _fmt,
    _write_text,
    write_civil_affairs,
    write_education,
    write_health_forms,
    write_hrss,
    write_insurance,
    write_organisation,
    write_water,
    write_womens_federation,
)
from analysis.synthetic.selfeval import readme_lines as self_evaluation_lines
from analysis.synthetic.selfeval import write_self_evaluations
from analysis.synthetic.world import DEFAULT_OUT, DESIGN, PLANTED, SEED, YEARS

log = logging.getLogger(__name__)


def _readme(sample: Sample, cat: Catalog, files: list[Path]) -> str:
    """The folder's README: what is synthetic, file by file, the planted problems and where, the
    designed outcomes, and how to regenerate — deterministic text (no dates, no paths)."""
    w, recs = sample.world, sample.records
    lines = [
        f"# 模拟数据 · SYNTHETIC returns for a synthetic {config.profile().name_en}, 2015–2024",
        "",
        "**Everything in this folder is synthetic (模拟数据): invented figures, not the district's statistics.** "
        "They are drawn by `analysis/synthetic/` from a model of the district built on its real structure "
        "(its 13 township-level units and the former town 佃庄镇, population, births) and anchored on the real "
        "national monitoring figures, so that every stage of the suite has realistic returns to work on. "
        "Every file name starts with `模拟_`; workbook titles carry 【模拟数据 · SYNTHETIC】; CSV rows say "
        "模拟数据 / synthetic in their note column.",
        "",
        f"Seed: **{sample.seed}**. Regenerate (byte for byte the same files):",
        "",
        "```",
        f"plan-monitor sample --seed {sample.seed} --out data/raw/synthetic",
        f"# or: .venv/bin/python -m analysis.synthetic --seed {sample.seed} --out data/raw/synthetic",
        "```",
        "",
        "## The synthetic district",
        "",
        "Units: 4 街道 (urban) and 9 镇 (rural) as in `params/areas.yaml`; 佃庄镇 belongs to the district for "
        "2015–2021 only, so district totals before 2022 include it and no return names it after 2021. "
        "Births are drawn (Poisson by town, binomial by sex); the crude birth rate is 7.4 ‰ in 2022.",
        "",
        "| year | residents | births | girls | boys | births per 1,000 |",
        "|---|---|---|---|---|---|",
    ]
    for y in YEARS:
        b = w.births_of(y)
        lines.append(f"| {y} | {w.pop_of(y):,} | {b:,} | {w.births_of(y, sex='female'):,} | "
                     f"{w.births_of(y, sex='male'):,} | {b / w.pop_of(y) * 1000:.1f} |")
    lines += ["", "## Files", "", "| file | department | shape | contents |", "|---|---|---|---|"]
    lines += [f"| `{f}` | {d} | {s} | {c} |" for f, d, s, c in FILE_NOTES]
    lines += ["", "Mapping files (`*.mapping.yaml`) sit beside the legacy workbooks (docs/returns.md §3). "
              f"All figures are for {_district()} (district), 城镇/农村 or a town, as the catalog's breakdowns ask; "
              "rates shown beside numerator and denominator are computed from them and rounded.", ""]
    lines += self_evaluation_lines(sample.seed, cat)
    lines += ["## Planted problems", "",
              "Exactly these; the cleaning step (`plan-monitor clean`) must find them and nothing else "
              "(no jump, sex-sum, sex-range or counts flags).", "",
              "| kind | effect | file | sheet | cell | description |", "|---|---|---|---|---|---|"]
    for p in PLANTED:
        effect = p["effect"] + (f" ({p['reason']})" if "reason" in p else f" (`{p['flag']}`)" if "flag" in p else "")
        lines.append(f"| {p['kind']} | {effect} | `{p['file']}` | {p['sheet'] or '—'} | {p['cell'] or '—'} | "
                     f"{p['description']} |")
    typo = next(r for r in recs if r.status == "typo")
    conflict = sorted((r for r in recs if r.status == "conflict"), key=lambda r: r.dest)
    lines += ["", f"The typo cell holds {int(round(typo.value * 10))} (true value {_fmt(typo.value, 1)}). "
              "The conflicting pair: " + "; ".join(f"{r.dest} {_fmt(r.value, r.decimals)} %" for r in conflict) + ".",
              "", "Not problems, but the mess the cleaning step reads without complaint: percentages written with "
              "their unit in the 教体局 cells of 2016–2017 (\"71.2%\"); full-width digits in three 教体局 cells "
              "(C1.10 2019 女/男, C3.3 2021 合计); merged two-row headers; notes rows under the tables; the GBK "
              "encoding of the 民政局 file; years written \"2021年\"; indicators named by their Chinese names "
              "(组织部).", "",
              "Gaps by design (not collected, so counted as missing or simply absent): maternal mortality by "
              "urban/rural before 2021; W1.5 and W1.M7d in years without an HIV-positive mother; 医保局 before "
              "2019 (人社局 reported the women's coverage); W4.2b outside congress years; 妇联 before 2021; "
              "the 卫健委 rows W1.M5d, W1.M7e, C2.2, C4.5a, C4.5b are left blank.", ""]
    lines += ["## Designed outcomes", "",
              "What each series is built to show against its target (for the scorecard), with the national "
              "anchor (docs/reference/national_monitoring_figures.csv). Values are the district's: the women's figure "
              "for the 妇女… indicators, else the total.", "",
              "| id | indicator | target | 2015 | 2021 | 2024 | design | national anchor |",
              "|---|---|---|---|---|---|---|---|"]
    from analysis.catalog import target_text

    shown = sorted({r.indicator for r in recs}, key=lambda i: list(cat.indicators.index).index(i))
    for ind in shown:
        e = cat.indicators.loc[ind]
        sexes = {r.sex for r in recs if r.indicator == ind}
        sex = "female" if "female" in sexes and (e["name_zh"].startswith("妇女") or "total" not in sexes) else "total"
        values = {r.year: r for r in recs if r.indicator == ind and r.area == "district" and r.sex == sex
                  and r.status not in ("blank", "absent")}
        cells = [_fmt(values[y].value, values[y].decimals) if y in values else "—" for y in (2015, 2021, 2024)]
        design, anchor = DESIGN.get(ind, ("", ""))
        lines.append(f"| {ind} | {e['name_zh']} | {target_text(e)} | {' | '.join(cells)} | {design} | {anchor} |")
    lines += ["", "## How the figures are drawn", "",
              "Deaths are Poisson or binomial counts from the live births (or the children) of the year — the "
              "standard model of small-area rates (Breslow & Day 1987; Chiang 1984) — so the district's maternal "
              "mortality ratio is 0 in some years and 25–50/10万 in others. Coverage and prevalence rates are "
              "binomial counts from their denominators with a little extra-binomial variation; female and male "
              "counts are drawn separately and totals are their sums. Each indicator is redrawn (from the next "
              "seed of its own) until the cleaning step's own checks would keep it unflagged; the module "
              "docstring of `analysis/synthetic/` has the details.", "",
              f"{len(files)} data files, {len(recs)} figures written.", ""]
    return "\n".join(lines)


def generate(seed: int = SEED, out_dir: str | Path = DEFAULT_OUT, catalog: Catalog | None = None) -> list[Path]:
    """Draw the synthetic sample with ``seed`` and write every department's returns and the
    README into ``out_dir`` (each file atomically, byte-for-byte reproducibly); returns the paths
    written, README last. Earlier ``模拟_`` files in ``out_dir`` that this run does not write
    are removed, so the folder holds exactly one sample."""
    out = config.resolve(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cat = catalog or load_catalog()
    sample = draw(seed, cat)
    files: list[Path] = []
    files += write_health_forms(sample, cat, out)
    files += write_education(sample, out)
    files += write_insurance(sample, out)
    files += write_water(sample, out)
    files += write_civil_affairs(sample, out)
    files += write_hrss(sample, out)
    files += write_organisation(sample, cat, out)
    files += write_womens_federation(sample, out)
    files += write_self_evaluations(seed, cat, out)
    readme = _write_text(out / "README.md", _readme(sample, cat, files))
    written = {p.resolve() for p in [*files, readme]}
    for stale in sorted(out.glob("模拟_*")):
        if stale.resolve() not in written and stale.is_file():
            log.info("removing %s (not part of this sample)", stale.name)
            stale.unlink()
    for p in files:
        log.info("wrote %s (%d bytes)", p.name, p.stat().st_size)
    log.info("synthetic sample (seed %d): %d files in %s", seed, len(files) + 1, config.display_path(out))
    return [*files, readme]


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.synthetic [--seed N] [--out DIR]``."""
    parser = argparse.ArgumentParser(description="Write the synthetic departments' returns (模拟数据).")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/raw/synthetic)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    generate(args.seed, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
