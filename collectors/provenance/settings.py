"""The ``collectors.provenance`` keys (public contract: docs/collectors/provenance.md), declared once.

The runner parses the block with ``parse`` (``SPEC``, plus the two keys whose explicit ``null``
means something) before any collector starts, and hands the collector a ``ProvenanceSettings``;
the same declaration gives the JSON Schema of aima.yaml and the table in the docs. The manifest
and DVC folder are text, not ``FilePath``s: a manifest that is missing or outside the repository
is a finding of this collector (``fail``/``error``), not a config error, as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from aima_ci.options import Bool, Choice, Int, OneOf, Option, Spec, Text, Values
from aima_ci.trust.provenance import DEFAULT_MANIFEST

NAME = "provenance"
MANIFEST_WHAT = "a path, or false to skip it"
MAX_AGE_WHAT = "a whole number of days >= 1, or null"


@dataclass(frozen=True)
class ProvenanceSettings:
    manifest: str | None  # None: the manifest checks are skipped (manifest: false)
    dvc: str | bool  # "auto": not_applicable without DVC files; True: required; False: off
    dvc_root: str
    require_signoff: bool
    require_sources: bool
    signoff_max_age_days: int | None  # None: no age limit

    @property
    def enabled(self) -> tuple[str, ...]:
        """The checks this configuration reports on, in their declared order."""
        wanted = {
            "provenance.integrity": self.manifest is not None,
            "provenance.signoff": self.manifest is not None and self.require_signoff,
            "provenance.dvc": self.dvc is not False,
        }
        return tuple(c for c, on in wanted.items() if on)


def _build(values: Values) -> ProvenanceSettings:
    manifest = values["manifest"]
    return ProvenanceSettings(
        manifest=None if manifest is False else manifest,
        dvc=values["dvc"],
        dvc_root=values["dvc_root"],
        require_signoff=values["require_signoff"],
        require_sources=values["require_sources"],
        signoff_max_age_days=values["signoff_max_age_days"],
    )


SPEC = Spec(
    options=(
        Option(
            "manifest",
            OneOf(
                Text(what=MANIFEST_WHAT),
                Choice(False, what=MANIFEST_WHAT),
                what=MANIFEST_WHAT,
            ),
            default=DEFAULT_MANIFEST,
            doc="The signed-off data manifest (`aima-ci provenance write`); false (or null)"
            " skips the manifest checks.",
            schema={"anyOf": [{"type": "string", "minLength": 1}, {"enum": [False, None]}]},
        ),
        Option(
            "dvc",
            Choice("auto", True, False, what="true, false or auto"),
            default="auto",
            doc="Verify DVC-recorded md5 hashes: `auto` (not applicable without DVC files),"
            " `true` (required) or `false`.",
        ),
        Option(
            "dvc_root",
            Text(what="a folder path"),
            default=".",
            doc="Folder searched for `*.dvc` and `dvc.lock` files.",
        ),
        Option(
            "require_signoff",
            Bool(),
            default=True,
            doc="Check the manifest's sign-off (false disables `provenance.signoff`).",
        ),
        Option(
            "require_sources",
            Bool(),
            default=True,
            doc="The sign-off also needs a source and a licence for every file.",
        ),
        Option(
            "signoff_max_age_days",
            Int(minimum=1, what=MAX_AGE_WHAT),
            default=365,
            doc="Days a sign-off stays valid; null: no age limit.",
            schema={"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
        ),
    ),
    build=_build,
)

# Keys whose explicit ``null`` is a setting rather than "absent" (the spec's rule for null):
# documented as such before the spec existed, so kept.
NULL_MEANS: Mapping[str, Any] = {"manifest": None, "signoff_max_age_days": None}


def parse(config: Mapping[str, Any]) -> ProvenanceSettings:
    """``SPEC.parse``, with ``manifest: null`` (skip) and ``signoff_max_age_days: null`` (no
    age limit) kept as they always meant."""
    settings: ProvenanceSettings = SPEC.parse(NAME, config)
    nulls = {k: v for k, v in NULL_MEANS.items() if k in config and config[k] is None}
    return replace(settings, **nulls) if nulls else settings
