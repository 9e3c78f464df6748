"""docs/ODD.md stays true to the code: generated tables, phase order, parameter names."""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import REPO

from model.model import EGovModel

ODD = REPO / "docs" / "ODD.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_param_table",
                                                  REPO / "docs" / "make_param_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def odd() -> str:
    return ODD.read_text(encoding="utf-8")


def test_committed_parameter_tables_match_the_generator(odd):
    gen = _load_generator()
    assert gen.splice(odd, gen.generate()) == odd, (
        "docs/ODD.md parameter tables are stale: run .venv/bin/python docs/make_param_table.py")


def test_every_behaviour_parameter_and_scenario_field_is_in_the_tables(odd):
    import dataclasses

    from model.behaviour import Behaviour
    tables = _load_generator().scenario_table_classes()
    assert list(tables) == ["population", "budget", "shares", "apps", "staff", "initial"]
    for f in dataclasses.fields(Behaviour):
        assert f"| `{f.name}` |" in odd, f.name
    for table, cls in tables.items():
        for f in dataclasses.fields(cls):
            assert f"| `{table}.{f.name}` |" in odd, f"{table}.{f.name}"


def test_phases_are_listed_in_the_order_of_the_model_docstring(odd):
    phases = re.findall(r"^\s*\d\. \*\*(.+?)\*\*", EGovModel.__doc__, flags=re.M)
    assert len(phases) >= 6
    section = odd.split("## 3. Process overview")[1].split("## 4.")[0]
    listed = re.findall(r"^\d\. \*\*(.+?)\*\*", section, flags=re.M)
    assert listed == phases


def test_names_in_the_prose_exist_in_the_code(odd):
    """Every snake_case name in the hand-written part of the ODD is a name in model/ (a
    trailing subscript _u, _c or _k aside), so a renamed parameter cannot linger in the text."""
    prose = odd.split("<!-- BEGIN GENERATED")[0]
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "model").rglob("*.py"))
    allowed = {"make_param_table", "flow_apps", "share_from"}
    missing = []
    for token in sorted(set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", prose))):
        stem = re.sub(r"_[uck]$", "", token)
        templated = f"{stem}_{{" in code  # e.g. f"delay_months_{c}"
        if token not in allowed and not templated and not re.search(rf"\b({token}|{stem})\b",
                                                                    code):
            missing.append(token)
    assert not missing, f"names in docs/ODD.md not found in model/: {missing}"
