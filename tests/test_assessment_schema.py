"""assessment.json follows its published JSON Schema (packaged and copied into docs/)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]


def schema() -> dict:
    return json.loads(
        resources.files("aima_ci").joinpath("data/assessment.schema.json").read_text()
    )


def test_docs_copy_matches_packaged_schema():
    assert json.loads((ROOT / "docs" / "assessment.schema.json").read_text()) == schema()


def test_real_assessment_validates(cli, repo, write_config):
    (repo / "att.yaml").write_text(
        yaml.safe_dump(
            {
                "attestations": [
                    {
                        "question": "GOV-SM-A1",
                        "answer": 2,
                        "owner": "o",
                        "date": "2026-11-01",
                        "expires": "2027-11-01",
                    },
                    {
                        "question": "GOV-SM-B1",
                        "answer": "yes",
                        "owner": "o",
                        "date": "2026-01-01",
                        "expires": "2026-02-01",
                    },
                ]
            }
        )
    )
    write_config(
        {
            "attestations": "att.yaml",
            "collectors": {"testplugin": {"behaviour": "fail"}},
            "waivers": [
                {"id": "testplugin.beta", "reason": "r", "owner": "o", "expires": "2026-12-31"}
            ],
        }
    )
    res = cli("run", cwd=repo, env={"AIMA_CI_TODAY": "2026-11-26"})
    assert res.returncode == 1
    data = json.loads((repo / ".aima" / "assessment.json").read_text())
    jsonschema.Draft7Validator(schema()).validate(data)
    assert [w["id"] for w in data["waivers"]["applied"]] == ["testplugin.beta"]
    assert any("expired" in p["message"] for p in data["problems"])
    broken = dict(data, overall={"score": 4, "level": 1, "plus": False})
    assert list(jsonschema.Draft7Validator(schema()).iter_errors(broken))
