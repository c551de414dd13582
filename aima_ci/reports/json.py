"""The assessment as JSON (the same document as assessment.json); a framework view as the view's
own JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .format import ReportContext, ReportFormat


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    return json.dumps(assessment, indent=2, ensure_ascii=False) + "\n"


FORMAT = ReportFormat(
    name="json",
    filename="report.json",
    media_type="application/json",
    render=render,
    render_view=render,  # a view is a document like the assessment: the same dump
)
