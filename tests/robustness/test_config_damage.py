"""Any aima.yaml / pyproject.toml, however damaged, loads or fails with ConfigError naming the file.

Complements tests/test_config.py (one hand-written case per rule, the alias bomb, invalid UTF-8,
symlinks): here the inputs are the real example configs with random byte damage and structural
damage (wrong types, NaN/inf, huge numbers, keys removed or added), and every installed
collector's ``validate_config`` gets the same treatment. The only acceptable failures are
ConfigError (exit 2 with file, line, key, reason) and CollectorConfigError (exit 2 naming the key).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rb_support import REPO_ROOT, assert_clean_failure, budget, damaged, make_repo, mutated_json

from aima_ci.cli.main import cli
from aima_ci.config import ConfigError, load_config
from aima_ci.plugin import CollectorConfigError, discover

EXAMPLES = REPO_ROOT / "examples"
CONFIGS = {
    "credit-model": EXAMPLES / "credit-model",
    "llm-chatbot": EXAMPLES / "llm-chatbot",
}
PYPROJECT = """[project]
name = "demo"

[tool.aima-ci]
version = 1
target = {level = 1, practices = {VER-ST = 2}}
attestations = "aima-attestations.yaml"
jobs = 2

[tool.aima-ci.collectors.testplugin]
behaviour = "pass"
timeout = 30
"""


@pytest.fixture(scope="module")
def example_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the examples, each the root of its own repository (paths resolve inside)."""
    out = {}
    for name, source in CONFIGS.items():
        root = make_repo(tmp_path_factory.mktemp(name))
        shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".aima"))
        out[name] = root
    root = make_repo(tmp_path_factory.mktemp("pyproject"))
    shutil.copy(EXAMPLES / "credit-model" / "aima-attestations.yaml", root)
    (root / "pyproject.toml").write_text(PYPROJECT)
    out["pyproject"] = root
    return out


def config_file(root: Path) -> Path:
    return root / ("pyproject.toml" if (root / "pyproject.toml").exists() else "aima.yaml")


def load_or_error(path: Path, root: Path) -> Any:
    """The config, or the ConfigError; anything else escapes and fails the property."""
    try:
        return load_config(path, cwd=root)
    except ConfigError as exc:
        assert exc.file.endswith(path.name) and str(exc).startswith(exc.file), exc
        assert exc.reason, exc
        if exc.line is not None:
            raw = path.read_bytes()  # YAML also breaks lines at \r
            assert 1 <= exc.line <= raw.count(b"\n") + raw.count(b"\r") + 2, exc
        return exc


@pytest.mark.parametrize("name", ["credit-model", "llm-chatbot", "pyproject"])
@budget(80)
@given(data=st.data())
def test_damaged_config_loads_or_names_the_problem(example_repos, name, data):
    root = example_repos[name]
    path = config_file(root)
    intact = path.read_bytes()
    damaged_path = (
        root / f"damaged{path.suffix}" if name != "pyproject" else root / "pyproject.toml"
    )
    if name == "pyproject":
        damaged_path = root / "sub" / "pyproject.toml"
        damaged_path.parent.mkdir(exist_ok=True)
    damaged_path.write_bytes(data.draw(damaged(intact)))
    result = load_or_error(damaged_path, root)
    if not isinstance(result, ConfigError):
        _validate_collectors(result.collectors)


def _validate_collectors(collectors: dict[str, Any]) -> None:
    available = discover()
    for cname, settings in collectors.items():
        cls = available.get(cname)
        if cls is None:
            continue
        try:
            cls().validate_config(settings)
        except CollectorConfigError as exc:
            assert exc.key.startswith(f"collectors.{cname}"), exc


@pytest.mark.parametrize("name", ["credit-model", "llm-chatbot"])
@budget(100)
@given(data=st.data())
def test_wrong_types_nan_and_huge_numbers_are_config_errors(example_repos, name, data):
    """Structural damage: the parsed config with fields replaced, removed or added."""
    root = example_repos[name]
    doc = yaml.safe_load((root / "aima.yaml").read_text())
    mutated = data.draw(mutated_json(doc, max_edits=4))
    path = root / "mutated.yaml"
    path.write_text(yaml.safe_dump(mutated, allow_unicode=True), encoding="utf-8")
    result = load_or_error(path, root)
    if not isinstance(result, ConfigError):
        _validate_collectors(result.collectors)


# Every installed collector's validate_config, fed hostile values for every key it knows.
def _collector_examples() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    for root in CONFIGS.values():
        doc = yaml.safe_load((root / "aima.yaml").read_text())
        for cname, settings in (doc.get("collectors") or {}).items():
            if isinstance(settings, dict):
                examples[cname] = settings
    for cname in discover():
        examples.setdefault(cname, {"enabled": True, "timeout": 60})
    return examples


COLLECTOR_EXAMPLES = _collector_examples()


@pytest.mark.parametrize("cname", sorted(COLLECTOR_EXAMPLES))
@budget(25)
@given(data=st.data())
def test_every_collector_rejects_hostile_keys_with_its_key_name(cname, data):
    settings = data.draw(mutated_json(COLLECTOR_EXAMPLES[cname], max_edits=3))
    if not isinstance(settings, dict):
        return
    cls = discover()[cname]
    try:
        cls().validate_config(settings)
    except CollectorConfigError as exc:
        assert exc.key.startswith(f"collectors.{cname}"), exc
        assert exc.reason


