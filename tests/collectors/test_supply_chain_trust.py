"""supply_chain and the model-loading collectors answer the trust question the same way.

A skops forest holds scikit-learn's tree storage, a type outside skops' default trust list: art
and shap refuse it unless its models: declaration says ``trust: true``, and supply_chain fails it
unless that same declaration accepts it. One declaration, one answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
import yaml
from aima_ci_collectors.supply_chain import SupplyChainCollector
from sklearn.tree import DecisionTreeClassifier

from aima_ci.config import load_config
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext


def scan(root: Path, block: dict[str, Any]) -> list[Finding]:
    collector = SupplyChainCollector()
    collector.validate_config(block)
    ctx = CollectorContext(
        collector=collector,
        config=block,
        root=root,
        config_dir=root,
        artefact_dir=root / "out" / "artefacts" / "supply_chain",
        evidence_dir=root / "out",
    )
    return [f for f in collector.collect(ctx) if f.check == "supply_chain.unsafe_serialisation"]


@pytest.mark.parametrize(("trust", "expected"), [(False, Status.FAIL), (True, Status.WARN)])
def test_the_declared_trust_decides_for_the_scanner_too(
    tmp_path: Path, trust: bool, expected: Status
) -> None:
    (tmp_path / ".git").mkdir()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    sio.dump(DecisionTreeClassifier(max_depth=2).fit(x, x[:, 0] > 0), tmp_path / "tree.skops")
    (tmp_path / "aima.yaml").write_text(
        yaml.safe_dump(
            {
                "models": {"tree": {"path": "tree.skops", "trust": trust}},
                "collectors": {
                    "supply_chain": {"models": ["*.skops"], "sbom": False, "modelscan": False}
                },
            }
        )
    )
    block = dict(load_config(tmp_path / "aima.yaml").collectors["supply_chain"])
    (finding,) = scan(tmp_path, block)
    assert finding.status is expected, finding.message
    assert "sklearn.tree._tree.Tree" in finding.message
    assert ("declared trusted in models.tree.trust" in finding.message) is trust
