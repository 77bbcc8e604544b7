from pathlib import Path

import pytest

from analysis import config


def test_relative_paths_are_read_from_the_project_root_not_the_working_directory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert config.resolve("data/raw") == config.PROJECT_ROOT / "data" / "raw"
    assert config.resolve(tmp_path / "x") == tmp_path / "x"


def test_the_layout_of_the_design_card_exists():
    for name in ("notebooks", "analysis", "data/raw", "data/processed", "params", "tests"):
        assert (config.PROJECT_ROOT / name).is_dir(), name
    assert (config.PROJECT_ROOT / "environment.yml").is_file()


def test_default_run_file_lists_existing_notebooks():
    run = config.load_run_params()
    assert run.notebooks[0] == "00_overview"
    assert all((config.NOTEBOOKS_DIR / f"{n}.ipynb").is_file() for n in run.notebooks)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notebooks: [no_such_notebook]\n", "notebook 'no_such_notebook' listed"),
        ("notebooks: []\n", "'notebooks' must be a non-empty list"),
        ("notebooks: [00_overview]\nparamters: {}\n", "unknown key(s) ['paramters']"),
        ("notebooks: [00_overview\n", "not valid YAML"),
    ],
)
def test_a_bad_run_file_is_named_with_its_problem(tmp_path: Path, text, message):
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ParamsError) as exc:
        config.load_run_params(path)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)
