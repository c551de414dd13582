"""Damaged garak reports and hitlogs never raise and never turn into a pass.

What "never a false pass" means here, precisely (encoded in ``assert_no_false_pass``):

1. a check (``garak.<family>``, ``garak.scan``) may be ``pass`` on damaged input only if it was
   ``pass`` on the intact report: damage can lose credit, never create it;
2. a probe may be ``pass`` on damaged input only if it was ``pass`` on the intact report *and*
   its eval rows (detector, passed, fails, total) are exactly the intact ones: a pass must rest
   on the real counts, not on counts that a flipped digit or a renamed probe produced.

Damage that leaves every verdict-carrying byte intact (a flipped byte inside an attempt's prompt
text, which the reader deliberately never decodes) may keep a pass: the counts it rests on are
real. The fixtures are the committed real reports (tests/fixtures/garak), judged with a 0.5
threshold so that the intact reports hold both passing and failing probes.

Both rules need redundancy in the file to be enforceable: garak 0.17 writes a ``digest`` (every
eval row's counts again) and a ``probe_summary`` per probe (its detectors), so a changed digit or
a lost row contradicts something. Reports of garak < 0.15 have neither: a digit changed into
another valid count, or the eval row of a failing detector lost whole, leaves a report that is
indistinguishable from a real one. For those the guarantee is narrower (``assert_detected``):
every line the reader cannot decode makes the probes it may belong to non-passing. The known gap
is pinned by ``test_legacy_report_that_lost_a_failing_row`` (a strict xfail).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.garak import GarakCollector
from aima_ci_collectors.garak.report import read_report
from hypothesis import given
from hypothesis import strategies as st
from rb_support import FIXTURES, budget, damaged, make_repo

from aima_ci.plugin import CollectorContext, InputError

GARAK = FIXTURES / "garak"
REPEAT = GARAK / "garak-0.17.1-repeat.report.jsonl"
REST = GARAK / "garak-0.17.1-rest.report.jsonl"
HITLOG = GARAK / "garak-0.17.1-repeat.hitlog.jsonl"
OLD13 = GARAK / "garak-0.13-handwritten.report.jsonl"
OLD9 = GARAK / "garak-0.9-handwritten.report.jsonl"
REPORTS = [REPEAT, REST, OLD13, OLD9]
PROVABLE = {REPEAT, REST}  # digest + probe_summary: every eval row is accounted for
SCOPES = {"integrity", "probe", "all"}


class Garak(GarakCollector):
    """The real collector; only its version lookup (a metadata scan per finding) is cached."""

    def tool_version(self) -> str | None:
        return "0.17.1"


class Outcome:
    """What the collector concluded: statuses per check and per probe, and each probe's rows."""

    def __init__(self, findings: list[Any], input_error: str = "") -> None:
        # An InputError is a documented outcome: the runner makes every check ``error``.
        self.input_error = input_error
        self.checks = {f.check: str(f.status) for f in findings}
        self.probes: dict[str, str] = {}
        self.rows: dict[str, set[tuple[Any, ...]]] = {}
        for f in findings:
            for probe, info in (f.details.get("probes") or {}).items():
                self.probes[probe] = info["status"]
            for pair in f.details.get("pairs") or []:
                self.rows.setdefault(pair["probe"], set()).add(
                    (pair["detector"], pair["passed"], pair["fails"], pair["total_evaluated"])
                )


def judge(root: Path, report: bytes, hitlog: bytes | None = None) -> Outcome:
    """The garak collector in report mode on these bytes, exactly as the runner's worker runs it."""
    (root / "r.report.jsonl").write_bytes(report)
    config: dict[str, Any] = {
        "mode": "report",
        "report": "r.report.jsonl",
        "thresholds": {"default": 0.5},
        "max_examples": 0,
    }
    if hitlog is not None:
        (root / "r.hitlog.jsonl").write_bytes(hitlog)
        config["hitlog"] = "r.hitlog.jsonl"
    collector = Garak()
    collector.validate_config(config)
    out = root / ".aima"
    shutil.rmtree(out, ignore_errors=True)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "garak",
        evidence_dir=out,
    )
    try:
        return Outcome(list(collector.collect(ctx)))
    except InputError as exc:
        return Outcome([], str(exc))


def assert_no_false_pass(intact: Outcome, hurt: Outcome) -> None:
    for check, status in hurt.checks.items():
        if status == "pass":
            assert intact.checks.get(check) == "pass", (
                f"{check} passes only on the damaged report",
                hurt.checks,
            )
    for probe, status in hurt.probes.items():
        if status == "pass":
            assert intact.probes.get(probe) == "pass", f"{probe} passes only when damaged"
            assert hurt.rows.get(probe) == intact.rows.get(probe), (
                f"{probe} passes on counts that differ from the intact report",
                hurt.rows.get(probe),
                intact.rows.get(probe),
            )


