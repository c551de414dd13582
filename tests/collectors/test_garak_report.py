"""The streaming report reader: every format version, and every kind of damage, on real bytes."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest
from aima_ci_collectors.garak import report as report_mod
from aima_ci_collectors.garak.report import cross_check_hitlog, read_report, worst_attempts

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "garak"
REST = FIX / "garak-0.17.1-rest.report.jsonl"
REPEAT = FIX / "garak-0.17.1-repeat.report.jsonl"
HITLOG = FIX / "garak-0.17.1-repeat.hitlog.jsonl"
TRUNCATED = FIX / "garak-0.17.1-truncated.report.jsonl"
OLD13 = FIX / "garak-0.13-handwritten.report.jsonl"
OLD9 = FIX / "garak-0.9-handwritten.report.jsonl"


def counts(report):
    return {(e.probe, e.detector): (e.passed, e.total_evaluated) for e in report.evals}


def test_current_report_sample():
    r = read_report(REST)
    assert r.kind == "report" and r.garak_version == "0.17.1" and r.version_source == "init"
    assert r.has_setup and r.has_init and r.has_completion and r.has_digest
    assert counts(r) == {
        ("encoding.InjectBase64", "encoding.DecodeApprox"): (14, 20),
        ("encoding.InjectBase64", "encoding.DecodeMatch"): (14, 20),
        ("latentinjection.LatentInjectionReport", "base.TriggerListDetector"): (18, 20),
    }
    assert {e.shape for e in r.evals} == {"0.14+"}
    assert r.active_probes == ["encoding.InjectBase64", "latentinjection.LatentInjectionReport"]
    assert "owasp:llm01" in r.probe_tags["encoding.InjectBase64"]
    assert r.attempts == {"encoding.InjectBase64": 2}
    assert r.problems == [] and r.lines == 19
    assert r.digest_counts[("encoding.InjectBase64", "encoding.DecodeMatch")] == (14, 20)


def test_confidence_fields_and_worst_attempts_from_real_attempts():
    r = read_report(REPEAT)
    assert r.problems == []
    row = next(e for e in r.evals if e.probe == "promptinject.HijackHateHumans")
    assert (row.passed, row.fails, row.total_evaluated) == (0, 4, 4)
    assert row.garak_ci == {
        "method": "bootstrap",
        "confidence": 0.95,
        "attack_success_lower": 1.0,
        "attack_success_upper": 1.0,
    }
    assert r.attempts["promptinject.HijackHateHumans"] == 8
    examples = list(worst_attempts(r))
    assert {e.probe for e in examples} == {"promptinject.HijackHateHumans"}  # the only hits
    assert len(examples) == 4 and all(e.score == 1.0 for e in examples)
    assert all(
        "I hate humans" in e.outputs[0] and e.triggers == ("I hate humans",) for e in examples
    )


def test_worst_attempts_are_bounded_per_probe():
    r = read_report(REPEAT, worst_per_probe=2)
    assert len(list(worst_attempts(r))) == 2
    assert read_report(REPEAT, worst_per_probe=0).worst == {}


def test_pre_014_eval_rows():
    r = read_report(OLD13)
    assert r.garak_version == "0.13.0" and r.has_completion and r.problems == []
    assert {e.shape for e in r.evals} == {"pre-0.14"}
    row = next(e for e in r.evals if e.detector == "dan.DAN")
    assert (row.passed, row.fails, row.total_evaluated, row.nones) == (0, 5, 5, None)
    assert r.setup["plugins.model_type"] == "rest"


def test_garak_09_detector_prefix_and_legacy_header():
    r = read_report(OLD9)
    assert r.garak_version == "0.9.0.9"
    assert counts(r) == {("encoding.InjectHex", "encoding.DecodeMatch"): (38, 40)}
    assert r.legacy_header and not r.has_completion and not r.completion_expected
    assert r.setup["plugins.model_type"] == "huggingface"
    (example,) = worst_attempts(r)
    assert example.detector == "encoding.DecodeMatch" and example.outputs == ("Allo",)
    assert example.prompt.startswith("Decode the following hex")


def test_truncated_last_line(tmp_path):
    r = read_report(TRUNCATED)
    assert not r.has_completion and not r.has_digest
    (problem,) = r.problems
    assert problem.kind == "truncated" and problem.line == 27
    # cut inside the probe name: the row cannot be attributed, so it may hide any probe
    assert problem.scope == "all" and problem.probe is None
    # the probe started but its eval row is lost
    assert r.attempts["promptinject.HijackHateHumans"] == 8
    assert all(e.probe != "promptinject.HijackHateHumans" for e in r.evals)
    # cut after the name: attributed to that probe only
    data = REPEAT.read_bytes()
    start = data.index(b'{"entry_type": "eval", "probe": "promptinject.HijackHateHumans"')
    later = tmp_path / "t.report.jsonl"
    later.write_bytes(data[: start + 120])
    (problem,) = read_report(later).problems
    assert problem.scope == "probe" and problem.probe == "promptinject.HijackHateHumans"


def test_hitlog_is_recognised_and_cross_checked(tmp_path):
    h = read_report(HITLOG)
    assert h.kind == "hitlog" and h.problems == []
    assert h.hits == {("promptinject.HijackHateHumans", "promptinject.AttackRogueString"): 4}
    r = read_report(REPEAT)
    cross_check_hitlog(r, h)
    assert r.problems == []  # 4 hits, 4 fails: consistent
    # an eval row that understates the hits is caught
    text = REPEAT.read_text().replace('"passed": 0, "fails": 4', '"passed": 2, "fails": 2')
    (tmp_path / "r.jsonl").write_text(text)
    r2 = read_report(tmp_path / "r.jsonl")
    cross_check_hitlog(r2, h)
    assert [p.kind for p in r2.problems] == ["inconsistent", "inconsistent"]  # digest + hitlog
    assert {p.probe for p in r2.problems} == {"promptinject.HijackHateHumans"}


def _mutate(tmp_path: Path, src: Path, fn, name="m.report.jsonl") -> Path:
    lines = src.read_bytes().splitlines(keepends=True)
    out = tmp_path / name
    out.write_bytes(b"".join(fn(lines)))
    return out


def _eval_index(lines, probe: bytes):
    return next(
        i for i, ln in enumerate(lines) if ln.startswith(b'{"entry_type": "eval"') and probe in ln
    )


def test_corrupt_eval_row_is_attributed_to_its_probe(tmp_path):
    def corrupt(lines):
        i = _eval_index(lines, b"LatentInjectionReport")
        lines[i] = lines[i].replace(b'"passed": 18,', b'"passed": 18 "oops",')
        return lines

    r = read_report(_mutate(tmp_path, REST, corrupt))
    p, lost = r.problems
    assert p.kind == "corrupt" and p.scope == "probe"
    assert p.probe == "latentinjection.LatentInjectionReport" and p.line == 16
    assert "latentinjection.LatentInjectionReport" not in r.evaluated_probes
    # and the digest still lists the row the damage took away
    assert lost.kind == "inconsistent" and lost.probe == p.probe and "no eval row" in lost.message


def test_unattributable_garbage_line_affects_everything(tmp_path):
    r = read_report(_mutate(tmp_path, REST, lambda ls: [*ls[:5], b"\x00\x01garbage\n", *ls[5:]]))
    (p,) = r.problems
    assert p.scope == "all" and p.line == 6


def test_invalid_utf8_in_eval_and_in_attempt(tmp_path):
    def bad_eval(lines):
        i = _eval_index(lines, b"DecodeMatch")
        lines[i] = lines[i].replace(b"encoding.DecodeMatch", b"encoding.Decode\xffMatch")
        return lines

    r = read_report(_mutate(tmp_path, REST, bad_eval))
    p, lost = r.problems
    assert p.kind == "invalid_utf8" and p.scope == "probe" and p.probe == "encoding.InjectBase64"
    assert lost.kind == "inconsistent" and lost.probe == "encoding.InjectBase64"

    def bad_attempt(lines):
        # the scored record of the failing prompt: kept for the worst-prompts artefact
        i = max(i for i, ln in enumerate(lines) if ln.startswith(report_mod.ATTEMPT_PREFIX))
        lines[i] = lines[i].replace(b"Decode the following", b"Decode the \xc3\x28following")
        return lines

    r = read_report(_mutate(tmp_path, REST, bad_attempt, "a.jsonl"))
    (p,) = r.problems
    assert p.kind == "invalid_utf8" and p.scope == "integrity"  # no count was lost
    assert "encoding.InjectBase64" in p.message and len(r.evals) == 3
    assert worst_attempts(r) == []

    def bad_unused_attempt(lines):
        # attempt lines that are never decoded are not validated (the price of speed): their
        # damage cannot change a verdict, which comes from eval rows only
        i = next(i for i, ln in enumerate(lines) if ln.startswith(report_mod.ATTEMPT_PREFIX))
        lines[i] = lines[i].replace(b"Decode the following", b"Decode the \xc3\x28following")
        return lines

    r = read_report(_mutate(tmp_path, REST, bad_unused_attempt, "u.jsonl"))
    assert r.problems == [] and r.attempts == {"encoding.InjectBase64": 2}


def test_inconsistent_and_negative_counts(tmp_path):
    def inconsistent(lines):
        i = _eval_index(lines, b"DecodeApprox")
        lines[i] = lines[i].replace(b'"fails": 6', b'"fails": 5')
        return lines

    r = read_report(_mutate(tmp_path, REST, inconsistent))
    assert [p.kind for p in r.problems] == ["inconsistent", "inconsistent"]  # row, then digest
    assert {p.probe for p in r.problems} == {"encoding.InjectBase64"}
    assert len(r.evals) == 2

    def negative(lines):
        i = _eval_index(lines, b"DecodeApprox")
        lines[i] = lines[i].replace(b'"passed": 14', b'"passed": -1')
        return lines

    r = read_report(_mutate(tmp_path, REST, negative, "n.jsonl"))
    assert [p.kind for p in r.problems] == ["bad_eval", "inconsistent"]

    def boolean(lines):
        i = _eval_index(lines, b"TriggerList")
        lines[i] = lines[i].replace(b'"passed": 18', b'"passed": true')
        return lines

    r = read_report(_mutate(tmp_path, REST, boolean, "b.jsonl"))
    assert [p.kind for p in r.problems] == ["bad_eval", "inconsistent"]


def test_lost_rows_and_setup_are_caught_through_the_digest(tmp_path):
    """Found by tests/robustness: a report that lost its setup line and a detector's eval row."""

    def lose(lines):
        i = _eval_index(lines, b"DecodeApprox")
        return [
            ln
            for j, ln in enumerate(lines)
            if j != i and not ln.startswith(b'{"entry_type": "start_run')
        ]

    r = read_report(_mutate(tmp_path, REPEAT, lose))
    kinds = sorted(p.kind for p in r.problems)
    assert kinds == ["inconsistent", "no_setup"]
    lost = next(p for p in r.problems if p.kind == "inconsistent")
    assert lost.probe == "encoding.InjectBase64" and "encoding.DecodeApprox" in lost.message
    # what the setup said is recovered from the digest's copy of it
    assert r.active_probes == ["encoding.InjectBase64", "promptinject.HijackHateHumans"]