# --------------------------------------------------------------------------- named hostile cases
def _nested(depth: int) -> str:
    return "target: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (_nested(20_000), "aima.yaml"),
        ("target: {" * 3000 + "\n", "invalid YAML"),
        (
            "a: &a ["
            + ",".join(["x"] * 200)
            + "]\n"
            + "".join(
                f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n"
                for i in range(30)
            ),
            "aliases (*name) are not allowed",
        ),
        ("jobs: " + "9" * 5000 + "\n", "invalid YAML: Exceeds the limit (4300 digits)"),
        ("jobs: .nan\n", "jobs: must be a positive whole number"),
        ("target: {score: .nan}\n", "target.score: must be a number from 0 to 3"),
        ("target: {score: .inf}\n", "target.score"),
        ("waiver_max_days: 1.0e+400\n", "waiver_max_days"),
        ("version: 1\nproject: " + "x" * 2_000_000 + "\n", "byte limit"),
        ("collectors: !!python/object/apply:os.system ['touch pwned']\n", "invalid YAML"),
        ("\ufeffversion: 2\n", "version: only version 1 is supported"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("collectors:\n  testplugin: {timeout: .nan}\n", "collectors.testplugin.timeout"),
        ("collectors:\n  testplugin: {timeout: .inf}\n", "collectors.testplugin.timeout"),
        ("collectors:\n  testplugin: {timeout: 1.0e+300}\n", "collectors.testplugin.timeout"),
        ("checks:\n  testplugin.alpha: {ttl_days: .nan}\n", "checks.testplugin.alpha.ttl_days"),
        ("collectors:\n  testplugin: {ttl_days: .nan}\n", "collectors.testplugin.ttl_days"),
        ("collectors:\n  testplugin: {ttl_days: seven}\n", "collectors.testplugin.ttl_days"),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_hostile_yaml_exits_2_naming_file_and_reason(tmp_path, text, expect):
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["gate", "--config", str(root / "aima.yaml")])
    assert_clean_failure(result, allowed=(2,))
    first = result.output.splitlines()[0]
    assert first.startswith("aima-ci: error: ") and "aima.yaml" in first, result.output
    assert expect in first, result.output
    assert not (root / "pwned").exists()


def test_timeout_and_ttl_must_be_finite():
    """NaN and infinity passed the ``<= 0`` checks: a NaN timeout stopped the collector at once
    ("timed out after nans"), an infinite one crashed the timer thread (OverflowError) and left
    the collector running for ever, and a NaN TTL made stale evidence never expire."""
    root = make_repo(Path(__import__("tempfile").mkdtemp()))
    for text, key in [
        ("collectors:\n  testplugin: {timeout: .nan}\n", "collectors.testplugin.timeout"),
        ("collectors:\n  testplugin: {timeout: .inf}\n", "collectors.testplugin.timeout"),
        ("checks:\n  x.y: {ttl_days: .inf}\n", "checks.x.y.ttl_days"),
        ("collectors:\n  testplugin: {ttl_days: .nan}\n", "collectors.testplugin.ttl_days"),
    ]:
        (root / "aima.yaml").write_text(text)
        with pytest.raises(ConfigError) as info:
            load_config(root / "aima.yaml", cwd=root)
        assert info.value.key == key and info.value.line == 2, info.value
    (root / "aima.yaml").write_text("collectors:\n  testplugin: {timeout: 1800, ttl_days: 7}\n")
    cfg = load_config(root / "aima.yaml", cwd=root)
    assert cfg.collectors["testplugin"]["timeout"] == 1800 and not math.isnan(
        cfg.collectors["testplugin"]["ttl_days"]
    )


@pytest.mark.parametrize(
    "text",
    [
        "[tool.aima-ci\n",
        "[tool.aima-ci]\njobs = nan\n",
        "[tool.aima-ci]\ntarget = inf\n",
        "[tool.aima-ci]\njobs = " + "9" * 5000 + "\n",
        "[tool.aima-ci]\ncollectors = 'x'\n",
        "[tool]\naima-ci = 3\n",
        '[tool.aima-ci]\noutput_dir = "../../outside"\n',
        '[tool.aima-ci]\nattestations = "/etc/passwd"\n',
    ],
)
def test_hostile_pyproject_exits_2(tmp_path, text):
    root = make_repo(tmp_path)
    (root / "pyproject.toml").write_text(text)
    result = CliRunner().invoke(cli, ["gate", "--config", str(root / "pyproject.toml")])
    assert_clean_failure(result, allowed=(2,))
    first = result.output.splitlines()[0]
    assert first.startswith("aima-ci: error: ") and "pyproject.toml" in first, result.output


def test_a_path_too_long_for_the_filesystem_is_a_config_error(tmp_path):
    """Path.exists() raises ENAMETOOLONG instead of returning False; it escaped as exit 3."""
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(f"attestations: {'a' * 300}.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_config(root / "aima.yaml", cwd=root)
    assert info.value.key == "attestations" and "cannot be used: File name too long" in str(
        info.value
    )
