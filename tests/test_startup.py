"""What `aima-ci score` and `aima-ci gate` load on start (issue 18: both within a small factor
of a bare Python start). Each module kept out here cost milliseconds on every gate in CI; this
holds the line against an import that brings one back."""

from __future__ import annotations

import pytest

# Never needed to score: the collector runner and plugin loader, the report renderers, what
# `init` found, the history store, the html entity table, tempfile (and the shutil and random
# it brings) for naming temp files (safety/atomic.py names its own).
NOT_FOR_SCORE = {
    "aima_ci.evidence.runner",
    "aima_ci.plugin",
    "aima_ci.reports",
    "aima_ci.repo_facts",
    "concurrent.futures",
    "html",
    "sqlite3",
    "tempfile",
    "shutil",
    "random",
}
# The gate decides on the stored summary when it still holds: no scoring, no catalogue, no
# writing (tempfile), no redaction.
NOT_FOR_GATE = NOT_FOR_SCORE | {
    "aima_ci.assess.scoring",
    "aima_ci.assess.catalogue",
    "aima_ci.safety.redact",
    "tempfile",
}


@pytest.fixture
def collected(repo, write_config, cli):
    write_config({"collectors": {"testplugin": {}}})
    assert cli("collect", "--no-cache", cwd=repo).returncode in (0, 1)
    return repo


def test_score_and_gate_load_only_what_they_use(collected, loaded_modules):
    code, modules = loaded_modules("score", collected)
    assert code in (0, None), code
    assert "aima_ci.evidence.index" in modules  # the control: it scored, from the index
    assert sorted(modules & NOT_FOR_SCORE) == []
    code, modules = loaded_modules("gate", collected)
    assert code in (0, 1), code
    assert "aima_ci.assess.recheck" in modules
    assert sorted(modules & NOT_FOR_GATE) == []
