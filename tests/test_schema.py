"""The JSON Schema of aima.yaml (docs/aima.schema.json): current, valid, and in step with the
validator: what `aima-ci init` writes validates, and configs the validator refuses are refused."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.cli.init import init_repository
from aima_ci.config import PROFILES, SCHEMA_URL, TOP_LEVEL_KEYS, json_schema, schema_options
from aima_ci.options import Spec

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "docs" / "aima.schema.json"
TODAY = dt.date(2026, 11, 26)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_schema", ROOT / "scripts" / "gen_schema.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_schema"] = module
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _jsonable(value: Any) -> Any:
    """As an editor sees the YAML: dates are strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, text: str) -> list[str]:
    data = _jsonable(yaml.safe_load(text))
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]


def test_committed_schema_and_option_tables_are_current() -> None:
    assert GEN.main(["--check"]) == 0, "run: python scripts/gen_schema.py"


def test_generation_is_idempotent_and_marks_every_spec_page(tmp_path: Path) -> None:
    specs = GEN.first_party_specs()
    assert "policy" in specs  # the pilot; others join as they are converted
    for name, spec in specs.items():
        page = GEN.DOCS / f"{name}.md"
        text = page.read_text(encoding="utf-8")
        assert text.count(GEN.BEGIN) == 1 and text.count(GEN.END) == 1, name
        assert GEN.page_text(text, name, spec) == text
    bare = "# x\n\nIntro.\n\n## Configuration\n\nHand-written.\n"
    once = GEN.page_text(bare, "policy", specs["policy"])
    assert GEN.page_text(once, "policy", specs["policy"]) == once
    assert once.index("## Configuration") < once.index(GEN.BEGIN) < once.index("Hand-written.")
    assert "| `input` | file path | required |" in once


def test_schema_describes_exactly_the_top_level_keys_the_validator_accepts() -> None:
    assert {o.key for o in schema_options()} == TOP_LEVEL_KEYS
    schema = json_schema({})
    assert schema["$id"] == SCHEMA_URL and schema["additionalProperties"] is False
    assert set(schema["properties"]) == TOP_LEVEL_KEYS


def test_collectors_with_a_spec_are_described_and_the_others_are_free(validator) -> None:
    schema = json_schema({"demo": Spec()})
    described = schema["properties"]["collectors"]["properties"]
    assert list(described) == ["demo"]
    committed = validator.schema["properties"]["collectors"]["properties"]
    assert set(committed) == set(GEN.first_party_specs())
    ok = "collectors:\n  mythirdparty: {anything: [1, 2]}\n  policy: false\n  garak:\n"
    assert errors(validator, "collectors: {policy: {enabled: false}}\n") == []
    assert errors(validator, ok) == []


@pytest.mark.parametrize("profile", [None, *PROFILES])
def test_init_output_validates_against_the_schema(validator, tmp_path: Path, profile) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    rows = "\n".join(f"{i},{i % 3},{i % 2}" for i in range(40))
    (root / "data" / "train.csv").write_text("age,income,approved\n" + rows + "\n")
    (root / "MODEL_CARD.md").write_text("---\nmodel: x\n---\n# Card\n")
    init_repository(root, load_catalogue(), TODAY, force=False, profile=profile)
    text = (root / "aima.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert errors(validator, text) == []


def test_empty_repository_template_validates(validator, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    init_repository(tmp_path, load_catalogue(), TODAY, force=False)
    text = (tmp_path / "aima.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=https://")
    assert errors(validator, text) == []


def test_the_documented_complete_example_validates(validator) -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"## A complete example\n\n```yaml\n(.*?)```", page, re.S)
    assert example is not None
    assert errors(validator, example.group(1)) == []


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("colectors: {}\n", ""),
        ("fail_on: sometimes\n", "fail_on"),
        ("jobs: 0\n", "jobs"),
        ("target: 5\n", "target"),
        ("target: {level: 1, domains: {XYZ: 2}}\n", "target"),
        ("waivers: [{id: x, reason: r, owner: o}]\n", "waivers.0"),
        ("models: {m: {path: m.onnx, format: tensorflow}}\n", "models.m"),
        ("collectors: {policy: {input: card.md, querry: data.a.b}}\n", "collectors.policy"),
        ("collectors: {policy: {input: card.md, query: 'deny'}}\n", "collectors.policy"),
        ("collectors: {policy: {policies: p}}\n", "collectors.policy"),
        ("collectors: {policy: {input: card.md, timeout: 0}}\n", "collectors.policy"),
        ("collectors: {policy: {input: card.md, mode: report}}\n", "collectors.policy"),
        ("collectors: {policy: {input: card.md, enabled: 'yes'}}\n", "collectors.policy"),
    ],
)
def test_bad_configs_are_refused_by_the_schema(validator, text: str, where: str) -> None:
    found = errors(validator, text)
    assert found, text
    assert any(e.startswith(where) for e in found), found


@pytest.mark.parametrize("name", sorted(GEN.first_party_specs()))
def test_a_collector_with_a_spec_follows_the_template(name: str) -> None:
    """docs/plugins.md: collector.py, settings.py (holding the spec), measure.py, judge.py and
    checks.yaml, with ``__init__`` only re-exporting the class."""
    import importlib

    from aima_ci.plugin import load_collector

    cls = load_collector(name)
    package = importlib.import_module(cls.__module__.rpartition(".")[0])
    folder = Path(package.__file__).parent  # type: ignore[arg-type]
    for part in ("collector.py", "settings.py", "measure.py", "judge.py", "checks.yaml"):
        assert (folder / part).is_file(), f"{name}: no {part}"
    assert cls.__module__.endswith(".collector"), cls.__module__
    settings = importlib.import_module(f"{package.__name__}.settings")
    assert any(value is cls.spec for value in vars(settings).values()), "spec not in settings.py"


def test_the_runner_key_bounds_are_the_validators() -> None:
    """options repeats two bounds of config.py (it may not import the config loader)."""
    from aima_ci import config, options

    assert options.MAX_TIMEOUT_SECONDS == config.MAX_TIMEOUT_SECONDS
    assert options.MAX_TTL_DAYS == config.MAX_TTL_DAYS
