"""The assessment as JSON (the same document as assessment.json)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import ReportContext


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    return json.dumps(assessment, indent=2, ensure_ascii=False) + "\n"
