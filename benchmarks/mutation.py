"""Mutation testing of the critical modules: does a test go red when the code is broken?

For each group below, mutmut (https://github.com/boxed/mutmut) changes the group's modules one
small edit at a time — an operator flipped, a constant moved, a string or argument dropped — and
runs the tests that cover the changed function; a mutant is *killed* when a test fails. Printed,
per module: mutants, killed, survived, no test reaching it, timeouts, and the share killed; with
``--survivors`` every surviving mutant's diff, to kill with a test or to explain as equivalent.

The run happens in a temporary copy of the checkout (its tracked and new files, not ``.venv``,
``outputs`` or ``reports``), so the working tree is never touched; the data and parameters are
read from that copy (``PLAN_MONITOR_ROOT``). Notebook tests are left out (their kernels import
the installed package, not the mutants).

Run: ``.venv/bin/python benchmarks/mutation.py [--groups kinds,atomic] [--survivors] [--jobs 2]``.
It takes minutes per group on 2 cores (kinds: ~4 min for ~220 mutants).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")

#: group → (modules mutated (globs), the tests that guard them)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "kinds": (["analysis/kinds/*"], ["tests/kinds", "tests/catalog", "tests/scorecard"]),
    "atomic": (["analysis/atomic.py"], ["tests/test_atomic.py", "tests/clean", "tests/returns"]),
    "clean": (["analysis/clean/stage.py"], ["tests/clean", "tests/returns"]),
    "cli": (["analysis/pipeline/cli.py"], ["tests/pipeline/test_cli.py"]),
}
KILLED = {"killed"}


def copy_checkout(dest: Path) -> None:
    """The checkout's tracked and untracked (not ignored) files, copied to ``dest``."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def configure(work: Path, modules: list[str], tests: list[str]) -> None:
    """Append mutmut's settings for one group to the copy's pyproject.toml."""
    def toml_list(items):
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    with (work / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write("\n[tool.mutmut]\n"
                'source_paths = ["analysis/"]\n'
                f"only_mutate = {toml_list(modules)}\n"
                'also_copy = ["conftest.py"]\n'
                f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
                'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-k", "not notebook"]\n')


def parse_results(text: str) -> list[tuple[str, str, str]]:
    """(module, mutant name, status) of every line of ``mutmut results --all true``."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*(\S+__mutmut_\d+): (.+)$", line)
        if not m:
            continue
        name, status = m.group(1), m.group(2).strip()
        # a method is module.xǁClassǁname__mutmut_N, a function module.x_name__mutmut_N
        out.append((re.split(r"\.x[\u01c1_]", name)[0], name, status))
    return out


def run_group(group: str, jobs: int, survivors: bool) -> list[tuple[str, str, str]]:
    """Mutate one group in a fresh copy of the checkout; its per-mutant results."""
    modules, tests = GROUPS[group]
    with tempfile.TemporaryDirectory(prefix=f"mutation-{group}-") as tmp:
        work = Path(tmp)
        copy_checkout(work)
        configure(work, modules, tests)
        env = {**os.environ, "PLAN_MONITOR_ROOT": str(work)}
        started = time.perf_counter()
        run = subprocess.run([str(MUTMUT), "run", "--max-children", str(jobs)], cwd=work, env=env,
                             capture_output=True, text=True)
        results = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, env=env,
                                 capture_output=True, text=True).stdout
        rows = parse_results(results)
        if not rows:
            tail = (run.stdout + run.stderr)[-3000:]
            raise SystemExit(f"{group}: mutmut produced no results (exit {run.returncode}):\n{tail}")
        print(f"\n=== {group}: {len(rows)} mutants of {', '.join(modules)} against {', '.join(tests)} "
              f"({time.perf_counter() - started:.0f} s) ===")
        if survivors:
            for _, name, status in rows:
                if status not in KILLED:
                    diff = subprocess.run([str(MUTMUT), "show", name], cwd=work, env=env, capture_output=True,
                                          text=True).stdout
                    changed = [ln for ln in diff.splitlines() if re.match(r"^[-+] ", ln)]
                    print(f"  {status}: {name}\n    " + "\n    ".join(changed))
        return rows


def table(rows: list[tuple[str, str, str]]) -> str:
    """Per module: mutants, killed, survived, no tests, timeouts, share killed."""
    lines = [f"{'module':44} {'mutants':>7} {'killed':>7} {'survived':>8} {'no test':>7} {'timeout':>7} "
             f"{'killed %':>8}"]
    by_module: dict[str, Counter] = {}
    for module, _, status in rows:
        by_module.setdefault(module, Counter())[status] += 1
    total = Counter()
    for module, c in sorted(by_module.items()):
        total.update(c)
        lines.append(_line(module, c))
    lines.append(_line("all", total))
    return "\n".join(lines)


def _line(label: str, c: Counter) -> str:
    n = sum(c.values())
    return (f"{label:44} {n:7d} {c['killed']:7d} {c['survived']:8d} {c['no tests']:7d} {c['timeout']:7d} "
            f"{100 * c['killed'] / n if n else 0:7.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default=",".join(GROUPS), help=f"comma-separated, of {', '.join(GROUPS)}")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--survivors", action="store_true", help="print every surviving mutant's diff")
    parser.add_argument("--goal", type=float, default=90.0, help="share killed each group must reach (%%)")
    args = parser.parse_args(argv)
    if not MUTMUT.exists():
        raise SystemExit(f"mutmut is not installed in this environment ({MUTMUT}): make test installs it")
    ok = True
    for group in args.groups.split(","):
        rows = run_group(group.strip(), args.jobs, args.survivors)
        print(table(rows))
        killed = 100 * sum(s in KILLED for *_, s in rows) / len(rows)
        verdict = "PASS" if killed >= args.goal else "FAIL"
        ok &= killed >= args.goal
        print(f"{verdict}  {group}: {killed:.1f}% of mutants killed (goal ≥ {args.goal:g}%)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