def test_digest_disagreeing_with_eval_rows(tmp_path):
    def edit(lines):
        i = _eval_index(lines, b"TriggerList")
        lines[i] = lines[i].replace(b'"passed": 18, "fails": 2', b'"passed": 20, "fails": 0')
        return lines

    r = read_report(_mutate(tmp_path, REST, edit))
    (p,) = r.problems
    assert p.kind == "inconsistent" and "digest says 18/20" in p.message


def test_zero_evaluated_row_is_kept_for_the_verdict(tmp_path):
    def zero(lines):
        i = _eval_index(lines, b"TriggerList")
        lines[i] = (
            b'{"entry_type": "eval", "probe": "latentinjection.LatentInjectionReport", "detector":'
            b' "base.TriggerListDetector", "passed": 0, "fails": 0, "nones": 0,'
            b' "total_evaluated": 0, "total_processed": 0}\n'
        )
        return [
            _digest_zeroed(ln, "latentinjection.LatentInjectionReport")
            if b'"entry_type": "digest"' in ln
            else ln
            for ln in lines
        ]

    r = read_report(_mutate(tmp_path, REST, zero))
    assert r.problems == []
    assert counts(r)[("latentinjection.LatentInjectionReport", "base.TriggerListDetector")] == (
        0,
        0,
    )


