"""model.params: declaring parameters and building them from TOML tables."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from model.behaviour import Behaviour
from model.errors import ScenarioError
from model.params import as_table, build, describe, meta_of, param


@dataclass(frozen=True, kw_only=True)
class Toy:
    rate_per_year: float = param(0.5, "1/year", 0.0, 1.0, "A rate", "data: somewhere")
    count: int = param(3, "items", 1, 10, "A count")
    flag: bool = param(False, "", None, None, "A switch")
    label: str = param("x", "", None, None, "A name")
    cap: float | None = param(None, "IDR", 0.0, None, "Optional, unbounded above")


@dataclass(frozen=True, kw_only=True)
class Needs:
    must: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Required")


def test_defaults_and_values_pass_through():
    toy = build(Toy, {"rate_per_year": 1, "count": 10, "flag": True, "label": "y"}, "f.toml", "toy")
    assert toy == Toy(rate_per_year=1.0, count=10, flag=True, label="y")
    assert isinstance(toy.rate_per_year, float)  # an int is accepted where a float belongs
    assert build(Toy, {}, "f.toml", "toy") == Toy()


def test_unknown_key_names_file_field_and_lists_valid_keys():
    with pytest.raises(ScenarioError) as info:
        build(Toy, {"rate_per_yaer": 0.1}, "f.toml", "toy")
    err = info.value
    assert (err.path, err.field) == ("f.toml", "toy.rate_per_yaer")
    assert str(err).startswith("f.toml: toy.rate_per_yaer: unknown key")
    for name in ("cap", "count", "flag", "label", "rate_per_year"):
        assert name in err.message


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("rate_per_year", "0.5", "expected a number"),
    ("rate_per_year", True, "expected a number"),
    ("rate_per_year", float("nan"), "expected a finite number"),
    ("count", 2.5, "expected a whole number"),
    ("count", False, "expected a whole number"),
    ("flag", 1, "expected true or false"),
    ("label", 3, "expected text"),
    ("cap", "lots", "expected a number"),
])
def test_wrong_type_is_one_line_naming_the_field(key, value, expected):
    with pytest.raises(ScenarioError) as info:
        build(Toy, {key: value}, "f.toml", "toy")
    assert info.value.field == f"toy.{key}"
    assert expected in info.value.message
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("key", "value"), [
    ("rate_per_year", -0.001), ("rate_per_year", 1.0001), ("count", 0), ("count", 11),
    ("cap", -1.0),
])
def test_out_of_range_is_rejected_with_the_range_and_unit(key, value):
    with pytest.raises(ScenarioError) as info:
        build(Toy, {key: value}, "f.toml", "toy")
    assert info.value.field == f"toy.{key}"
    assert "outside [" in info.value.message


@pytest.mark.parametrize(("key", "value"), [
    ("rate_per_year", 0.0), ("rate_per_year", 1.0), ("count", 1), ("count", 10), ("cap", 1e30),
])
def test_range_edges_are_inclusive(key, value):
    assert getattr(build(Toy, {key: value}, None, "toy"), key) == value


def test_range_message_shows_unit_and_inf_for_open_bounds():
    with pytest.raises(ScenarioError, match=r"outside \[0, inf\] \(IDR\)"):
        build(Toy, {"cap": -5.0}, None, "toy")


def test_missing_required_field_and_non_table():
    with pytest.raises(ScenarioError, match="missing"):
        build(Needs, {}, "f.toml", "needs")
    with pytest.raises(ScenarioError, match="expected a table"):
        build(Needs, 0.3, "f.toml", "needs")


def test_build_over_a_base_keeps_the_other_values():
    base = Toy(rate_per_year=0.9, count=7)
    out = build(Toy, {"count": 2}, None, "toy", base=base)
    assert (out.rate_per_year, out.count) == (0.9, 2)


def test_describe_rows_carry_unit_range_doc_and_source():
    rows = {r["name"]: r for r in describe(Toy)}
    assert set(rows) == {"rate_per_year", "count", "flag", "label", "cap"}
    r = rows["rate_per_year"]
    assert (r["default"], r["unit"], r["lo"], r["hi"], r["doc"], r["source"]) == (
        0.5, "1/year", 0.0, 1.0, "A rate", "data: somewhere")
    assert rows["count"]["source"] == "assumption"
    assert meta_of(Toy, "cap").hi is None
    with pytest.raises(KeyError):
        meta_of(Toy, "nope")


def test_every_behaviour_default_lies_in_its_declared_range():
    rows = describe(Behaviour)
    assert len(rows) == len(dataclasses.fields(Behaviour))
    for r in rows:
        assert r["unit"] and r["doc"], r["name"]
        assert r["lo"] <= r["default"] <= r["hi"], r["name"]


def test_as_table_turns_dataclass_trees_into_plain_data():
    assert as_table({"t": (Toy(),)}) == {"t": [{"rate_per_year": 0.5, "count": 3, "flag": False,
                                                 "label": "x", "cap": None}]}
