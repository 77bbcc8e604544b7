"""The project's own promises: one dependency list in two files, clean notebooks, the README's
commands and CI in step."""

import ast
import json
import re
import tomllib

import pytest
import yaml

from analysis import config

ROOT = config.PROJECT_ROOT
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def normalise(requirement: str) -> str:
    name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip()).groups()
    return re.sub(r"[-_.]+", "-", name).lower() + spec.replace(" ", "")


def test_environment_yml_declares_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += [d for d in dep["pip"] if not d.startswith("-e")]
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip "):
            conda.append(dep)
    assert {normalise(d) for d in conda + pip} == declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_parameters_cell_of_literals_and_no_definitions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d\d_[a-z_]+\.ipynb", path.name)
    assert nb["metadata"]["kernelspec"]["name"] == "plan-monitor"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    for node in ast.parse("".join(tagged[0]["source"])).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds assignments only"
        ast.literal_eval(node.value)  # raises on anything but a literal
    for cell in code:
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"^make (\w+)$", readme, flags=re.M)
    assert commands[:2] == ["report", "test"]
    assert re.search(r"^make test$", ci, flags=re.M)


def test_every_run_notebook_is_in_the_run_file():
    run = config.load_run_params()
    assert set(run.notebooks) <= {p.stem for p in NOTEBOOKS}