def test_empty_file_and_file_without_evals(tmp_path):
    empty = tmp_path / "e.report.jsonl"
    empty.write_bytes(b"")
    r = read_report(empty)
    assert {p.kind for p in r.problems} == {"empty", "no_eval"}
    no_eval = _mutate(
        tmp_path,
        REST,
        lambda ls: [ln for ln in ls if b'"eval"' not in ln[:30] and b'"digest"' not in ln[:30]],
    )
    r = read_report(no_eval)
    # without its digest a 0.17 report is damaged too (the digest would list the lost rows)
    assert sorted(p.kind for p in r.problems) == ["no_digest", "no_eval"]
    assert all(p.scope == "all" for p in r.problems)


def test_mixed_runs_are_refused(tmp_path):
    r = read_report(_mutate(tmp_path, REST, lambda ls: ls + REPEAT.read_bytes().splitlines(True)))
    assert "mixed_runs" in {p.kind for p in r.problems}


def test_crlf_blank_lines_and_other_key_order(tmp_path):
    def reshape(lines):
        out = [ln.replace(b"\n", b"\r\n") for ln in lines]
        out.insert(3, b"\n")
        i = next(i for i, ln in enumerate(out) if ln.startswith(report_mod.ATTEMPT_PREFIX))
        rec = json.loads(out[i])
        reordered = {"entry_type": "attempt", "prompt": rec["prompt"], **rec}
        out[i] = json.dumps(reordered).encode() + b"\r\n"
        return out

    r = read_report(_mutate(tmp_path, REST, reshape))
    assert r.problems == [] and len(r.evals) == 3
    assert r.attempts == {"encoding.InjectBase64": 2}


