"""The documentation's examples run, and the parameter table in docs/ODD.md is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.config.docs import parameter_table

ROOT = Path(__file__).resolve().parent.parent
PYTHON_MD = (ROOT / "docs" / "python.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", PYTHON_MD, flags=re.S)


def test_python_md_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_md_example_runs(index, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(
        compile(BLOCKS[index], f"docs/python.md block {index + 1}", "exec"),
        {"__name__": "docs_example"},
    )


def test_odd_parameter_table_is_generated_from_the_parameter_table():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    start = odd.index("<!-- parameters:start -->") + len("<!-- parameters:start -->")
    end = odd.index("<!-- parameters:end -->")
    assert odd[start:end].strip() == parameter_table().strip(), "run: python -m sim.config.docs"
