"""The collector plugin API: what a first- or third-party collector implements.

A collector is a class registered under the ``aima_ci.collectors`` entry-point group. The core
never imports a collector module directly; it asks the entry points. The collector's module must
import its tool (numpy, pandas, garak ...) lazily, inside ``collect``, so that discovering and
listing collectors stays cheap.

Minimal plugin::

    class MyCollector(Collector):
        name = "mytool"
        version = "1.0"
        description = "Runs mytool"
        requires = ("mytool",)          # importable modules the tool needs
        extra = "mytool"                # pip install 'aima-ci[mytool]'
        checks = (Check("mytool.score", "Score is high enough", ("VER-ST-A2",), threshold=0.9,
                        comparison=">="),)

        def collect(self, ctx):
            yield ctx.finding("mytool.score", Status.PASS, value=0.95, message="0.95 >= 0.9")

    # pyproject.toml
    [project.entry-points."aima_ci.collectors"]
    mytool = "mypkg.collector:MyCollector"
"""

from __future__ import annotations

import functools
import importlib.util
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.errors import CollectorConfigError, InputError
from aima_ci.models import Check, Finding, Link, Severity, Status, Subject
from aima_ci.options import Spec
from aima_ci.safety.hashing import sha256_file
from aima_ci.safety.paths import PathError, config_paths, resolve_inside
from aima_ci.safety.safeio import rel

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

ENTRY_POINT_GROUP = "aima_ci.collectors"
# Keys the runner and scoring read from every ``collectors.<name>`` block.
COMMON_KEYS = frozenset({"enabled", "timeout", "mode", "thresholds", "ttl_days"})
__all__ = ["CollectorConfigError", "InputError", "sha256_file"]


def run_mode(config: Mapping[str, Any]) -> str:
    """``report`` or ``run``: an explicit ``mode``, else ``report`` when a report path is set."""
    return str(config.get("mode", "report" if "report" in config else "run"))


CHECKS_FILE = "checks.yaml"
_CHECK_KEYS = frozenset(
    {
        "id",
        "title",
        "severity",
        "kind",
        "threshold",
        "comparison",
        "ttl_days",
        "docs",
        "next_step",
        "links",
    }
)
_LINK_KEYS = frozenset({"question", "shows", "strength", "rationale"})