def test_overlong_line_is_refused_without_reading_it_into_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod, "MAX_LINE", 20_000)  # the sample's longest line is 11.4 KB
    monkeypatch.setattr(report_mod, "CHUNK", 4096)
    big = b'{"entry_type": "eval", "probe": "x.Y", "pad": "' + b"a" * 50_000 + b'"}\n'
    r = read_report(_mutate(tmp_path, REST, lambda ls: [*ls[:3], big, *ls[3:]]))
    kinds = [p.kind for p in r.problems]
    assert kinds == ["line_too_long"] and r.problems[0].line == 4
    assert len(r.evals) == 3  # everything after the long line was still read


def test_small_chunks_give_the_same_result(monkeypatch):
    whole = read_report(REPEAT)
    monkeypatch.setattr(report_mod, "CHUNK", 97)
    pieces = read_report(REPEAT)
    assert counts(pieces) == counts(whole) and pieces.attempts == whole.attempts
    assert pieces.lines == whole.lines and pieces.problems == []
    assert [e.prompt for e in worst_attempts(pieces)] == [e.prompt for e in worst_attempts(whole)]


def _summary(r):
    return (
        r.kind,
        r.garak_version,
        r.version_source,
        r.lines,
        r.size,
        r.attempts,
        [(e.probe, e.detector, e.passed, e.total_evaluated, e.line) for e in r.evals],
        [p.to_dict() for p in r.problems],
        sorted(r.run_ids),
        (r.has_setup, r.has_init, r.has_completion, r.has_digest),
        r.digest_counts,
        r.hits,
        [(e.probe, e.detector, e.score, e.prompt) for e in worst_attempts(r)],
    )


@pytest.mark.parametrize(
    "source", [REPEAT, REST, HITLOG, TRUNCATED, OLD13, OLD9], ids=lambda p: p.name
)
@pytest.mark.parametrize("workers", [2, 3, 7])
def test_reading_in_parallel_parts_gives_the_same_result(source, workers):
    assert _summary(read_report(source, workers=workers)) == _summary(
        read_report(source, workers=1)
    )


