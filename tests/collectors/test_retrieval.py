"""The retrieval collector on a LangChain-style RAG fixture: a pickled FAISS docstore fails,
an ingestion script without a PII filter fails, and the fixed variants pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aima_ci_collectors.retrieval import RetrievalCollector

from aima_ci.errors import CollectorConfigError
from aima_ci.models import Status
from aima_ci.onboard.facts import inspect
from aima_ci.plugin import CollectorContext

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "onboard" / "rag-chatbot"


def run(root: Path, config: dict) -> dict:
    collector = RetrievalCollector()
    collector.validate_config(config)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=root / ".aima" / "artefacts" / "retrieval",
        evidence_dir=root / ".aima",
    )
    return {f.check: f for f in collector.collect(ctx)}


@pytest.fixture
def rag(tmp_path: Path) -> Path:
    root = tmp_path / "rag"
    shutil.copytree(FIXTURE, root)
    (root / ".git").mkdir()
    return root


def test_starter_names_the_index_its_script_and_sources(rag: Path) -> None:
    starter = RetrievalCollector().starter(inspect(rag))
    assert starter is not None and starter.enabled
    assert dict(starter.config) == {
        "indexes": ["vectorstore"],
        "ingest": ["ingest.py"],
        "sources": ["docs"],
    }


def test_the_fixture_as_committed(rag: Path) -> None:
    f = run(rag, {"indexes": ["vectorstore"], "ingest": ["ingest.py"], "sources": ["docs"]})
    assert f["retrieval.index_source"].status is Status.PASS
    assert f["retrieval.index_format"].status is Status.FAIL
    assert "vectorstore/index.pkl" in f["retrieval.index_format"].message
    assert f["retrieval.ingestion_pii_filter"].status is Status.FAIL
    assert all(x.details["owasp_llm"] == ["LLM08:2025"] for x in f.values())


def test_fixed_repository_passes(rag: Path) -> None:
    (rag / "vectorstore" / "index.pkl").unlink()
    (rag / "vectorstore" / "docstore.json").write_text("{}")
    script = (rag / "ingest.py").read_text()
    (rag / "ingest.py").write_text(
        script.replace(
            "docs = DirectoryLoader",
            "from presidio_analyzer import AnalyzerEngine\ndocs = DirectoryLoader",
        )
    )
    f = run(rag, {"indexes": ["vectorstore"], "ingest": ["ingest.py"], "sources": ["docs"]})
    assert {k: v.status for k, v in f.items()} == {
        "retrieval.index_source": Status.PASS,
        "retrieval.index_format": Status.PASS,
        "retrieval.ingestion_pii_filter": Status.PASS,
    }


def test_a_pickle_without_the_extension_is_caught_and_a_missing_source_fails(rag: Path) -> None:
    (rag / "vectorstore" / "index.pkl").rename(rag / "vectorstore" / "store.bin")
    f = run(rag, {"indexes": ["vectorstore"], "ingest": ["ingest.py"], "sources": ["nowhere"]})
    assert f["retrieval.index_format"].status is Status.FAIL
    assert "store.bin" in f["retrieval.index_format"].message
    assert f["retrieval.index_source"].status is Status.FAIL
    assert "source nowhere is missing" in f["retrieval.index_source"].message


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"indexes": "vectorstore"}, "indexes"),
        ({}, "indexes"),
        ({"indexes": ["v"], "pii_filter": "("}, "pii_filter"),
        ({"indexes": ["v"], "extra": 1}, "extra"),
    ],
)
def test_bad_config_names_the_key(config: dict, key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        RetrievalCollector().validate_config(config)
    assert err.value.key == f"collectors.retrieval.{key}"


def test_preflight_refuses_a_missing_or_escaping_path(rag: Path) -> None:
    from aima_ci.plugin import Preflight

    check = Preflight("retrieval", rag, rag)
    RetrievalCollector().preflight({"indexes": ["vectorstore"], "ingest": ["ingest.py"]}, check)
    for config, key in (
        ({"indexes": ["vectorstore"], "ingest": ["nope.py"]}, "collectors.retrieval.ingest[0]"),
        ({"indexes": ["../outside"]}, "collectors.retrieval.indexes[0]"),
    ):
        with pytest.raises(CollectorConfigError) as err:
            RetrievalCollector().preflight(config, check)
        assert err.value.key == key