def load_checks(anchor: str | Path, filename: str = CHECKS_FILE) -> tuple[Check, ...]:
    """Read a collector's check declarations from the ``checks.yaml`` beside its code.

    The check-to-question links are data so that an auditor can review each one (what it shows,
    how strongly, and why) without reading Python, and so that the coverage tables and docs are
    generated from the same file the collector runs with. ``anchor`` is the collector module's
    ``__file__`` (or its folder). A malformed file raises ValueError naming the file and check:
    a collector that declares nothing sound must not load.
    """
    import yaml

    base = Path(anchor)
    path = (base if base.is_dir() else base.parent) / filename
    # libyaml's parser when present (10x the pure-Python one): every collector process loads
    # its declarations at import, so this is start-up time of every collect
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    raw_checks = data.get("checks") if isinstance(data, Mapping) else None
    if not isinstance(raw_checks, list) or not raw_checks:
        raise ValueError(f"{path}: 'checks' must be a non-empty list")
    out: list[Check] = []
    for i, raw in enumerate(raw_checks):
        where = f"{path}: checks[{i}]"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where} is not a mapping")
        unknown = sorted(set(raw) - _CHECK_KEYS)
        if unknown:
            raise ValueError(f"{where}: unknown key {unknown[0]!r}")
        links = []
        for j, link in enumerate(raw.get("links") or []):
            if not isinstance(link, Mapping) or set(link) - _LINK_KEYS:
                raise ValueError(f"{where}.links[{j}]: expected keys {sorted(_LINK_KEYS)}")
            if not str(link.get("rationale") or "").strip():
                raise ValueError(f"{where}.links[{j}]: every link needs a rationale")
            try:
                links.append(Link.from_dict(link))
            except Exception as exc:
                raise ValueError(f"{where}.links[{j}]: {exc}") from exc
        kind = raw.get("kind", "process")
        if kind not in ("process", "outcome"):
            raise ValueError(f"{where}: kind must be process or outcome")
        try:
            check = Check(
                id=str(raw["id"]),
                title=str(raw["title"]),
                questions=tuple(dict.fromkeys(link.question for link in links)),
                severity=Severity(raw.get("severity", "medium")),
                description=str(raw.get("docs") or "").strip(),
                threshold=_number(raw.get("threshold")),
                comparison=raw.get("comparison"),
                next_step=str(raw.get("next_step") or "").strip(),
                ttl_days=_number(raw.get("ttl_days")),
                links=tuple(links),
                kind=kind,
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from exc
        out.append(check)
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate check ids")
    return tuple(out)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Preflight:
    """What ``Collector.preflight`` may use: the repository root and the config's folder, and
    checks that raise CollectorConfigError (exit 2, naming ``collectors.<name>.<key>``) before
    any collector runs, instead of an ``error`` finding after minutes of other collectors."""

    collector: str
    root: Path
    config_dir: Path
    # An expensive check that passed (a model loaded and run once) may be remembered outside the
    # checkout and skipped while its inputs are unchanged; False under --no-cache, which
    # promises to neither read nor write anything cached.
    remember: bool = True

    def fail(self, key: str, reason: str) -> CollectorConfigError:
        return CollectorConfigError(f"collectors.{self.collector}.{key}", reason)

    def path(self, key: str, value: Any, kind: str = "file", *, must_exist: bool = True) -> Path:
        """A config path that stays inside the repository and, when it exists, is of ``kind``:
        ``file`` (a regular file: a FIFO would hang the reader, a directory is not a file),
        ``dir``, or ``any`` (either)."""
        if not isinstance(value, str):
            raise self.fail(key, "must be a path (a string)")
        try:
            path = resolve_inside(self.config_dir, value, self.root, must_exist=must_exist)
        except PathError as exc:
            raise self.fail(key, str(exc)) from None
        if not path.exists():
            return path
        is_file, is_dir = path.is_file(), path.is_dir()
        if kind == "file" and not is_file:
            raise self.fail(key, f"{value!r} is not a regular file")
        if kind == "dir" and not is_dir:
            raise self.fail(key, f"{value!r} is not a directory")
        if kind == "any" and not (is_file or is_dir):
            raise self.fail(key, f"{value!r} is neither a regular file nor a directory")
        if not os.access(path, os.R_OK):
            raise self.fail(key, f"{value!r} is not readable")
        return path

    def paths(self, config: Mapping[str, Any], key: str, kind: str = "file") -> list[Path]:
        """Check ``config[key]`` (dotted for nested keys) when set: one path or a list of them.
        Glob patterns are left to the collector, which expands them."""
        value: Any = config
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return []
            value = value[part]
        items = value if isinstance(value, list) else [value]
        checked = []
        for i, item in enumerate(items):
            where = key if not isinstance(value, list) else f"{key}[{i}]"
            if not isinstance(item, str) or any(c in item for c in "*?["):
                continue  # a type error is validate_config's; a glob is the collector's
            checked.append(self.path(where, item, kind))
        return checked


@dataclass
class CollectorContext:
    """Everything a collector may use: its config, safe paths, an artefact folder, progress."""

    collector: Collector
    config: Mapping[str, Any]
    root: Path  # repository root: no config path may resolve outside it
    config_dir: Path  # config-relative paths resolve from here
    artefact_dir: Path  # <evidence>/artefacts/<collector>/
    evidence_dir: Path
    timeout: float | None = None
    progress_callback: Callable[[str, float | None], None] | None = None
    started_at: str = field(default_factory=now_iso)
    # The parsed config (``Collector.spec``'s typed settings), parsed once by the runner before
    # any collector ran and handed over as is; a collector without a spec gets ``config``.
    settings: Any = None
    _digests: dict[Path, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A context built by hand (tests, tools calling a collector directly) parses here; a
        # collector without a spec reads its config (validate_config already ran, or not, as
        # before the spec existed: the worker never called it).
        if self.settings is None:
            spec = self.collector.spec
            self.settings = (
                self.config if spec is None else self.collector.parse_settings(self.config)
            )

    # -- paths ---------------------------------------------------------------------------
    def path(self, value: str, key: str = "path", *, must_exist: bool = True) -> Path:
        """Resolve a config path relative to the config file, refusing anything outside root."""
        try:
            return resolve_inside(self.config_dir, value, self.root, must_exist=must_exist)
        except PathError as exc:
            raise InputError(f"collectors.{self.collector.name}.{key}: {exc}") from exc

    def artefact(self, name: str) -> Path:
        """A path inside this collector's artefact folder (created on demand)."""
        self.artefact_dir.mkdir(parents=True, exist_ok=True)
        target = (self.artefact_dir / name).resolve()
        if not target.is_relative_to(self.artefact_dir.resolve()):
            raise InputError(f"artefact name {name!r} escapes the artefact folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def rel_artefact(self, path: Path) -> str:
        """The artefact path as findings store it: relative to the evidence directory."""
        return path.resolve().relative_to(self.evidence_dir.resolve()).as_posix()

    def digest(self, path: Path) -> str:
        path = path.resolve()
        if path not in self._digests:
            self._digests[path] = "sha256:" + sha256_file(path)
        return self._digests[path]

    def subject(
        self, kind: str, path: Path, name: str | None = None, *, sha256: str | None = None
    ) -> Subject:
        """A subject for a file, with its SHA-256, path relative to the repository root.

        ``sha256`` (hex) is the digest a collector already computed while reading the file in
        one pass, so a large report is not read a second time; the collector vouches that the
        file did not change during that read (and passes None when it cannot).
        """
        path = path.resolve()
        if sha256 is not None and path not in self._digests:
            self._digests[path] = "sha256:" + sha256
        shown = rel(self.root, path)
        return Subject(kind=kind, name=name or path.name, digest=self.digest(path), path=shown)

    # -- results -------------------------------------------------------------------------
    def progress(self, message: str, fraction: float | None = None) -> None:
        if self.progress_callback is not None:
            self.progress_callback(message, fraction)

    def threshold(self, check_id: str, key: str | None = None) -> float | None:
        """The effective threshold: ``thresholds.<key>`` in config, else the check's default."""
        check = self.collector.check(check_id)
        thresholds = self.config.get("thresholds") or {}
        short = key or check_id.split(".", 1)[-1]
        if isinstance(thresholds, Mapping) and short in thresholds:
            value = thresholds[short]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CollectorConfigError(
                    f"collectors.{self.collector.name}.thresholds.{short}", "must be a number"
                )
            return float(value)
        return check.threshold

    def finding(
        self,
        check_id: str,
        status: Status | str,
        *,
        value: float | int | str | bool | None = None,
        threshold: float | None = None,
        message: str = "",
        subjects: Iterable[Subject] = (),
        artefacts: Iterable[Path | str] = (),
        details: Mapping[str, Any] | None = None,
        questions: Iterable[str] | None = None,
        severity: Severity | None = None,
        notes: Iterable[str] = (),
    ) -> Finding:
        """Build a finding for one of this collector's declared checks, filling the boilerplate."""
        check = self.collector.check(check_id)
        arts = tuple(self.rel_artefact(a) if isinstance(a, Path) else a for a in artefacts)
        return Finding(
            check=check.id,
            collector=self.collector.name,
            collector_version=self.collector.version,
            status=Status(status),
            value=value,
            threshold=threshold if threshold is not None else check.threshold,
            message=message,
            questions=tuple(questions) if questions is not None else check.questions,
            severity=severity or check.severity,
            subjects=tuple(subjects),
            artefacts=arts,
            tool=self.collector.tool or None,
            tool_version=self.collector.tool_version(),
            started_at=self.started_at,
            finished_at=now_iso(),
            next_step=check.next_step,
            details=dict(details or {}),
            links=check.links if questions is None else (),
            kind=check.kind,
            notes=tuple(notes),
        )


@dataclass(frozen=True)
class Starter:
    """A collector's proposal for ``aima-ci init``: its config block, and why.

    ``config`` is written under ``collectors.<name>``. ``enabled=False`` writes it commented out:
    it needs a person first (a URL to scan, a model to export). ``notes`` comment single keys
    (key -> text); ``next_steps`` are printed after init; ``files`` (path relative to the config
    -> text) are written beside the config when they do not exist yet, e.g. garak's generator
    config. Only paths and columns that inspection actually found belong in ``config``.
    """

    config: Mapping[str, Any]
    why: str
    enabled: bool = True
    notes: Mapping[str, str] = field(default_factory=dict)
    next_steps: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)


class Collector:
    """Base class for collectors. Subclasses set the class attributes and implement collect()."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    tool: ClassVar[str] = ""  # distribution name of the tool, for version reporting
    requires: ClassVar[tuple[str, ...]] = ()  # importable top-level modules it needs
    report_requires: ClassVar[tuple[str, ...]] = ()  # ... in report mode (``mode: report``)
    extra: ClassVar[str | None] = None  # the aima-ci extra that installs them
    checks: ClassVar[tuple[Check, ...]] = ()
    default_timeout: ClassVar[float] = 600.0
    # True for collectors that only read repository files: fast enough for a pre-commit hook.
    light: ClassVar[bool] = False
    # A config key holding a list whose items are independent units of work (garak's ``probes``):
    # ``collect --shard i/n`` then splits that list across shards instead of giving the whole
    # collector to one shard. The findings of the parts must combine, by the scoring's usual
    # worst-status-wins rule, into what one unsplit run would report.
    shard_key: ClassVar[str | None] = None
    # Config keys naming repository files the collector reads (dotted for nested keys; a value
    # may be one path or a list), with what each must be: "file", "dir" or "any". The default
    # preflight() checks them before any collector runs. With a ``spec``, its FilePath options
    # say this already (``spec.input_paths``).
    input_paths: ClassVar[Mapping[str, str]] = {}
    # False when results depend on something the cache key cannot see (a live endpoint, the
    # network, the clock): such a collector always runs, and is never served from the cache.
    cacheable: ClassVar[bool] = True
    # The declarative option spec of the ``collectors.<name>`` block (aima_ci.options): the
    # runner validates the block with it once and hands the result over as ``ctx.settings``;
    # it also gives the JSON Schema of aima.yaml and the docs table. None: a plugin without
    # one validates in ``validate_config`` and reads ``ctx.config`` (``ctx.settings`` is then
    # the config itself).
    spec: ClassVar[Spec | None] = None
    # Modules the worker imports BEFORE it starts recording reads (evidence.readlog), because
    # importing them reads only installed library files, never the repository: the recorder's
    # audit hook sees every audit event of the process, and importing pandas and evidently
    # raises about a million. Opt-in and only for tools that need no set-up first: a collector
    # that sets environment variables (thread limits, a Keras backend) before importing its
    # tool must not preload it. Imported only when the run needs the tool (its top-level
    # module is in ``requirements(config)``: report mode preloads nothing); a failed import is
    # reported as the tool missing (not_run), or as a crash (error). Any preloaded module whose
    # file lies inside the repository root is still recorded as read (preload.py).
    preload: ClassVar[tuple[str, ...]] = ()

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"collector {self.name!r} declares no check {check_id!r}")

    def requirements(self, config: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """Modules this run needs: ``report_requires`` in report mode (reading a file a tool
        already wrote needs no tool), else ``requires``."""
        if config is not None and run_mode(config) == "report":
            return self.report_requires
        return self.requires

    def preloads(self, config: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """The ``preload`` modules this run imports early: those of a tool it needs."""
        needed = set(self.requirements(config))
        return tuple(mod for mod in self.preload if mod.partition(".")[0] in needed)

    def missing_requirements(self, config: Mapping[str, Any] | None = None) -> list[str]:
        return [mod for mod in self.requirements(config) if importlib.util.find_spec(mod) is None]

    def install_hint(self) -> str:
        if self.extra:
            return f"pip install 'aima-ci[{self.extra}]'"
        return "pip install " + " ".join(self.missing_requirements() or self.requires)

    def tool_version(self) -> str | None:
        if not self.tool:
            return None
        return _installed_version(self.tool)

    def check_keys(self, config: Mapping[str, Any], allowed: Iterable[str]) -> None:
        """Refuse keys this collector does not know (a typo must not silently change a check)."""
        known = COMMON_KEYS | set(allowed)
        unknown = sorted(str(k) for k in config if k not in known)
        if unknown:
            raise CollectorConfigError(
                f"collectors.{self.name}.{unknown[0]}",
                f"unknown key (expected one of: {', '.join(sorted(known))})",
            )

    def parse_settings(self, config: Mapping[str, Any]) -> Any:
        """The typed settings ``spec`` makes of this config block (CollectorConfigError naming
        the key otherwise). Needs a spec."""
        if self.spec is None:
            raise TypeError(f"collector {self.name!r} declares no option spec")
        return self.spec.parse(self.name, config)

    def settings_for(self, config: Mapping[str, Any]) -> Any:
        """Validate the block and return what the collector gets as ``ctx.settings``.

        The runner calls this once per job, in the gate process, before any collector runs.
        With a spec: the parsed settings (plus any rule an overriding ``validate_config`` still
        adds). Without one: ``validate_config``, then the config itself.
        """
        if self.spec is None:
            self.validate_config(config)
            return config
        settings = self.parse_settings(config)
        if type(self).validate_config is not Collector.validate_config:
            self.validate_config(config)
        return settings

    def validate_config(self, config: Mapping[str, Any]) -> None:
        """Raise CollectorConfigError for bad keys. Called before any collector runs.

        With a ``spec`` the default parses the block with it; put rules across keys in the
        spec's ``build`` rather than overriding this.
        """
        if self.spec is not None:
            self.parse_settings(config)

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Refuse, before ANY collector runs, inputs this config names that cannot work.

        Called after validate_config for every enabled collector of a collect/run; raise
        CollectorConfigError (``check.fail(key, reason)``) and the command exits 2 naming the
        key. Keep it cheap in aima-ci's own process (no tool import, no model load): a missing
        file, a path out of the repository, a FIFO, a directory where a file belongs, a name the
        tool does not know. A check that needs the model loaded (a declared input shape, labels
        outside its classes) runs in a separate helper process, as art's and shap's do
        (aima_ci_collectors._modelio._isolated), and ``check.remember`` says whether a passed
        one may be remembered across runs. The default checks every ``FilePath`` of the ``spec`` (at any depth) and
        ``input_paths``; override it (calling ``super()``) to add collector-specific checks.
        """
        for key, kind in self.input_paths.items():
            check.paths(config, key, kind)
        if self.spec is not None:
            for key, value, kind in self.spec.paths(config):
                check.path(key, value, kind)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        """The checks this run will report on; the runner reports ``error`` for any left silent."""
        return self.checks

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The files and folders whose content this collector's result depends on.

        The cache key hashes them, so a cached result is only reused while they are unchanged.
        The default finds every config value (at any depth) that names an existing file or
        folder inside the repository. Override it when the collector reads files its config
        does not name (call ``super()`` and add them), or set ``cacheable = False``.
        """
        return config_paths(config, ctx.root, ctx.config_dir)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """What ``aima-ci init`` proposes for this collector in an inspected repository.

        ``facts`` (aima_ci.models.RepoFacts, read by aima_ci.onboard) holds what was found: model files,
        datasets with their columns and label/sensitive-attribute candidates, train/test
        splits, DVC and MLflow traces, LLM clients, CI files, and the chosen profile. Return
        None when nothing in the repository fits this collector. Runs without the tool
        installed: read only ``facts``, import nothing heavy.
        """
        return None

    def collect(self, ctx: CollectorContext) -> Iterable[Finding]:
        raise NotImplementedError


@functools.lru_cache(maxsize=64)
def _installed_version(distribution: str) -> str | None:
    """The installed version of a distribution, looked up once per process: every finding
    carries it, and each lookup scans every installed distribution's metadata (tens of ms)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def discover() -> dict[str, type[Collector]]:
    """Load every collector registered under the entry-point group, keyed by its name.

    Plugins that fail to import are left out (``aima-ci collectors`` shows them as broken).
    """
    return load_some(discover_names())[0]


def load_some(
    names: Iterable[str], eps: Mapping[str, Any] | None = None
) -> tuple[dict[str, type[Collector]], dict[str, str]]:
    """Load only the named collectors; a plugin that fails to import is reported, not fatal.

    One broken third-party plugin must not stop the collectors that were asked for. ``eps``:
    the ``discover_names()`` the caller already has (each scan reads every installed
    distribution's metadata, about 10 ms).
    """
    eps = discover_names() if eps is None else eps
    loaded: dict[str, type[Collector]] = {}
    broken: dict[str, str] = {}
    for name in names:
        if name not in eps:
            continue
        try:
            loaded[name] = load_entry_point(eps[name])
        except Exception as exc:  # any import-time failure of someone else's code
            broken[name] = f"{type(exc).__name__}: {exc}"
    return loaded, broken


def discover_names() -> dict[str, Any]:
    """The registered collector names and their entry points, without importing them."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_entry_point(ep: Any) -> type[Collector]:
    """The collector class an entry point names, checked to be one (and named as registered)."""
    obj = ep.load()
    if not (isinstance(obj, type) and issubclass(obj, Collector)):
        raise TypeError(f"entry point {ep.name!r} is not a Collector subclass")
    if obj.name != ep.name:
        raise TypeError(
            f"entry point {ep.name!r} loads a collector named {obj.name!r}; the names must match"
        )
    return obj


_load = load_entry_point  # the former private name, still used by tests and older plugins


def load_collector(name: str) -> type[Collector]:
    eps = discover_names()
    if name not in eps:
        raise KeyError(name)
    return load_entry_point(eps[name])


def elapsed(start: float) -> float:
    return round(time.monotonic() - start, 3)
