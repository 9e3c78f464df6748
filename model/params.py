"""Declaring parameters once: value, unit, range and source, read by validation, docs and the app.

Every parameter of the simulator is a field of a frozen dataclass made with :func:`param`.
:func:`build` turns a TOML table into such a dataclass, rejecting unknown keys, wrong types and
values outside the declared range with a :class:`~model.errors.ScenarioError` naming the field.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from model.errors import ScenarioError


@dataclass(frozen=True)
class Meta:
    """What a parameter means: unit, admissible range, and where its value comes from."""

    unit: str
    lo: float | None
    hi: float | None
    doc: str
    source: str


def param(default: Any, unit: str, lo: float | None, hi: float | None, doc: str,
          source: str = "assumption") -> Any:
    """Declare a dataclass field with its unit, range ``[lo, hi]``, meaning and source."""
    return field(default=default, metadata={"meta": Meta(unit, lo, hi, doc, source)})


def meta_of(cls: type, name: str) -> Meta | None:
    """The :class:`Meta` of field ``name`` of dataclass ``cls`` (None for nested tables)."""
    return _metas(cls)[name]


@functools.cache
def _metas(cls: type) -> dict[str, Meta | None]:
    """Every field's :class:`Meta` of dataclass ``cls``, read once (scenarios are built for
    every calibration particle).
    """
    return {f.name: f.metadata.get("meta") for f in dataclasses.fields(cls)}


def describe(cls: type) -> list[dict[str, Any]]:
    """Rows (name, default, unit, range, doc, source) for docs and generated controls."""
    rows = []
    for f in dataclasses.fields(cls):
        m = f.metadata.get("meta")
        if m is None:
            continue
        rows.append({"name": f.name, "default": f.default, "unit": m.unit, "lo": m.lo,
                     "hi": m.hi, "doc": m.doc, "source": m.source})
    return rows


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, where: str, path: str | None) -> Any:
    """Check ``value`` against annotation ``tp``; ints are accepted where floats are."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where, path)
            except ScenarioError as err:
                errors.append(err)
        raise errors[0]
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(path, where, f"expected a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise ScenarioError(path, where, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, where, f"expected a whole number, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(path, where, f"expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(path, where, f"expected text, got {value!r}")
        return value
    if origin is tuple and typing.get_args(tp)[1:] == (Ellipsis,):
        if not isinstance(value, list | tuple):
            raise ScenarioError(path, where, f"expected a list, got {value!r}")
        item = typing.get_args(tp)[0]
        return tuple(_coerce(v, item, f"{where}[{i}]", path) for i, v in enumerate(value))
    raise TypeError(f"unsupported parameter type {_type_name(tp)} at {where}")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The resolved field annotations of a parameter class (resolved once: they never change)."""
    return typing.get_type_hints(cls)


def build(cls: type, table: Any, path: str | None, where: str, base: Any = None) -> Any:
    """Make dataclass ``cls`` from TOML ``table``, over ``base`` (an instance) or the defaults.

    Only the leaf fields declared with :func:`param` are handled here; ``where`` is the dotted
    name of the table, used in error messages.
    """
    if not isinstance(table, dict):
        raise ScenarioError(path, where, f"expected a table, got {table!r}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise ScenarioError(path, f"{where}.{unknown[0]}" if where else unknown[0],
                            f"unknown key; valid keys are: {', '.join(sorted(names))}")
    if base is None:
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                   and f.name not in table]
        if missing:
            raise ScenarioError(path, f"{where}.{missing[0]}" if where else missing[0],
                                "missing (required)")
    values = {}
    for name, raw in table.items():
        key = f"{where}.{name}" if where else name
        value = _coerce(raw, hints[name], key, path)
        meta = meta_of(cls, name)
        if meta is not None and isinstance(value, int | float) and not isinstance(value, bool):
            if meta.lo is not None and value < meta.lo or meta.hi is not None and value > meta.hi:
                raise ScenarioError(path, key, f"{value!r} is outside [{_fmt(meta.lo)}, "
                                               f"{_fmt(meta.hi)}] ({meta.unit})")
        values[name] = value
    if base is not None:
        return dataclasses.replace(base, **values)
    return cls(**values)


def _fmt(x: float | None) -> str:
    if x is None:
        return "inf"
    return f"{x:g}"


def as_table(obj: Any) -> Any:
    """A dataclass tree as plain dicts/lists (for metadata.json and saved scenario files)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: as_table(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [as_table(x) for x in obj]
    if isinstance(obj, dict):
        return {k: as_table(v) for k, v in obj.items()}
    return obj
