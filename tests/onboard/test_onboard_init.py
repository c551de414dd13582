"""`aima-ci init --profile` on repositories shaped like the two that stalled onboarding: a
scikit-learn credit scorer (data, DVC, an MLflow model URI, no committed model) and a LangChain
RAG chatbot on Ollama. init then run, with no edits, must measure with the real tools."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aima_ci.cli.init import plan_collectors
from aima_ci.config import load_config
from aima_ci.onboard.facts import RepoFacts, inspect, read_table
from aima_ci.plugin import Collector, Starter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onboard"
REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "NO_COLOR": "1", "AIMA_CI_TODAY": "2026-12-01"}


def copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    (root / ".git").mkdir()
    return root


def aima(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=root,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def findings(root: Path) -> list[dict]:
    text = (root / ".aima" / "findings.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


# -- inspection ---------------------------------------------------------------------------------
def test_inspection_finds_what_is_really_in_the_credit_repository() -> None:
    facts = inspect(FIXTURES / "credit-scorer")
    assert facts.models == []
    assert facts.raw_data == ["data/raw/german.data"]
    assert facts.dvc_files == ["dvc.lock"]
    assert set(facts.dvc_outs) == {"data/processed/train.csv", "data/processed/test.csv"}
    assert facts.mlflow_uris == ["runs:/5c1e0f8a9b2d4e6f8a0b1c2d3e4f5a6b/model"]
    assert "src/train.py" in facts.training_scripts and facts.notebooks == ["notebooks/eda.ipynb"]
    ref, cur = facts.split()
    assert (ref.path, cur.path) == ("data/processed/train.csv", "data/processed/test.csv")
    assert (ref.rows, cur.rows) == (120, 60)
    assert facts.label_candidates(ref) == ["default"]
    assert facts.sensitive_candidates(ref) == ["sex", "foreign_worker"]  # age: too many values
    assert facts.favourable(ref, "default") == "0"  # a default is the unfavourable outcome
    payload = facts.tables["api/sample_request.csv"]
    assert payload.rows == 1 and not payload.measurable
    assert all(t.path != "api/sample_request.csv" for t in facts.measurable_tables())


def test_read_table_counts_values_and_survives_junk(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n" + "".join(f"{i},{i % 2}\n" for i in range(30)))
    t = read_table(tmp_path, "t.csv")
    assert (t.rows, t.complete, t.cardinality("b"), t.cardinality("a")) == (30, True, 2, 30)
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02")
    assert read_table(tmp_path, "bin.csv").columns == []
    assert read_table(tmp_path, "missing.csv").columns == []


# -- the starter hook ---------------------------------------------------------------------------
class ThirdParty(Collector):
    name = "thirdparty"

    def starter(self, facts: RepoFacts) -> Starter | None:
        return Starter({"data": facts.datasets[0]}, "A third-party check joins init.")


class Broken(Collector):
    name = "broken"

    def starter(self, facts: RepoFacts) -> Starter | None:
        raise RuntimeError("boom")


def test_third_party_collectors_join_init_and_a_broken_hook_does_not_stop_it() -> None:
    facts = inspect(FIXTURES / "credit-scorer")
    plan = plan_collectors(facts, {"thirdparty": ThirdParty, "broken": Broken})
    assert plan.enabled == ["thirdparty"]
    text = "\n".join(plan.blocks)
    assert "thirdparty:\n    data: api/sample_request.csv" in text
    assert "broken: its starter failed (RuntimeError: boom)" in text


def test_init_core_names_no_collector_keys() -> None:
    """The core asks the collectors; it no longer spells their config keys."""
    source = (REPO / "aima_ci" / "cli" / "init.py").read_text()
    for key in ("sensitive_features", "alert_rules", "generator_config", "reference:"):
        assert key not in source


# -- init then run, no edits ---------------------------------------------------------------------
@pytest.mark.slow
def test_credit_scorer_init_then_run_measures_the_data(tmp_path: Path) -> None:
    root = copy("credit-scorer", tmp_path)
    init = aima(root, "init", "--profile", "auto")
    assert init.returncode == 0, init.stderr
    assert "profile: tabular-classifier" in init.stdout
    assert (
        'sio.dump(mlflow.sklearn.load_model("runs:/5c1e0f8a9b2d4e6f8a0b1c2d3e4f5a6b/model")'
        in init.stdout
    )
    config = load_config(root / "aima.yaml")
    assert config.raw["profile"] == "tabular-classifier"
    assert config.collectors["evidently"]["reference"] == "data/processed/train.csv"
    assert config.collectors["evidently"]["current"] == "data/processed/test.csv"
    assert config.collectors["aif360"]["label"] == "default"
    assert set(config.collectors["aif360"]["protected"]) == {"sex", "foreign_worker"}
    assert config.collectors["provenance"]["dvc"] is True
    assert "fairlearn" not in config.collectors  # no model, no predictions: suggested only
    # every column named anywhere in the config exists in the file it is read from
    header = (root / "data/processed/train.csv").read_text().splitlines()[0].split(",")
    assert config.collectors["aif360"]["label"] in header
    assert "needed_columns (of duration, credit_amount, age, sex, foreign_worker, housing," in (
        init.stdout
    )
    assert "prediction" not in init.stdout  # the payload's column is not the data's
    assert "data/raw/german.data: a raw data file" in init.stdout
    for name in ("aif360", "evidently"):  # measurements never point at the one-row payload
        assert "sample_request" not in json.dumps(config.collectors[name])
    run = aima(root, "run")  # everything init enabled, as a user would run it
    assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr
    got = {(f["collector"], f["check"]): f["status"] for f in findings(root)}
    for key in (
        ("aif360", "aif360.disparate_impact"),
        ("evidently", "evidently.drift_share"),
        ("evidently", "evidently.missing_values"),
        ("provenance", "provenance.dvc"),
        ("privacy", "privacy.pii_scan"),
    ):
        assert got[key] in ("pass", "fail", "warn"), (key, got)
    assessment = json.loads((root / ".aima" / "assessment.json").read_text())
    assert assessment["gate"]["passed"] is (run.returncode == 0)


def test_chatbot_init_writes_a_rest_generator_for_the_app(tmp_path: Path) -> None:
    root = copy("rag-chatbot", tmp_path)
    init = aima(root, "init", "--profile", "auto")
    assert init.returncode == 0, init.stderr
    assert "profile: rag" in init.stdout
    assert "python app.py" in init.stdout and "ollama pull llama3.1" in init.stdout
    assert "vectorstore/index.pkl: a pickled vector store (LLM08)" in init.stdout
    config = load_config(root / "aima.yaml")
    assert config.collectors["retrieval"] == {
        "indexes": ["vectorstore"],
        "ingest": ["ingest.py"],
        "sources": ["docs"],
    }
    garak = config.collectors["garak"]
    assert garak["prompt_cap"] == 20 and garak["target_type"] == "rest"
    assert "latentinjection.LatentInjectionReport" in garak["probes"]
    rest = json.loads((root / "garak-generator.json").read_text())["rest"]["RestGenerator"]
    assert rest["uri"] == "http://127.0.0.1:8000/generate"
    assert rest["req_template_json_object"] == {"prompt": "$INPUT"}
    assert rest["response_json_field"] == "text"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("garak") is None, reason="garak not installed")
def test_chatbot_generator_config_is_accepted_by_garak_against_a_local_endpoint(
    tmp_path: Path,
) -> None:
    """The app's port from .env; the example service (same /generate shape) stands in for it."""
    root = copy("rag-chatbot", tmp_path)
    port = free_port()
    (root / ".env").write_text(f"PORT={port}\n")
    assert aima(root, "init", "--profile", "rag").returncode == 0
    config = yaml.safe_load((root / "aima.yaml").read_text())
    config["collectors"]["garak"]["probes"] = ["promptinject.HijackHateHumans"]  # keep it tiny
    config["collectors"]["garak"]["prompt_cap"] = 3
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    app = REPO / "examples" / "llm-chatbot" / "app.py"
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port), "--mode", "guarded"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on" in (proc.stdout.readline() if proc.stdout else "")
        run = aima(root, "collect", "--only", "garak", timeout=300)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    got = {f["check"]: f for f in findings(root) if f["collector"] == "garak"}
    assert got["garak.scan"]["status"] == "pass", got["garak.scan"]["message"]
    pair = got["garak.promptinject"]["details"]["pairs"][0]
    assert pair["total_evaluated"] == 3


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("garak") is None, reason="garak not installed")
def test_ollama_client_without_an_http_app_gets_garaks_openai_compatible_generator(
    tmp_path: Path,
) -> None:
    """A chat script calling Ollama directly: the scan targets the model server through its
    OpenAI-compatible API (Ollama serves one under /v1); the example service stands in for it."""
    root = copy("rag-chatbot", tmp_path)
    (root / "app.py").write_text(
        "import os\nfrom langchain_ollama import ChatOllama\n\n"
        'llm = ChatOllama(model=os.getenv("OLLAMA_MODEL", "llama3.1"),'
        ' base_url=os.getenv("OLLAMA_BASE_URL", "http://localhost:11434"))\n'
        'print(llm.invoke(input("> ")).content)\n'
    )
    port = free_port()
    (root / ".env").write_text(f"OLLAMA_BASE_URL=http://localhost:{port}\nOLLAMA_MODEL=shopbot\n")
    init = aima(root, "init", "--profile", "llm-app")
    assert init.returncode == 0, init.stderr
    assert "export OLLAMA_API_KEY=ollama" in init.stdout
    config = yaml.safe_load((root / "aima.yaml").read_text())
    garak = config["collectors"]["garak"]
    assert garak["target_type"] == "openai.OpenAICompatible" and garak["target_name"] == "shopbot"
    options = json.loads((root / "garak-generator.json").read_text())
    assert options == {"openai": {"OpenAICompatible": {"uri": f"http://127.0.0.1:{port}/v1/"}}}
    garak["probes"], garak["prompt_cap"] = ["promptinject.HijackHateHumans"], 3
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    app = REPO / "examples" / "llm-chatbot" / "app.py"
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port), "--mode", "unguarded"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on" in (proc.stdout.readline() if proc.stdout else "")
        run = subprocess.run(
            [sys.executable, "-m", "aima_ci", "collect", "--only", "garak"],
            cwd=root,
            env={**ENV, "OLLAMA_API_KEY": "ollama"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    got = {f["check"]: f for f in findings(root) if f["collector"] == "garak"}
    assert got["garak.scan"]["status"] == "pass", got["garak.scan"]["message"]
    assert got["garak.promptinject"]["details"]["pairs"][0]["total_evaluated"] == 3


def test_auto_profile_follows_what_is_found(tmp_path: Path) -> None:
    from aima_ci.onboard.facts import guess_profile

    assert guess_profile(inspect(FIXTURES / "credit-scorer")) == "tabular-classifier"
    assert guess_profile(inspect(FIXTURES / "rag-chatbot")) == "rag"
    images = tmp_path / "vision"
    (images / "data" / "cats").mkdir(parents=True)
    for i in range(25):
        (images / "data" / "cats" / f"{i}.png").write_bytes(b"\x89PNG")
    (images / "model.pt").write_bytes(b"PK")
    assert guess_profile(inspect(images)) == "image-classifier"
    chat = tmp_path / "chat"
    chat.mkdir()
    (chat / "bot.py").write_text("from openai import OpenAI\nclient = OpenAI()\n")
    assert guess_profile(inspect(chat)) == "llm-app"


def test_image_profile_init_loads_and_targets_what_it_says(tmp_path: Path) -> None:
    root = tmp_path / "vision"
    (root / ".git").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "models" / "classifier.onnx").write_bytes(b"\x08\x01")
    res = aima(root, "init", "--profile", "image-classifier")
    assert res.returncode == 0, res.stderr
    config = load_config(root / "aima.yaml")
    assert config.raw["profile"] == "image-classifier"
    assert dict(config.target.practices) == {"IMP-SB": {"level": 1}, "VER-ST": {"level": 1}}
    assert "supply_chain" in config.collectors
    assert "#  art:\n#    model: models/classifier.onnx" in (root / "aima.yaml").read_text()
    attest = (root / "aima-attestations.yaml").read_text()
    first = attest.split("# --- First, for the image-classifier profile\n", 1)[1]
    assert first.startswith("# - question: DAT-DT-A1")


def test_llm_detection_reads_env_files_but_writes_no_secret(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "bot.py").write_text(
        "import os\nfrom openai import OpenAI\n"
        'client = OpenAI(base_url=os.getenv("OPENAI_BASE_URL", "http://localhost:8001/v1"))\n'
        'reply = client.chat.completions.create(model="qwen2.5", messages=[])\n'
    )
    (root / ".env").write_text(
        "OPENAI_API_KEY=sk-PLANTEDSECRET0123456789abcdef\n"
        "OPENAI_BASE_URL=http://alice:hunter2@0.0.0.0:9000\n"
    )
    facts = inspect(root)
    assert facts.llm.clients == ["openai"] and facts.llm.model == "qwen2.5"
    assert facts.llm.base_url == "http://127.0.0.1:9000"
    plan = plan_collectors(facts, {"garak": _garak()})
    text = "\n".join(plan.blocks) + "".join(plan.files.values()) + "".join(plan.next_steps)
    assert "openai.OpenAICompatible" in text and "http://127.0.0.1:9000/v1/" in text
    assert "PLANTEDSECRET" not in text and "hunter2" not in text
    assert "api_key_env: OPENAI_API_KEY" in text


def _garak() -> type[Collector]:
    from aima_ci_collectors.garak import GarakCollector

    return GarakCollector


def test_drift_prefers_a_production_sample_and_compares_the_columns_it_has() -> None:
    from aima_ci_collectors.evidently import EvidentlyCollector

    facts = inspect(REPO / "examples" / "credit-model")
    starter = EvidentlyCollector().starter(facts)
    assert starter is not None
    config = dict(starter.config)
    assert (config["reference"], config["current"]) == ("data/train.csv", "data/current.csv")
    header = (REPO / "examples/credit-model/data/current.csv").read_text().splitlines()[0]
    assert config["columns"] == header.split(",")  # the label is not in production data
    EvidentlyCollector().validate_config(config)


def test_parquet_tables_are_read_with_pyarrow(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 40
    table = pa.table(
        {"gender": ["f", "m"] * (n // 2), "score": list(range(n)), "churn": [0, 1, 1, 0] * (n // 4)}
    )
    (tmp_path / "data").mkdir()
    pq.write_table(table, tmp_path / "data" / "train.parquet")
    facts = inspect(tmp_path)
    t = facts.tables["data/train.parquet"]
    assert (t.columns, t.rows, t.measurable) == (["gender", "score", "churn"], n, True)
    assert facts.label_candidates(t) == ["churn"] and facts.sensitive_candidates(t) == ["gender"]
    assert facts.favourable(t, "churn") == "0"  # churning is the unfavourable outcome
