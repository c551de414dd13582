"""Labels and groups as the user's data has them, mapped in config: one set of rules for fairlearn
and aif360.

A real credit file says ``good``/``bad`` and encodes sex in marital-status codes (A91..A95); the
user maps them in ``aima.yaml`` instead of writing a script. Both fairness collectors accept the
same keys with the same meaning and the same errors, so the rules live here once:

- ``label_map`` / ``prediction_map``: raw value -> outcome value, applied before
  ``positive_label``; a value the map does not name is bad input (a silently unmapped row would
  bias the metric the gate is about);
- a feature's ``groups:`` as a mapping ``{male: [A91, A93, A94], female: [A92, A95]}``: raw code
  -> named group, each code in one group only; a code in the data outside the map is bad input;
- ``intersections: [[sex, age_band]]``: each combination measured as one more grouping, in
  addition to each feature alone, so a disparity that only shows for young women is not averaged
  away.

The config half is standard library only (it runs in the gate process): the validators take an
``err(key, reason)`` factory (a spec's ``Values.error`` in a ``build``), and the option kinds
below wrap them for a collector's spec, so both collectors declare these keys with one rule and
one schema. The data half takes pandas Series and is only called from a collector's run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aima_ci.options import Invalid, Raw
from aima_ci.plugin import InputError

# (key, reason) -> the error to raise: ``Options.error`` today, a spec's ``Values.error`` later.
ErrorFactory = Callable[[str, str], Exception]
MAX_SHOWN = 5
JOINER = " & "  # between the groups of an intersection: "female & young"


# -- config --------------------------------------------------------------------------------------


def _is_code(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def group_map(
    groups: Mapping[Any, Any], key: str, err: ErrorFactory
) -> tuple[tuple[str, str], ...]:
    """``{male: [A91, A93, A94], female: [A92, A95]}`` -> ((code, group), ...), each code once."""
    if len(groups) < 2:
        raise err(key, "must map at least two group names to their raw codes")
    pairs: dict[str, str] = {}
    for group, codes in groups.items():
        if not isinstance(group, str) or not group:
            raise err(key, "group names must be non-empty strings")
        codes = codes if isinstance(codes, list) else [codes]
        if not codes or not all(_is_code(c) for c in codes):
            raise err(f"{key}.{group}", "must list the raw codes of this group")
        for code in codes:
            if str(code) in pairs:
                raise err(
                    f"{key}.{group}", f"code {code!r} is already in group {pairs[str(code)]!r}"
                )
            pairs[str(code)] = group
    return tuple(pairs.items())


def expected_groups(groups: Any, key: str, err: ErrorFactory) -> tuple[str, ...]:
    """``groups: [a, b]``: the values a feature may take (anything else in the data is bad input)."""
    if not isinstance(groups, list) or len(groups) < 2 or not all(_is_code(g) for g in groups):
        raise err(key, "must list at least two expected values")
    return tuple(str(g) for g in groups)


def value_map(value: Any, key: str, err: ErrorFactory) -> dict[str, Any] | None:
    """``label_map``: raw value -> outcome value, keyed by the raw value's text."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise err(key, "must map raw values to outcome values, e.g. {good: 1, bad: 0}")
    out: dict[str, Any] = {}
    for raw, mapped in value.items():
        if isinstance(mapped, bool) or not isinstance(mapped, (int, float, str)):
            raise err(f"{key}.{raw}", "must map to a number or a string")
        out[str(raw)] = mapped
    return out


def positive_label(value: Any, key: str, err: ErrorFactory) -> Any:
    """The favourable outcome value: a number or a string (``true`` is not 1 here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise err(key, "must be a number or a string")
    return value


def intersections(
    value: Any, names: Iterable[str], err: ErrorFactory, under: str
) -> tuple[tuple[str, ...], ...]:
    """``[[sex, age_band]]``: lists of at least two distinct features, each declared ``under``."""
    if value is None:
        return ()
    declared = set(names)
    if not isinstance(value, list):
        raise err("intersections", "must be a list of column lists, e.g. [[sex, age_band]]")
    out = []
    for i, combo in enumerate(value):
        if not isinstance(combo, list) or len(combo) < 2 or len(set(map(str, combo))) != len(combo):
            raise err(f"intersections[{i}]", f"must list at least two distinct {under}")
        missing = [c for c in combo if c not in declared]
        if missing:
            raise err(f"intersections[{i}]", f"{missing[0]!r} is not under {under}")
        out.append(tuple(str(c) for c in combo))
    return tuple(out)


# -- option kinds (the validators above, for a spec) ---------------------------------------------


def _invalid(key: str, reason: str) -> Invalid:
    """Inside a ``Raw`` check ``key`` is relative to the option (``""`` or ``".female"``)."""
    return Invalid(reason, key)


@dataclass(frozen=True)
class Groups:
    """A feature's ``groups:``: raw codes mapped to named groups, or the expected values."""

    mapping: tuple[tuple[str, str], ...] | None = None  # raw code -> named group
    expected: tuple[str, ...] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        if self.mapping is not None:
            return tuple(dict.fromkeys(g for _, g in self.mapping))
        return self.expected or ()