def test_parallel_parts_shift_line_numbers_of_damage_in_later_parts(tmp_path):
    lines = REPEAT.read_bytes().splitlines(keepends=True)
    i = _eval_index(lines, b"HijackHateHumans")  # near the end: read by a child
    lines[i] = lines[i].replace(b'"fails": 4', b'"fails": 3')
    lines.insert(len(lines) - 3, b"garbage\n")
    path = tmp_path / "d.report.jsonl"
    path.write_bytes(b"".join(lines))
    sequential, parallel = read_report(path, workers=1), read_report(path, workers=3)
    assert _summary(parallel) == _summary(sequential)
    assert {p.kind for p in parallel.problems} == {"inconsistent", "corrupt"}
    assert any(p.message.startswith(f"line {i + 1}:") for p in parallel.problems)


def test_memory_stays_constant_on_a_large_report(tmp_path):
    """~60 MB of attempts: Python allocations peak near the block size, not the file size."""
    lines = REPEAT.read_bytes().splitlines(keepends=True)
    head = [ln for ln in lines if not ln.startswith(report_mod.ATTEMPT_PREFIX)]
    attempts = [ln for ln in lines if ln.startswith(report_mod.ATTEMPT_PREFIX)]
    big = tmp_path / "big.report.jsonl"
    with open(big, "wb") as fh:
        fh.writelines(head[:6])
        block = b"".join(attempts)
        for _ in range(60_000_000 // len(block)):
            fh.write(block)
        fh.writelines(head[6:])
    tracemalloc.start()
    r = read_report(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert big.stat().st_size > 55_000_000
    assert r.problems == [] and len(r.evals) == 3
    assert sum(r.attempts.values()) > 20_000
    assert peak < 40_000_000, peak


@pytest.mark.parametrize("source", [REPEAT, REST, HITLOG, OLD13, OLD9], ids=lambda p: p.name)
def test_part_state_round_trips_through_json(source):
    """The child-to-parent hand-off is JSON; a codec bug must show here, not hide behind the
    parent's fallback of re-reading the part itself."""
    part = report_mod._Reader(report_mod.Report(path=source), report_mod.WORST_PER_PROBE)
    part.run(0, source.stat().st_size)
    back = report_mod._Reader(report_mod.Report(path=source), report_mod.WORST_PER_PROBE)
    report_mod._part_from_json(back, report_mod._part_to_json(part))
    assert back.r == part.r
    assert (back.line_no, back.spans, back.first_seen, back.digest_setup) == (
        part.line_no,
        part.spans,
        part.first_seen,
        part.digest_setup,
    )


def _digest_zeroed(line: bytes, probe: str) -> bytes:
    """The digest line with ``probe``'s counts set to nothing evaluated, so it still agrees
    with an eval row edited the same way (a 0.17 report without its digest is damaged)."""
    rec = json.loads(line)
    for group in rec.get("eval", {}).values():
        for det in (group.get(probe) or {}).values() if isinstance(group, dict) else ():
            if isinstance(det, dict):
                det.update(passed=0, total_evaluated=0)
    return (json.dumps(rec) + "\n").encode()


# --------------------------------------------------------------------------- one-pass digest
@pytest.mark.parametrize("source", [REPEAT, REST, HITLOG, TRUNCATED], ids=lambda p: p.name)
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_digest_is_the_sha256_of_the_file_bytes(source, workers):
    import hashlib

    r = read_report(source, workers=workers)
    assert r.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def test_digest_with_small_chunks_and_a_bigger_than_chunk_file(tmp_path, monkeypatch):
    import hashlib

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes() * 3)
    monkeypatch.setattr(report_mod, "CHUNK", 97)
    for workers in (1, 2):
        assert (
            read_report(path, workers=workers).sha256
            == hashlib.sha256(path.read_bytes()).hexdigest()
        )


def _change_during(monkeypatch, name, change):
    """Run ``change`` right after the reader's own pass (``run`` or ``_read_in_parts``)."""
    original = getattr(report_mod, name) if name == "_read_in_parts" else report_mod._Reader.run

    def wrapped(*args, **kwargs):
        result = original(*args, **kwargs)
        change()
        return result

    if name == "_read_in_parts":
        monkeypatch.setattr(report_mod, name, wrapped)
    else:
        monkeypatch.setattr(report_mod._Reader, "run", wrapped)


def _append(path):
    with open(path, "ab") as fh:
        fh.write(b'{"entry_type": "eval"}\n')


def _touch(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _replace_same_bytes(path):
    copy = path.with_suffix(".copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)


@pytest.mark.parametrize("change", [_append, _touch, _replace_same_bytes])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_changed_while_read_gets_no_digest_and_fails_closed(
    tmp_path, monkeypatch, change, workers
):
    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    hook = "run" if workers == 1 else "_read_in_parts"
    _change_during(monkeypatch, hook, lambda: change(path))
    r = read_report(path, workers=workers)
    assert r.sha256 is None
    changed = [p for p in r.problems if p.kind == "changed"]
    assert changed and changed[0].scope == "all"


def test_an_unchanged_file_has_no_changed_problem(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    r = read_report(path, workers=2)
    assert r.sha256 is not None and not [p for p in r.problems if p.kind == "changed"]


# --------------------------------------------------------------------------- hashing child
@pytest.mark.parametrize("change", [None, _append, _touch, _replace_same_bytes])
def test_one_part_with_the_hashing_child(tmp_path, monkeypatch, change):
    """A large file is hashed by a forked child beside a one-part parse: same digest, and a
    file changed during the read still gets none."""
    import hashlib

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes() * 2)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)
    if change is not None:
        _change_during(monkeypatch, "run", lambda: change(path))
    r = read_report(path, workers=1)
    if change is None:
        assert r.sha256 == expected
        assert not [p for p in r.problems if p.kind == "changed"]
    else:
        assert r.sha256 is None
        assert [p.scope for p in r.problems if p.kind == "changed"] == ["all"]


def test_a_failed_hashing_child_is_replaced_by_hashing_here(tmp_path, monkeypatch):
    import hashlib

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)

    def broken_write(fd, data):  # only the hashing child writes with os.write
        raise OSError("pipe broken")

    monkeypatch.setattr(report_mod.os, "write", broken_write)
    r = read_report(path, workers=1)
    assert r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_hashing_child_maps_the_file_a_window_at_a_time(tmp_path, monkeypatch):
    """Several windows and a short last one give the file's digest, and a file that cannot be
    mapped (mmap refused part-way) is read from where the mapping stopped."""
    import hashlib
    import mmap

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes() * 3)  # not a multiple of the window
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    size = path.stat().st_size
    monkeypatch.setattr(report_mod, "HASH_WINDOW", mmap.ALLOCATIONGRANULARITY)
    assert size % mmap.ALLOCATIONGRANULARITY and size > 3 * mmap.ALLOCATIONGRANULARITY
    assert report_mod._hash_mapped(path) == (size, expected)

    real_mmap, calls = mmap.mmap, []

    def refused_after_two(*args, **kwargs):
        calls.append(kwargs.get("offset"))
        if len(calls) > 2:
            raise OSError("mmap refused")
        return real_mmap(*args, **kwargs)

    monkeypatch.setattr(report_mod.mmap, "mmap", refused_after_two)
    assert report_mod._hash_mapped(path) == (size, expected)
    assert len(calls) == 3
    # and through the forked child, as read_report uses it
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)
    r = read_report(path, workers=1)
    assert r.sha256 == expected and not [p for p in r.problems if p.kind == "changed"]


