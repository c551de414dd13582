"""garak's block for ``aima-ci init``: a generator config that reaches the app's model.

The target is chosen from what inspection read in the source: the app's own HTTP endpoint when
it serves one (the scan then covers its prompt template, retrieval and guards too), else the
model server it calls (Ollama and vLLM speak the OpenAI chat-completions shape, so garak's
OpenAI-compatible generator reaches them). A hosted API or a Hugging Face model would need the
network, so those blocks are only suggested. The prompt cap keeps a first scan to minutes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import Starter

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

GENERATOR_FILE = "garak-generator.json"
DEFAULT_PROBES = ("promptinject.HijackHateHumans", "encoding.InjectBase64", "ansiescape.AnsiRaw")
DEFAULT_CAP = 20
OLLAMA_URL = "http://127.0.0.1:11434"


def starter(facts: RepoFacts) -> Starter | None:
    llm = facts.llm
    if not (llm.clients or facts.llm_libraries):
        return None
    garak = dict(getattr(facts.profile, "garak", None) or {})
    config: dict[str, Any] = {
        "mode": "run",
        "target_type": "rest",
        "generator_config": GENERATOR_FILE,
        "probes": list(garak.get("probes", DEFAULT_PROBES)),
        "generations": 1,
        "prompt_cap": int(garak.get("prompt_cap", DEFAULT_CAP)),
        "thresholds": {"default": 0.9},
        "timeout": 900,
    }
    notes = {"prompt_cap": "prompts per probe: raise it once the scan works"}
    steps: list[str] = []
    enabled = True
    if llm.app_route:
        port = llm.app_port or 8000
        options = {
            "rest": {
                "RestGenerator": {
                    "name": (llm.app_file or "app").rsplit("/", 1)[-1].removesuffix(".py"),
                    "uri": f"http://127.0.0.1:{port}{llm.app_route}",
                    "method": "post",
                    "headers": {"Content-Type": "application/json"},
                    "req_template_json_object": {llm.request_field or "prompt": "$INPUT"},
                    "response_json": True,
                    "response_json_field": llm.response_field or "text",
                    "request_timeout": 60,
                }
            }
        }
        why = f"LLM probes against the app's own endpoint ({llm.app_route} in {llm.app_file})."
        steps.append(
            f"garak: start the app before `aima-ci run`: python {llm.app_file}"
            f" (it must listen on 127.0.0.1:{port}); check {GENERATOR_FILE}'s request and"
            " response fields"
        )
        if "ollama" in llm.clients:
            steps.append(_ollama_step(llm.model))
    elif "ollama" in llm.clients or (llm.base_url and "openai" in llm.clients):
        base = llm.base_url or OLLAMA_URL
        local = "ollama" in llm.clients
        config["target_type"] = "openai.OpenAICompatible"
        config["target_name"] = llm.model or "llama3"
        config["api_key_env"] = "OLLAMA_API_KEY" if local else "OPENAI_API_KEY"
        options = {"openai": {"OpenAICompatible": {"uri": f"{base.rstrip('/')}/v1/"}}}
        why = f"LLM probes against the model server at {base} (OpenAI-compatible API)."
        if local:
            steps += [
                _ollama_step(llm.model),
                "garak: export OLLAMA_API_KEY=ollama  (Ollama ignores the value; garak's"
                " OpenAI-compatible client needs one)",
            ]
    elif "openai" in llm.clients or "huggingface" in llm.clients:
        hosted = "openai" in llm.clients
        config["target_type"] = "openai.OpenAIGenerator" if hosted else "huggingface.Pipeline"
        config["target_name"] = llm.model or ("gpt-4o-mini" if hosted else "MODEL-ID")
        if hosted:
            config["api_key_env"] = "OPENAI_API_KEY"
        config.pop("generator_config")
        options = {}
        enabled = False
        why = (
            f"LLM probes (found {', '.join(llm.clients)}): a hosted or downloaded model needs"
            " the network; serve it locally or scan your app's endpoint, then uncomment."
        )
    else:  # a library in the dependencies, no client call found: a REST template to fill in
        options = {
            "rest": {
                "RestGenerator": {
                    "uri": "http://127.0.0.1:8000/generate",
                    "method": "post",
                    "headers": {"Content-Type": "application/json"},
                    "req_template_json_object": {"prompt": "$INPUT"},
                    "response_json": True,
                    "response_json_field": "text",
                    "request_timeout": 60,
                }
            }
        }
        enabled = False
        why = (
            f"LLM probes (found {', '.join(facts.llm_libraries)} in the dependencies, no client"
            f" call in the code): point {GENERATOR_FILE} at your app's endpoint, then uncomment."
        )
    files = {GENERATOR_FILE: json.dumps(options, indent=2) + "\n"} if options else {}
    return Starter(config, why, enabled=enabled, notes=notes, next_steps=tuple(steps), files=files)


def _ollama_step(model: str | None) -> str:
    return f"garak: the app calls Ollama: ollama serve & ollama pull {model or 'MODEL'}"
