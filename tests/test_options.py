"""The option-spec mechanism (aima_ci.options): every kind, its errors and their keys, defaults,
modes, build, the JSON Schema and the docs table, and the hand-off to collectors."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aima_ci.errors import CollectorConfigError
from aima_ci.options import (
    Bool,
    Choice,
    FilePath,
    Float,
    Int,
    Invalid,
    ListOf,
    MapOf,
    Obj,
    OneOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)
from aima_ci.plugin import Collector, CollectorContext, Preflight


def _positive_mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of generator options")
    for key, item in value.items():
        if item == "secret":
            raise Invalid("must not hold a literal secret", f".{key}")
    return dict(value)


@dataclass(frozen=True)
class Built:
    model: str
    sample_size: int
    eps: tuple[float, ...]
    attacks: Any


def _build(values: Values) -> Built:
    if values["eps_units"] == "absolute" and values["clip"] is None:
        raise values.error("clip", "is required when eps_units is absolute")
    return Built(values["model"], values["sample_size"], values["eps"], values["attacks"])


SPEC = Spec(
    options=(
        Option("model", Text(), required=True, doc="A name from `models:` or a model path."),
        Option("data", FilePath("file"), doc="Test data: CSV, Parquet, .npz ..."),
        Option("extra", ListOf(FilePath("any")), doc="More inputs | with a pipe."),
        Option("sample_size", Int(minimum=1, maximum=100_000), default=200, doc="Rows."),
        Option(
            "eps",
            ListOf(Float(minimum=0, exclusive_minimum=True), min_items=1),
            default=(0.1,),
            doc="Perturbation budgets.",
        ),
        Option("eps_units", Choice("std", "absolute"), default="std", doc="Units of eps."),
        Option("clip", ListOf(Float(), min_items=2, max_items=2)),
        Option("trust_model", Bool(), default=False, doc="Unpickle the model."),
        Option("label_map", MapOf(Text(), keys=OneOf(Int(), Text())), doc="Raw code -> class."),
        Option(
            "attacks",
            MapOf(
                Obj(
                    Option("eps", Float(minimum=0, exclusive_minimum=True), required=True),
                    Option("max_iter", Int(minimum=1), default=10),
                    Option("data", FilePath("file")),
                )
            ),
            doc="Attacks by name.",
        ),
        Option("x", OneOf(Text(), ListOf(Text())), doc="One name or several."),
        Option(
            "generator_options",
            Raw(schema={"type": "object"}, check=_positive_mapping),
            doc="Passed to the tool as is.",
        ),
        Option("report", FilePath("file"), modes=("report",), doc="The tool's report."),
    ),
    thresholds={"robustness_ratio": Float(minimum=0, maximum=1), "min_samples": Int(minimum=1)},
    modes=("run", "report"),
    build=_build,
)


def parse(config: dict[str, Any], spec: Spec = SPEC) -> Any:
    return spec.parse("demo", config)


def refused(config: dict[str, Any], spec: Spec = SPEC) -> tuple[str, str]:
    with pytest.raises(CollectorConfigError) as info:
        parse(config, spec)
    assert str(info.value) == f"config: {info.value.key}: {info.value.reason}"
    return info.value.key, info.value.reason


# -- defaults, build, values -----------------------------------------------------------------


def test_defaults_are_filled_in_and_build_makes_the_typed_settings():
    got = parse({"model": "m.onnx"})
    assert got == Built("m.onnx", 200, (0.1,), None)
    values = SPEC.values("demo", {"model": "m.onnx", "eps": [1, 0.5]})
    assert values["eps"] == (1.0, 0.5) and all(type(e) is float for e in values["eps"])
    assert values["trust_model"] is False and values["enabled"] is True
    assert values["mode"] == "run" and values.mode == "run"
    assert values["data"] is None  # absent without a default


def test_values_are_read_only_and_pickle_with_their_key():
    values = SPEC.values("demo", {"model": "m", "label_map": {0: "cat"}})
    with pytest.raises(TypeError):
        values["model"] = "other"  # type: ignore[index]
    again = pickle.loads(pickle.dumps(values))
    assert again == values and again.at == "collectors.demo" and again.mode == "run"
    assert again["label_map"] == {0: "cat"}
    assert again.error("model", "x").key == "collectors.demo.model"
    built = parse({"model": "m", "attacks": {"fgsm": {"eps": 0.2}}})
    assert pickle.loads(pickle.dumps(built)) == built
    assert built.attacks["fgsm"]["max_iter"] == 10  # nested defaults


def test_build_errors_name_the_key():
    assert refused({"model": "m", "eps_units": "absolute"}) == (
        "collectors.demo.clip",
        "is required when eps_units is absolute",
    )

    def build(values: Values) -> None:
        raise Invalid("must list the positive class first", "[0]")

    spec = Spec(options=(Option("labels", ListOf(Text())),), build=build)
    assert refused({}, spec) == ("collectors.demo[0]", "must list the positive class first")


# -- each kind --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "reason"),
    [
        ({}, "model", "is required (a non-empty string)"),
        ({"model": "  "}, "model", "must be a non-empty string"),
        ({"model": 3}, "model", "must be a non-empty string"),
        ({"model": "m", "data": 1}, "data", "must be a path (a string)"),
        ({"model": "m", "sample_size": True}, "sample_size", "must be a whole number from 1 to 100000"),
        ({"model": "m", "sample_size": 0}, "sample_size", "must be a whole number from 1 to 100000"),
        ({"model": "m", "sample_size": 2.0}, "sample_size", "must be a whole number from 1 to 100000"),
        ({"model": "m", "sample_size": "5"}, "sample_size", "must be a whole number from 1 to 100000"),
        ({"model": "m", "eps": [0.1, 0]}, "eps[1]", "must be a number > 0"),
        ({"model": "m", "eps": [True]}, "eps[0]", "must be a number > 0"),
        ({"model": "m", "eps": [float("nan")]}, "eps[0]", "must be a number > 0"),
        ({"model": "m", "eps": [float("inf")]}, "eps[0]", "must be a number > 0"),
        ({"model": "m", "eps": []}, "eps", "must be a non-empty list of numbers"),
        ({"model": "m", "eps": 0.1}, "eps", "must be a non-empty list of numbers"),
        ({"model": "m", "eps_units": "STD"}, "eps_units", "must be one of std, absolute"),
        ({"model": "m", "clip": [0]}, "clip", "must be a list of 2 numbers"),
        ({"model": "m", "trust_model": "true"}, "trust_model", "must be true or false"),
        ({"model": "m", "trust_model": 1}, "trust_model", "must be true or false"),
        ({"model": "m", "label_map": ["a"]}, "label_map", "must be a mapping of names to strings"),
        ({"model": "m", "label_map": {1: 2}}, "label_map.1", "must be a non-empty string"),
        ({"model": "m", "label_map": {1.5: "x"}}, "label_map.1.5", "must be a whole number or a non-empty string"),
        ({"model": "m", "attacks": {"fgsm": {}}}, "attacks.fgsm.eps", "is required (a number > 0)"),
        ({"model": "m", "attacks": {"fgsm": 3}}, "attacks.fgsm", "must be a mapping"),
        ({"model": "m", "attacks": {"fgsm": {"eps": 1, "max_iter": 0}}}, "attacks.fgsm.max_iter", "must be a whole number >= 1"),
        ({"model": "m", "x": 3}, "x", "must be a non-empty string or a list of strings"),
        ({"model": "m", "x": ["a", ""]}, "x[1]", "must be a non-empty string"),
        ({"model": "m", "generator_options": []}, "generator_options", "must be a mapping of generator options"),
        ({"model": "m", "generator_options": {"k": "secret"}}, "generator_options.k", "must not hold a literal secret"),
    ],
)  # fmt: skip
def test_each_kind_refuses_with_the_exact_key(config, key, reason):
    assert refused(config) == (f"collectors.demo.{key}", reason)


def test_choice_compares_with_the_type_and_one_of_dispatches_by_type():
    spec = Spec(options=(Option("n", Choice(1, 2)), Option("x", OneOf(Text(), ListOf(Text())))))
    assert refused({"n": True}, spec)[0] == "collectors.demo.n"
    assert parse({"n": 2, "x": "a"}, spec)["x"] == "a"
    assert parse({"x": ["a", "b"]}, spec)["x"] == ("a", "b")


def test_list_single_unique_and_text_pattern():
    spec = Spec(
        options=(
            Option("p", ListOf(FilePath("any"), min_items=1, single=True, unique=True)),
            Option("q", Text(r"data(\.\w+)+", what="a rule like data.<pkg>.<rule>")),
        )
    )
    assert parse({"p": "policies"}, spec)["p"] == ("policies",)
    assert refused({"p": ["a", "a"]}, spec) == ("collectors.demo.p", "lists 'a' twice")
    assert refused({"p": 3}, spec) == (
        "collectors.demo.p",
        "must be a path or a non-empty list of paths",
    )
    assert refused({"q": "data."}, spec) == (
        "collectors.demo.q",
        "must be a rule like data.<pkg>.<rule>",
    )
    assert parse({"q": "data.aima.deny"}, spec)["q"] == "data.aima.deny"


# -- keys, runner keys, modes, thresholds ----------------------------------------------------


def test_unknown_keys_are_refused_with_a_suggestion_and_the_known_keys():
    key, reason = refused({"model": "m", "sample_sise": 3})
    assert key == "collectors.demo.sample_sise"
    assert reason.startswith("unknown key (did you mean 'sample_size'? expected one of: ")
    for known in ("attacks", "enabled", "model", "mode", "thresholds", "timeout", "ttl_days"):
        assert known in reason
    key, reason = refused({"model": "m", "attacks": {"a": {"eps": 1, "max_iters": 3}}})
    assert key == "collectors.demo.attacks.a.max_iters"
    assert "did you mean 'max_iter'?" in reason and "expected one of: data, eps, max_iter" in reason
    assert refused({"model": "m", "zzz": 1})[1].startswith("unknown key (expected one of:")


def test_runner_keys_are_part_of_every_spec():
    bare = Spec()
    values = bare.parse("demo", {"enabled": False, "timeout": 30, "ttl_days": 7})
    assert values["timeout"] == 30.0 and values["enabled"] is False
    assert refused({"timeout": 0}, bare)[0] == "collectors.demo.timeout"
    assert refused({"enabled": "yes"}, bare) == ("collectors.demo.enabled", "must be true or false")
    assert refused({"mode": "report"}, bare) == (
        "collectors.demo.mode",
        "the demo collector has no report mode; remove the key",
    )
    assert refused({"thresholds": {"x": 1}}, bare)[0] == "collectors.demo.thresholds"
    with pytest.raises(ValueError, match="runner key"):
        Spec(options=(Option("timeout", Int()),))
    with pytest.raises(ValueError, match="declared twice"):
        Spec(options=(Option("a", Int()), Option("a", Text())))


def test_modes_and_keys_of_one_mode():
    assert SPEC.values("demo", {"model": "m", "report": "r.json"}).mode == "report"
    assert SPEC.values("demo", {"model": "m", "mode": "report"})["mode"] == "report"
    assert refused({"model": "m", "mode": "both"}) == (
        "collectors.demo.mode",
        "must be 'run' or 'report'",
    )
    assert refused({"model": "m", "mode": "run", "report": "r.json"}) == (
        "collectors.demo.report",
        "only used in report mode (this block is in run mode)",
    )
    only = Spec(
        options=(Option("report", FilePath(), required=True, modes=("report",)),), modes=("report",)
    )
    assert only.values("demo", {"report": "r.json"}).mode == "report"
    assert refused({}, only) == ("collectors.demo.report", "is required (a path (a string))")
    assert refused({"mode": "run"}, only) == (
        "collectors.demo.mode",
        "the demo collector has only report mode",
    )


def test_thresholds_accept_only_their_keys_and_kinds():
    values = SPEC.values("demo", {"model": "m", "thresholds": {"robustness_ratio": 1}})
    assert values["thresholds"]["robustness_ratio"] == 1.0
    assert refused({"model": "m", "thresholds": {"robustness_ratio": 1.5}}) == (
        "collectors.demo.thresholds.robustness_ratio",
        "must be a number from 0 to 1",
    )
    assert refused({"model": "m", "thresholds": {"min_sample": 3}})[0] == (
        "collectors.demo.thresholds.min_sample"
    )


# -- what the spec tells others -------------------------------------------------------------


def test_json_schema_is_valid_and_agrees_with_parse():
    schema = SPEC.json_schema("demo")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    props = schema["properties"]
    assert schema["additionalProperties"] is False and schema["else"] == {"required": ["model"]}
    assert list(validator.iter_errors({"enabled": False})) == []  # never parsed: nothing required
    assert list(validator.iter_errors({"enabled": True}))
    assert props["sample_size"] == {
        "type": "integer", "minimum": 1, "maximum": 100_000, "description": "Rows.", "default": 200
    }  # fmt: skip
    assert props["eps"]["items"]["exclusiveMinimum"] == 0 and props["eps"]["default"] == [0.1]
    assert props["eps_units"]["enum"] == ["std", "absolute"]
    assert props["mode"]["enum"] == ["run", "report"]
    assert props["attacks"]["additionalProperties"]["required"] == ["eps"]
    assert set(props["thresholds"]["properties"]) == {"robustness_ratio", "min_samples"}
    good = {"model": "m", "eps": [0.2], "attacks": {"a": {"eps": 1}}, "x": ["a"], "timeout": 9}
    parse(good)
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {"model": "m", "sample_sise": 3},
        {"model": "m", "sample_size": 0},
        {"model": "m", "eps_units": "STD"},
        {"model": "m", "trust_model": "true"},
        {"model": "m", "attacks": {"a": {"max_iter": 2}}},
        {"model": "m", "thresholds": {"min_sample": 3}},
        {"sample_size": 3},
    ):
        assert list(validator.iter_errors(bad)), bad
        with pytest.raises(CollectorConfigError):
            parse(bad)


def test_table_lists_every_key_with_type_default_and_doc():
    table = SPEC.table("demo")
    lines = table.splitlines()
    assert lines[0] == "| key | type | default | description |"
    assert "| `model` | text | required | A name from `models:` or a model path. |" in lines
    assert "| `sample_size` | integer | `200` | Rows. |" in lines
    assert "| `eps` | list of number | `[0.1]` | Perturbation budgets. |" in lines
    assert "| `report` | file path |  | (report mode) The tool's report. |" in lines
    assert "More inputs \\| with a pipe." in table
    assert any(line.startswith("| `thresholds` |") for line in lines)
    internal = Spec(options=(Option("declared", Raw(), internal=True),))
    assert "declared" not in internal.table() and "declared" not in str(internal.json_schema())


def test_input_paths_and_paths_come_from_file_path_options():
    assert SPEC.input_paths == {"data": "file", "extra": "any", "report": "file"}
    config = {
        "model": "m",
        "data": "d.csv",
        "extra": ["a", "b*.csv"],
        "attacks": {"a": {"eps": 1, "data": "x.npz"}},
    }
    assert list(SPEC.paths(config)) == [
        ("data", "d.csv", "file"),
        ("extra[0]", "a", "any"),
        ("attacks.a.data", "x.npz", "file"),
    ]  # the glob is left to the collector


# -- the collector API -----------------------------------------------------------------------


class SpecCollector(Collector):
    name = "demo"
    spec = SPEC


class PlainCollector(Collector):
    name = "plain"

    def validate_config(self, config):
        self.check_keys(config, {"a"})


def test_collector_parses_with_its_spec_and_plugins_without_one_keep_their_config():
    assert SpecCollector().settings_for({"model": "m"}) == Built("m", 200, (0.1,), None)
    with pytest.raises(CollectorConfigError, match=r"collectors\.demo\.model: is required"):
        SpecCollector().validate_config({})
    config = {"a": 1}
    assert PlainCollector().settings_for(config) is config
    with pytest.raises(CollectorConfigError, match=r"collectors\.plain\.b: unknown key"):
        PlainCollector().settings_for({"b": 1})
    with pytest.raises(TypeError):
        PlainCollector().parse_settings(config)


def test_a_context_built_by_hand_parses_and_the_runner_given_settings_are_kept(tmp_path: Path):
    common = {
        "root": tmp_path,
        "config_dir": tmp_path,
        "artefact_dir": tmp_path / "a",
        "evidence_dir": tmp_path,
    }
    ctx = CollectorContext(collector=SpecCollector(), config={"model": "m"}, **common)
    assert ctx.settings == Built("m", 200, (0.1,), None)
    given = Built("given", 1, (), None)
    ctx = CollectorContext(collector=SpecCollector(), config={}, settings=given, **common)
    assert ctx.settings is given  # not parsed again (the empty config would be refused)
    plain = CollectorContext(collector=PlainCollector(), config={"a": 1}, **common)
    assert plain.settings == {"a": 1}


def test_default_preflight_checks_the_spec_paths(tmp_path: Path):
    (tmp_path / "d.csv").write_text("a\n1\n")
    (tmp_path / "folder").mkdir()
    check = Preflight("demo", tmp_path, tmp_path)
    SpecCollector().preflight({"model": "m", "data": "d.csv", "extra": ["folder"]}, check)
    with pytest.raises(
        CollectorConfigError, match=r"collectors\.demo\.data: 'folder' is not a regular file"
    ):
        SpecCollector().preflight({"model": "m", "data": "folder"}, check)
    with pytest.raises(
        CollectorConfigError, match=r"collectors\.demo\.attacks\.a\.data: .*outside"
    ):
        SpecCollector().preflight(
            {"model": "m", "attacks": {"a": {"eps": 1, "data": "../x"}}}, check
        )


def test_a_spec_collector_that_still_overrides_validate_config_gets_both():
    calls = []

    class Both(Collector):
        name = "demo"
        spec = SPEC

        def validate_config(self, config):
            calls.append(dict(config))
            if config.get("model") == "forbidden":
                raise CollectorConfigError("collectors.demo.model", "is forbidden")

    assert Both().settings_for({"model": "m"}).model == "m" and calls == [{"model": "m"}]
    with pytest.raises(CollectorConfigError, match="is forbidden"):
        Both().settings_for({"model": "forbidden"})
    with pytest.raises(CollectorConfigError, match="is required"):
        Both().settings_for({})  # the spec first: the override never sees an invalid block
    assert len(calls) == 2


def test_mode_order_does_not_change_the_default():
    spec = Spec(modes=("report", "run"), options=(Option("report", FilePath(), modes=("report",)),))
    assert spec.values("demo", {}).mode == "run"
    assert spec.values("demo", {"report": "r.json"}).mode == "report"


def test_frozen_mappings_hash_and_a_long_unique_list_is_quick():
    values = SPEC.values("demo", {"model": "m", "label_map": {0: "cat", "x": "dog"}})
    assert hash(values["label_map"]) == hash(
        SPEC.values("demo", {"model": "m", "label_map": {"x": "dog", 0: "cat"}})["label_map"]
    )
    spec = Spec(options=(Option("p", ListOf(Text(), unique=True)),))
    many = [f"probe{i}" for i in range(50_000)]
    assert len(parse({"p": many}, spec)["p"]) == 50_000
    assert refused({"p": [*many, "probe7"]}, spec) == ("collectors.demo.p", "lists 'probe7' twice")
    objs = Spec(options=(Option("o", ListOf(Obj(Option("a", Int())), unique=True)),))
    assert refused({"o": [{"a": 1}, {"a": 1}]}, objs)[0] == "collectors.demo.o"


def test_a_context_for_a_plugin_without_a_spec_does_not_validate_again(tmp_path: Path):
    common = {
        "root": tmp_path,
        "config_dir": tmp_path,
        "artefact_dir": tmp_path,
        "evidence_dir": tmp_path,
    }
    ctx = CollectorContext(collector=PlainCollector(), config={"b": 1}, **common)
    assert ctx.settings == {"b": 1}  # validate_config is the runner's, in the parent, once
