"""How a repository talks to a language model, read from its source (never run).

Enough for a scan to start: which client (OpenAI-compatible, Ollama, Hugging Face, LangChain or
LlamaIndex wrappers), where the model is served (base URL, model name, from code or a ``.env``
file), whether the repository serves its own HTTP endpoint (route, port, request and response
fields) and, for retrieval-augmented apps, where the index comes from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CLIENTS: dict[str, re.Pattern[str]] = {
    "ollama": re.compile(r"\bimport ollama\b|\bfrom ollama\b|ChatOllama|OllamaLLM|\bOllama\(|OllamaEmbeddings|langchain_ollama|llms\.ollama|:11434"),
    "openai": re.compile(r"\bimport openai\b|\bfrom openai\b|\bChatOpenAI\b|\bAzureOpenAI\b|\bOpenAI\("),
    "huggingface": re.compile(r"\bfrom transformers\b|\bimport transformers\b|HuggingFace(Hub|Endpoint|Pipeline)|InferenceClient"),
    "langchain": re.compile(r"\bfrom langchain|\bimport langchain"),
    "llamaindex": re.compile(r"\bfrom llama_index\b|\bimport llama_index\b"),
}  # fmt: skip
URL_VARS = ("OLLAMA_BASE_URL", "OLLAMA_HOST", "OPENAI_BASE_URL", "OPENAI_API_BASE", "LLM_BASE_URL")
MODEL_VARS = ("OLLAMA_MODEL", "LLM_MODEL", "OPENAI_MODEL", "MODEL_NAME", "CHAT_MODEL")
BASE_URL = re.compile(
    r"""\b(?:base_url|api_base|host)\s*=\s*(?:os\.(?:environ\.get|getenv)\(\s*["'](\w+)["']\s*,\s*)?["'](https?://[^"']+)["']"""
)
ENV_DEFAULT = re.compile(
    r"""os\.(?:environ\.get|getenv)\(\s*["'](\w+)["']\s*,\s*["']([^"']+)["']"""
)
MODEL_ARG = re.compile(
    r"""\bmodel(?:_name)?\s*=\s*(?:os\.(?:environ\.get|getenv)\(\s*["']\w+["']\s*,\s*)?["']([\w.:\-/]+)["']"""
)
ROUTE = re.compile(r"""@\w+\.(?:post|route)\(\s*["'](/[\w/\-]*)["']([^)]*)\)""")
PORT = re.compile(
    r"""\b(?:uvicorn\.run|\.run)\([^)]*\bport\s*=\s*(\d{2,5})|["']--port["'][^)]*default\s*=\s*(\d{2,5})"""
)
REQUEST_FIELD = re.compile(
    r"""request\.(?:json|get_json\(\))\s*(?:\[\s*["'](\w+)["']|\.get\(\s*["'](\w+)["'])"""
)
PYDANTIC_FIELD = re.compile(
    r"class \w+\(BaseModel\):\s*\n(?:\s*(?:#.*|\"\"\".*\"\"\")\n)*\s+(\w+)\s*:\s*str"
)
RESPONSE_FIELD = re.compile(r"""return\s+(?:jsonify\()?\{\s*["'](\w+)["']\s*:""")
INGEST = re.compile(
    r"from_documents\(|add_documents\(|from_texts\(|DirectoryLoader|TextLoader|PyPDFLoader|SimpleDirectoryReader|\.save_local\("
)
RETRIEVAL = re.compile(
    r"as_retriever\(|similarity_search|VectorStoreIndex|\bFAISS\b|\bChroma\b|vectorstore|retriever",
    re.I,
)
VECTOR_FILE = re.compile(
    r"(faiss|index|vector|store|embedding|docstore|chroma)[^/]*\.(pkl|pickle)$", re.I
)


def _env_files(directory: Path) -> dict[str, str]:
    """Variables from .env-style files (values as written; never exported anywhere)."""
    out: dict[str, str] = {}
    for name in (".env.example", ".env.sample", ".env"):  # .env last: the local value wins
        path = directory / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        for m in re.finditer(
            r"(?m)^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=\s*['\"]?([^'\"\n#]*)", text
        ):
            out[m.group(1)] = m.group(2).strip()
    return out


def _loopback(url: str) -> str:
    """A URL for a local scan: localhost and 0.0.0.0 become 127.0.0.1; a bare host:port gets http;
    user:password@ is dropped."""
    if not re.match(r"https?://", url):
        url = "http://" + url
    url = re.sub(r"^(https?://)[^/@]*@", r"\1", url)  # credentials never reach a written file
    return re.sub(r"^(https?://)(localhost|0\.0\.0\.0)\b", r"\g<1>127.0.0.1", url).rstrip("/")


def inspect_llm(directory: Path, texts: Mapping[str, str], facts: Any) -> Any:
    from aima_ci.models import LLMFacts

    found = LLMFacts()
    env = _env_files(directory)
    code_defaults: dict[str, str] = {}
    for rel, text in texts.items():
        for name, pattern in CLIENTS.items():
            if pattern.search(text) and name not in found.clients:
                found.clients.append(name)
        for var, value in ENV_DEFAULT.findall(text):
            code_defaults.setdefault(var, value)
        if found.base_url is None and (m := BASE_URL.search(text)):
            found.base_url = m.group(2)
        clienty = any(p.search(text) for p in CLIENTS.values())
        if found.model is None and clienty and (m := MODEL_ARG.search(text)):
            found.model = m.group(1)
        if INGEST.search(text):
            found.ingestion_files.append(rel)
        if RETRIEVAL.search(text):
            found.retrieval = True
        routes = ROUTE.findall(text)
        post = [r for r, rest in routes if "route" not in rest or "POST" in rest.upper()]
        if post and found.app_route is None:
            found.app_file, found.app_route = rel, _best_route(post)
            if m := PORT.search(text):
                found.app_port = int(m.group(1) or m.group(2))
            if m := REQUEST_FIELD.search(text):
                found.request_field = m.group(1) or m.group(2)
            elif m := PYDANTIC_FIELD.search(text):
                found.request_field = m.group(1)
            if m := RESPONSE_FIELD.search(text):
                found.response_field = m.group(1)
    for var in URL_VARS:  # a configured URL beats one written in code
        value = env.get(var) or code_defaults.get(var)
        if value:
            found.base_url = value
            break
    for var in MODEL_VARS:
        value = env.get(var) or code_defaults.get(var)
        if value:
            found.model = value
            break
    if found.base_url:
        found.base_url = _loopback(found.base_url)
    port = env.get("PORT") or code_defaults.get("PORT")
    if port and port.isdigit():
        found.app_port = int(port)
    found.vector_stores = [
        m for m in getattr(facts, "models", []) if VECTOR_FILE.search(m.rsplit("/", 1)[-1])
    ]
    if found.vector_stores:
        found.retrieval = True
    return found


def _best_route(routes: list[str]) -> str:
    for word in ("chat", "generate", "ask", "query", "complet", "invoke"):
        for r in routes:
            if word in r:
                return r
    return routes[0]