def _groups(value: Any) -> Groups:
    if isinstance(value, Mapping):
        return Groups(mapping=group_map(value, "", _invalid))
    return Groups(expected=expected_groups(value, "", _invalid))


_CODE = {"type": ["string", "integer"]}
_OUTCOME = {"type": ["number", "string"]}
GROUPS = Raw(
    schema={
        "anyOf": [
            {"type": "array", "items": _CODE, "minItems": 2},
            {
                "type": "object",
                "additionalProperties": {"anyOf": [_CODE, {"type": "array", "items": _CODE}]},
                "minProperties": 2,
            },
        ]
    },
    check=_groups,
    what="a list of expected values, or a mapping of group names to raw codes",
    type_name="list or mapping",
)
VALUE_MAP = Raw(
    schema={"type": "object", "additionalProperties": _OUTCOME, "minProperties": 1},
    check=lambda value: value_map(value, "", _invalid),
    what="a mapping of raw values to outcome values",
    type_name="mapping",
)
POSITIVE_LABEL = Raw(
    schema=_OUTCOME,
    check=lambda value: positive_label(value, "", _invalid),
    what="a number or a string",
    type_name="number or string",
)
# The shape only: which columns may be combined is a rule across keys (the spec's build).
INTERSECTIONS = Raw(
    schema={
        "type": "array",
        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
    },
    what="a list of column lists, e.g. [[sex, age_band]]",
    type_name="list of column lists",
)


# -- data ----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value.item() if hasattr(value, "item") else value)


def shown(values: Iterable[Any]) -> str:
    values = list(values)
    text = ", ".join(map(repr, values[:MAX_SHOWN]))
    return text + (", ..." if len(values) > MAX_SHOWN else "")


def map_values(series: Any, mapping: Mapping[str, Any] | None, where: str, key: str) -> Any:
    """``label_map``/``prediction_map`` applied; a value the map does not name is bad input.

    ``where`` is ``collectors.<name>.<key>: <file>``, ``key`` the map's own key for the fix."""
    if mapping is None:
        return series
    text = series.map(_text)
    unknown = sorted(set(text) - set(mapping))
    if unknown:
        raise InputError(
            f"{where}: column '{series.name}' has values the map does not name: "
            f"{shown(unknown)}; add them to {key}"
        )
    return text.map(dict(mapping)).rename(series.name)


def map_groups(
    series: Any, mapping: Sequence[tuple[str, str]] | None, where: str
) -> tuple[Any, list[str]]:
    """The column as strings, raw codes mapped to their named groups, and the named groups no
    row falls in; a code outside the map is bad input."""
    values = series.astype(str).rename(series.name)
    if mapping is None:
        return values, []
    table = dict(mapping)
    unknown = sorted(set(values) - set(table))
    if unknown:
        raise InputError(
            f"{where}: column '{series.name}' has codes no group names: {shown(unknown)};"
            " add them to its groups"
        )
    values = values.map(table).rename(series.name)
    present = set(values)
    return values, [g for g in sorted(set(table.values())) if g not in present]


def check_expected(values: Any, groups: Sequence[str] | None, where: str) -> list[str]:
    """The declared ``groups: [a, b]`` no row falls in; a value outside them is bad input."""
    if groups is None:
        return []
    counts = values.value_counts()
    unknown = [v for v in counts.index if v not in groups]
    if unknown:
        listed = ", ".join(f"'{v}' ({int(counts[v])} rows)" for v in unknown[:MAX_SHOWN])
        raise InputError(
            f"{where}: column '{values.name}' has values outside its expected groups"
            f" ({', '.join(groups)}): {listed}"
        )
    return [g for g in groups if g not in counts.index]


def combine(parts: Sequence[Any], name: str) -> Any:
    """One grouping whose groups are the combinations of ``parts`` (string Series): an
    intersection such as ``female & young``."""
    combined = parts[0]
    for part in parts[1:]:
        combined = combined + JOINER + part
    return combined.rename(name)


def intersection_name(combo: Sequence[str]) -> str:
    return " x ".join(combo)