def assert_detected(raw: bytes, hurt: Outcome, tmp: Path) -> None:
    """Legacy reports: what the reader flags as damaged can never pass."""
    target = tmp / "legacy.jsonl"
    target.write_bytes(raw)
    problems = read_report(target).problems
    if any(p.scope == "all" for p in problems):
        assert "pass" not in hurt.probes.values(), (hurt.probes, problems)
        assert hurt.checks.get("garak.scan") != "pass"
    for p in problems:
        if p.scope == "probe" and p.probe:
            assert hurt.probes.get(p.probe) != "pass", (p, hurt.probes)


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Outcome]:
    root = make_repo(tmp_path_factory.mktemp("garak-baseline"))
    out = {path: judge(root, path.read_bytes()) for path in REPORTS}
    out[HITLOG] = judge(root, REPEAT.read_bytes(), HITLOG.read_bytes())
    return out


def test_the_intact_fixtures_hold_passes_and_failures(baselines):
    """The property below is only meaningful if the intact reports have something to lose."""
    repeat = baselines[REPEAT]
    assert repeat.checks == {
        "garak.encoding": "pass",
        "garak.promptinject": "fail",
        "garak.scan": "pass",
    }
    assert repeat.probes["encoding.InjectBase64"] == "pass"
    assert baselines[REST].probes["latentinjection.LatentInjectionReport"] == "pass"
    assert baselines[REST].probes["encoding.InjectBase64"] == "inconclusive"
    assert baselines[HITLOG].checks["garak.promptinject"] == "fail"


# --------------------------------------------------------------------------- the reader alone
@pytest.mark.parametrize("path", [*REPORTS, HITLOG], ids=lambda p: p.name)
@budget(60)
@given(data=st.data())
def test_reader_returns_a_report_for_any_damage(tmp_path, path, data):
    raw = data.draw(damaged(path.read_bytes()))
    target = tmp_path / "damaged.jsonl"
    target.write_bytes(raw)
    report = read_report(target)
    assert report.kind in ("report", "hitlog", "unknown")
    assert {p.scope for p in report.problems} <= SCOPES
    for row in report.evals:  # the reader never emits a row that is not a valid count
        assert 0 <= row.passed <= row.total_evaluated
        assert (row.fails >= 0 and row.passed + row.fails == row.total_evaluated) or (
            row.shape == "pre-0.14"
        )


@budget(80)
@given(raw=st.binary(max_size=4096))
def test_reader_survives_arbitrary_bytes(tmp_path, raw):
    target = tmp_path / "noise.jsonl"
    target.write_bytes(raw)
    report = read_report(target)
    assert {p.scope for p in report.problems} <= SCOPES


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
ENTRY_TYPES = [
    "start_run setup",
    "start_run args config",
    "init",
    "attempt",
    "eval",
    "probe_summary",
    "completion",
    "digest",
    "plugin_cache",
    "payload_init",
    "config",
]
RECORD = st.fixed_dictionaries(
    {"entry_type": st.sampled_from(ENTRY_TYPES)},
    optional={
        "probe": st.sampled_from(["encoding.InjectBase64", "dan.Dan_11_0", 7, None]),
        "detector": st.sampled_from(["encoding.DecodeMatch", "", None, []]),
        "passed": JSON_VALUE,
        "fails": JSON_VALUE,
        "nones": JSON_VALUE,
        "total_evaluated": JSON_VALUE,
        "total": JSON_VALUE,
        "total_processed": JSON_VALUE,
        "status": JSON_VALUE,
        "probe_classname": JSON_VALUE,
        "eval": JSON_VALUE,
        "meta": JSON_VALUE,
        "plugin_cache": JSON_VALUE,
        "detection_counts": JSON_VALUE,
        "transient.active_probes": JSON_VALUE,
        "run.eval_threshold": JSON_VALUE,
        "detector_results": JSON_VALUE,
    },
)


@budget(50)
@given(records=st.lists(RECORD, max_size=10))
def test_wrong_types_in_every_field_never_pass(tmp_path, records):
    """Structurally plausible lines with hostile values: no exception, and a pass only on a
    complete report whose eval row for the probe holds real counts."""
    root = make_repo(tmp_path)
    raw = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records).encode()
    outcome = judge(root, raw)
    kinds = {r["entry_type"] for r in records}
    for probe, status in outcome.probes.items():
        if status == "pass":
            assert "completion" in kinds and kinds & {"init", "start_run setup"}
            assert outcome.rows[probe] and all(total > 0 for *_, total in outcome.rows[probe])
    if outcome.checks.get("garak.scan") == "pass":
        assert "completion" in kinds


# --------------------------------------------------------------------------- the whole verdict
@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
@budget(70)
@given(data=st.data())
def test_damaged_report_never_creates_a_pass(tmp_path, baselines, path, data):
    root = make_repo(tmp_path)
    raw = data.draw(damaged(path.read_bytes()))
    hurt = judge(root, raw)
    if path in PROVABLE:
        assert_no_false_pass(baselines[path], hurt)
    else:
        assert_detected(raw, hurt, tmp_path)


@budget(60)
@given(data=st.data())
def test_damaged_hitlog_never_creates_a_pass(tmp_path, baselines, data):
    root = make_repo(tmp_path)
    hitlog = data.draw(damaged(HITLOG.read_bytes()))
    assert_no_false_pass(baselines[HITLOG], judge(root, REPEAT.read_bytes(), hitlog))