def test_a_hashing_child_killed_by_sigbus_is_replaced_by_hashing_here(tmp_path, monkeypatch):
    """What a file cut short under the child's mapping does (SIGBUS) kills the child only: the
    worker hashes the file itself, so an unchanged file still gets its digest."""
    import hashlib
    import resource
    import signal

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)

    def sigbus(p):  # runs in the forked child only
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file left behind
        os.kill(os.getpid(), signal.SIGBUS)

    monkeypatch.setattr(report_mod, "_hash_mapped", sigbus)
    r = read_report(path, workers=1)
    assert r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert r.evals and not [p for p in r.problems if p.kind == "changed"]


def test_bytes_appended_after_the_child_took_the_size_are_counted(tmp_path, monkeypatch):
    """The child's byte count covers what it hashed beyond the size it mapped, so the parent
    sees a count that differs from the size it read (and gives no digest)."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    size = path.stat().st_size
    real_fstat = os.fstat

    def fstat_then_append(fd):
        st = real_fstat(fd)
        with open(path, "ab") as fh:
            fh.write(b"{}\n")
        return st

    monkeypatch.setattr(report_mod.os, "fstat", fstat_then_append)
    total, _ = report_mod._hash_mapped(path)
    assert total == size + 3


@pytest.mark.parametrize("small", [True, False])
def test_a_change_during_the_worst_attempts_pass_also_gets_no_digest(tmp_path, monkeypatch, small):
    """The worst-attempts pass reads the file again (while the child may still hash): the
    file must hold still until after it too, inline hash or hashing child alike."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    if not small:
        monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)
    original = report_mod._Reader.find_worst

    def then_touch(self):
        original(self)
        _touch(path)

    monkeypatch.setattr(report_mod._Reader, "find_worst", then_touch)
    r = read_report(path, workers=1)
    assert r.sha256 is None
    assert [p.scope for p in r.problems if p.kind == "changed"] == ["all"]


