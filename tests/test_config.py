"""Config loading: defaults, pyproject, and errors that name the file, key, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from aima_ci.config import ConfigError, load_config


def test_no_config_gives_defaults(repo: Path):
    cfg = load_config(cwd=repo)
    assert cfg.path is None
    assert cfg.target.level == 1
    assert cfg.output_dir == (repo / ".aima").resolve()
    assert cfg.collectors == {}


def test_discovers_aima_yaml_and_resolves_paths_relative_to_it(repo: Path, write_config):
    (repo / "sub").mkdir()
    (repo / "sub" / "att.yaml").write_text("attestations: []\n")
    write_config(
        {
            "target": {"level": 2, "domains": {"VER": 3}},
            "attestations": "att.yaml",
            "output_dir": "out",
        },
        name="sub/aima.yaml",
    )
    cfg = load_config(cwd=repo / "sub")
    assert cfg.target.level == 2 and cfg.target.domains == {"VER": {"level": 3}}
    assert cfg.attestation_files == ((repo / "sub" / "att.yaml").resolve(),)
    assert cfg.output_dir == (repo / "sub" / "out").resolve()
    assert cfg.root == repo.resolve()


def test_pyproject_section(repo: Path):
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.aima-ci]\ntarget = {level = 2}\n'
        '[tool.aima-ci.collectors.testplugin]\nbehaviour = "pass"\n'
    )
    cfg = load_config(cwd=repo)
    assert cfg.path == (repo / "pyproject.toml").resolve()
    assert cfg.target.level == 2
    assert cfg.collectors == {"testplugin": {"behaviour": "pass"}}


@pytest.mark.parametrize(
    ("text", "key", "line", "reason"),
    [
        ("version: 1\ntarget:\n  level: 7\n", "target.level", 3, "0 to 3"),
        ("version: 1\ntargett: 1\n", "targett", 2, "unknown key"),
        ("target:\n  domains:\n    XYZ: 2\n", "target.domains.XYZ", 3, "unknown domain"),
        ("collectors:\n  garak:\n    timeout: -1\n", "collectors.garak.timeout", 3, "positive"),
        (
            "collectors:\n  garak:\n    mode: scan\n",
            "collectors.garak.mode",
            3,
            "'run' or 'report'",
        ),
        (
            "collectors: {}\nrequired_collectors: [garak]\n",
            "required_collectors[0]",
            2,
            "not configured",
        ),
        ("output_dir: ../../outside\n", "output_dir", 1, "outside the repository root"),
        ("attestations: missing.yaml\n", "attestations", 1, "does not exist"),
        ("waivers: {a: 1}\n", "waivers", 1, "list"),
        ("target: [1, 2]\n", "target", 1, "level"),
    ],
)
def test_errors_name_file_key_line_and_reason(repo: Path, write_config, text, key, line, reason):
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, cwd=repo)
    err = info.value
    assert err.file == "aima.yaml"
    assert err.key == key
    assert err.line == line
    assert reason in err.reason
    assert str(err).startswith(f"aima.yaml:{line}: {key}: ")


def test_invalid_yaml_reports_line(repo: Path, write_config):
    path = write_config("target:\n  level: 1\n bad: [\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, cwd=repo)
    assert "invalid YAML" in info.value.reason and info.value.line is not None


def test_alias_bomb_is_refused(repo: Path, write_config):
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = write_config("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="aliases"):
        load_config(path, cwd=repo)


def test_not_utf8_and_missing_file(repo: Path):
    bad = repo / "aima.yaml"
    bad.write_bytes(b"target: \xff\xfe\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad, cwd=repo)
    with pytest.raises(ConfigError, match="not found"):
        load_config(repo / "nope.yaml", cwd=repo)


def test_symlink_escaping_root_is_refused(repo: Path, tmp_path: Path, write_config):
    outside = tmp_path / "outside.yaml"
    outside.write_text("attestations: []\n")
    (repo / "link.yaml").symlink_to(outside)
    path = write_config("attestations: link.yaml\n")
    with pytest.raises(ConfigError, match="outside the repository root"):
        load_config(path, cwd=repo)
