"""Path safety: nothing outside the repository root is read through a config, manifest or bundle path."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any


class PathError(ValueError):
    """A path that is empty, absolute outside root, escapes root (``..`` or a symlink), or is missing."""


def resolve_inside(base: Path, value: str, root: Path, *, must_exist: bool = True) -> Path:
    """Resolve ``value`` (relative to ``base``) and refuse it unless it stays inside ``root``.

    Symlinks are resolved before the check, so a link pointing outside the root is refused too.
    """
    if not isinstance(value, str) or not value.strip():
        raise PathError("must be a non-empty path")
    if "\x00" in value:
        raise PathError("contains a NUL byte")
    candidate = Path(value)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = Path(os.path.realpath(candidate))
    real_root = Path(os.path.realpath(root))
    if resolved != real_root and not resolved.is_relative_to(real_root):
        raise PathError(f"{value!r} resolves outside the repository root ({real_root})")
    if must_exist:
        try:
            exists = resolved.exists()
        except OSError as exc:  # a name too long, a loop: not a path anyone can use
            raise PathError(f"{value!r} cannot be used: {exc.strerror or exc}") from None
        if not exists:
            raise PathError(f"{value!r} does not exist")
    return resolved


def safe_relpath(value: object) -> str:
    """Validate a relative POSIX path stored in evidence (manifest, bundle): no ``..``, not absolute."""
    if not isinstance(value, str) or not value or "\x00" in value or "\\" in value:
        raise PathError(f"invalid stored path {value!r}")
    if value.startswith("/") or any(part in ("..", "") for part in value.split("/")):
        raise PathError(f"stored path {value!r} is absolute or escapes its folder")
    return value


def find_repo_root(start: Path) -> Path:
    """The nearest folder above ``start`` holding ``.git``; ``start`` itself if there is none."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def user_cache_dir() -> Path:
    """aima-ci's per-user folder (``$XDG_CACHE_HOME/aima-ci``, else ``~/.cache/aima-ci``).

    The cache and the seal key live here, outside any checkout: whoever opens a pull request
    controls every file in the checkout, so nothing trusted may be read from it.
    """
    base = os.environ.get("XDG_CACHE_HOME") or ""
    folder = Path(base) if base.strip() and os.path.isabs(base) else Path.home() / ".cache"
    return folder / "aima-ci"


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (symlinks resolved) is ``root`` or below it."""
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    return real == real_root or real.is_relative_to(real_root)


# Longer strings are prose or data, never a path worth hashing.
MAX_CONFIG_STRING = 4096


def config_strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in a config value, at any depth (bounded: configs are user input)."""

    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from config_strings(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from config_strings(item, depth + 1)


def config_paths(config: Mapping[str, Any], root: Path, config_dir: Path) -> list[Path]:
    """Config values (at any depth) that name an existing file or folder inside the repository.

    ``path:attribute`` values (``app.py:reply``, a callable in a file) count by their path part.
    """
    found: set[Path] = set()
    for value in config_strings(config):
        if not value.strip() or len(value) > MAX_CONFIG_STRING or "\n" in value or "://" in value:
            continue
        candidates = [value]
        if ":" in value:
            candidates.append(value.split(":", 1)[0])
        for candidate in candidates:
            try:
                found.add(resolve_inside(config_dir, candidate, root, must_exist=True))
            except (PathError, OSError):
                continue
    return sorted(found)