def _line_starts(data: bytes) -> list[int]:
    return [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_cut_at_every_line_boundary_never_creates_a_pass(tmp_path, baselines, path):
    """What a killed garak leaves: the report cut after any record, or one byte either side."""
    root = make_repo(tmp_path)
    data = path.read_bytes()
    cuts = sorted({c + d for c in _line_starts(data) for d in (-1, 0, 1) if 0 <= c + d < len(data)})
    completion = data.find(b'{"entry_type": "completion"')
    completed = data.index(b"\n", completion) if completion >= 0 else len(data)
    for cut in cuts:
        hurt = judge(root, data[:cut])
        if path in PROVABLE:
            assert_no_false_pass(baselines[path], hurt)
        else:
            assert_detected(data[:cut], hurt, tmp_path)
        if completion >= 0 and cut < completed:  # the run cannot be shown to have finished
            assert hurt.checks["garak.scan"] != "pass", cut


def test_cut_anywhere_inside_the_failing_eval_row_is_never_a_pass(tmp_path, baselines):
    root = make_repo(tmp_path)
    data = REPEAT.read_bytes()
    start = data.index(b'{"entry_type": "eval", "probe": "promptinject.HijackHateHumans"')
    end = data.index(b"\n", start)
    for cut in [*range(start, end, 3), end - 1, end, end + 1]:
        hurt = judge(root, data[:cut])
        assert hurt.checks["garak.promptinject"] in ("error", "fail"), cut
        assert hurt.checks["garak.scan"] == "error", cut
        assert_no_false_pass(baselines[REPEAT], hurt)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # a renamed probe carries the intact counts of a probe the run never had
        (
            b'"probe": "encoding.InjectBase64", "detector": "encoding.DecodeApprox"',
            b'"probe": "encodinh.InjectBase64", "detector": "encoding.DecodeApprox"',
            "renamed",
        ),
        # a digit changed in a failing row: the digest and the total disagree with it
        (b'"passed": 0, "fails": 4', b'"passed": 4, "fails": 0', "forged counts"),
        (b'"passed": 0, "fails": 4', b'"passed": 0, "fails": 0', "lost failures"),
        # the failing row lost entirely
        (
            b'{"entry_type": "eval", "probe": "promptinject',
            b'{"entry_type": "evam", "probe": "promptinject',
            "unknown entry",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_named_damage_never_passes(tmp_path, baselines, old, new, why):
    root = make_repo(tmp_path)
    data = REPEAT.read_bytes()
    assert old in data
    hurt = judge(root, data.replace(old, new, 1))
    assert_no_false_pass(baselines[REPEAT], hurt)
    assert hurt.checks["garak.scan"] == "error", why


def test_deeply_nested_line_is_a_problem_not_a_crash(tmp_path):
    """A line of 100 000 '[' made json.loads raise RecursionError, which escaped the reader."""
    target = tmp_path / "deep.report.jsonl"
    deep = b'{"entry_type": "eval", "probe": "x.Y", "detector": ' + b"[" * 100_000 + b"\n"
    intact = REPEAT.read_bytes().rstrip(b"\n") + b"\n"
    target.write_bytes(intact + deep)
    report = read_report(target)
    assert any(p.kind == "corrupt" and p.line == 31 for p in report.problems), report.problems
    target.write_bytes(intact + deep.rstrip(b"\n"))  # as a cut-off last line too
    assert any(p.line == 31 for p in read_report(target).problems)


@pytest.mark.xfail(
    strict=True,
    reason="known gap: a garak < 0.15 report has no digest or probe_summary, so the loss of a"
    " failing detector's eval row cannot be detected and the probe passes on the rows left",
)
def test_legacy_report_that_lost_a_failing_row(tmp_path, baselines):
    root = make_repo(tmp_path)
    data = OLD13.read_bytes()
    row = b'{"entry_type": "eval", "probe": "dan.Dan_11_0", "detector": "dan.DAN", "passed": 0, "total": 5}\n'
    assert row in data and baselines[OLD13].probes["dan.Dan_11_0"] == "fail"
    hurt = judge(root, data.replace(row, b""))
    assert hurt.probes["dan.Dan_11_0"] != "pass"


def test_integer_over_the_conversion_limit_is_a_problem_not_a_crash(tmp_path):
    """json.loads raises a plain ValueError (no .msg) for a 5000-digit integer; the reader read
    ``exc.msg`` and died with AttributeError."""
    target = tmp_path / "big.report.jsonl"
    row = b'{"entry_type": "eval", "probe": "x.Y", "detector": "d", "passed": ' + b"9" * 5000
    target.write_bytes(REPEAT.read_bytes().rstrip(b"\n") + b"\n" + row + b"}\n")
    (problem,) = [p for p in read_report(target).problems if p.line == 31]
    assert problem.kind == "corrupt" and "ValueError" in problem.message
    assert problem.scope == "probe" and problem.probe == "x.Y"
