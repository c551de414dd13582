"""Probe names are checked against the installed garak before any collector runs: a typo is
exit 2 naming the key, with a did-you-mean, instead of a scan that silently ran nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from aima_ci_collectors.garak import GarakCollector, probes

from aima_ci.errors import CollectorConfigError
from aima_ci.plugin import Preflight

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("garak") is None, reason="garak not installed"
)


def config(*names: str) -> dict[str, object]:
    return {"target_type": "rest", "probes": list(names)}


def preflight(cfg: dict[str, object], tmp_path: Path) -> None:
    collector = GarakCollector()
    collector.validate_config(cfg)
    collector.preflight(cfg, Preflight("garak", tmp_path, tmp_path))


def test_known_names_families_tags_and_exclusions_pass(tmp_path: Path) -> None:
    preflight(
        config(
            "promptinject.HijackHateHumans",  # created at import time: not in garak's source
            "encoding.InjectBase64",
            "latentinjection",
            "tag:owasp:llm01",
            "-dan.DanInTheWild",
        ),
        tmp_path,
    )


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("promptinject.HijackHateHuman", "promptinject.HijackHateHumans"),
        ("encoding.injectbase64", "encoding.InjectBase64"),
        ("encodng", "encoding"),
        ("-ansiescape.AnsiRawr", "ansiescape.AnsiRaw"),
    ],
)
def test_a_typo_is_a_config_error_with_a_suggestion(
    name: str, suggestion: str, tmp_path: Path
) -> None:
    GarakCollector().validate_config(config("encoding", name))  # only garak knows the names
    with pytest.raises(CollectorConfigError) as err:
        preflight(config("encoding.InjectBase64", name), tmp_path)
    assert err.value.key == "collectors.garak.probes[1]"
    assert f"did you mean {suggestion}?" in err.value.reason


def test_without_garak_here_names_are_left_to_the_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(probes, "known_probes", lambda: None)
    preflight(config("nosuch.Probe"), tmp_path)


def test_run_refuses_a_typo_before_any_collector_runs(repo: Path, cli) -> None:
    (repo / "aima.yaml").write_text(
        "version: 1\ncollectors:\n  pipeline: {}\n  garak:\n    target_type: rest\n"
        "    probes: [promptinject.HijackHateHuman]\n"
    )
    result = cli("run", cwd=repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "collectors.garak.probes[0]" in result.stderr
    assert "did you mean promptinject.HijackHateHumans?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / ".aima" / "findings.jsonl").exists()