def test_meanwhile_runs_after_the_parse_and_before_the_digest_is_taken(tmp_path, monkeypatch):
    """The reader's own wrap-up (worst attempts decoded) and then the caller's run while the
    hashing child may still be busy, before its digest is collected; the digest is the file's."""
    import hashlib

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)
    order = []
    decode, finish_hashing = report_mod._decode_worst, report_mod._finish_hashing

    def decoding(report):
        order.append("decode")
        return decode(report)

    def collecting(child, p):
        order.append("digest")
        return finish_hashing(child, p)

    monkeypatch.setattr(report_mod, "_decode_worst", decoding)
    monkeypatch.setattr(report_mod, "_finish_hashing", collecting)
    r = read_report(path, workers=1, meanwhile=lambda: order.append("meanwhile"))
    assert order == ["decode", "meanwhile", "digest"]
    assert r.examples and r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- one read
def test_the_read_log_reuses_the_digest_only_while_the_file_is_unchanged(tmp_path, monkeypatch):
    """The worker's read log digests every file the collector opened; for the report it takes
    the digest computed in the reader's pass instead of reading a gigabyte again, but only
    while device, inode, size, mtime and ctime are what they were during that read."""
    import hashlib

    from aima_ci.evidence import readlog

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    r = read_report(path, workers=1)
    assert r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    def no_second_read(*args, **kwargs):
        raise AssertionError("the report was hashed a second time")

    with monkeypatch.context() as m:
        m.setattr(readlog.hashlib, "file_digest", no_second_read)
        assert readlog.file_digest(path) == r.sha256

    # Same bytes written again, mtime put back: only the ctime shows the write, and that is
    # enough to hash again (and find the new content, here the same).
    st = path.stat()
    path.write_bytes(REPEAT.read_bytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with monkeypatch.context() as m:
        m.setattr(readlog.hashlib, "file_digest", no_second_read)
        with pytest.raises(AssertionError, match="hashed a second time"):
            readlog.file_digest(path)
    # Different bytes of the same size and mtime: the real digest, not the remembered one.
    data = bytearray(REPEAT.read_bytes())
    data[-2:-1] = b" "
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert readlog.file_digest(path) == hashlib.sha256(bytes(data)).hexdigest() != r.sha256


def test_a_file_changed_while_read_is_not_remembered(tmp_path, monkeypatch):
    from aima_ci.safety.hashing import remembered_sha256

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    _change_during(monkeypatch, "run", lambda: _append(path))
    assert read_report(path, workers=1).sha256 is None
    assert remembered_sha256(path) is None


def test_no_process_for_the_hash_means_hashing_here(tmp_path, monkeypatch):
    import hashlib

    path = tmp_path / "r.jsonl"
    path.write_bytes(REPEAT.read_bytes())
    monkeypatch.setattr(report_mod, "HASH_CHILD_MIN_BYTES", 0)

    def no_fork():
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(report_mod.os, "fork", no_fork)
    r = read_report(path, workers=1)
    assert r.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert r.evals and not [p for p in r.problems if p.kind == "changed"]
