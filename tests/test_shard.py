"""Shard planning: every enabled collector (or list item) runs in exactly one shard, always the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_json
from aima_ci.evidence.shard import ShardSpec, parse_shard, plan_shard


@pytest.mark.parametrize(
    ("text", "spec"),
    [("1/1", ShardSpec(1, 1)), ("2/3", ShardSpec(2, 3)), (" 3 / 3 ", ShardSpec(3, 3))],
)
def test_parse_shard(text: str, spec: ShardSpec):
    assert parse_shard(text) == spec and str(spec) == f"{spec.index}/{spec.count}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "1/3/4", "", "-1/3", "1/999"])
def test_parse_shard_refuses(text: str):
    with pytest.raises(ValueError):
        parse_shard(text)


def test_whole_collectors_are_dealt_round_robin_over_sorted_names():
    configured = {n: {} for n in ("e", "c", "a", "d", "b")}
    shares = [sorted(plan_shard(configured, {}, ShardSpec(i, 2))[0]) for i in (1, 2)]
    assert shares == [["a", "c", "e"], ["b", "d"]]


def test_plan_keeps_config_order_and_settings():
    configured = {"z": {"x": 1}, "a": {"y": 2}}
    selected, parts = plan_shard(configured, {}, ShardSpec(1, 1))
    assert list(selected) == ["z", "a"] and selected["z"] == {"x": 1} and parts == {}


def test_disabled_collectors_are_not_dealt():
    configured = {"a": {"enabled": False}, "b": {}, "c": {}}
    assert list(plan_shard(configured, {}, ShardSpec(1, 2))[0]) == ["b"]
    assert list(plan_shard(configured, {}, ShardSpec(2, 2))[0]) == ["c"]


def test_splittable_list_is_dealt_item_by_item():
    configured = {"garak": {"probes": ["p0", "p1", "p2", "p3", "p4"], "generations": 1}, "x": {}}
    keys = {"garak": "probes"}
    plans = [plan_shard(configured, keys, ShardSpec(i, 3)) for i in (1, 2, 3)]
    assert [p[0]["garak"]["probes"] for p in plans] == [["p0", "p3"], ["p1", "p4"], ["p2"]]
    assert all(p[0]["garak"]["generations"] == 1 for p in plans)
    assert plans[1][1]["garak"] == {
        "key": "probes",
        "index": 2,
        "count": 3,
        "items": ["p1", "p4"],
        "total": 5,
    }
    # the split collector is not also dealt whole: "x" alone goes to shard 1
    assert ["x" in p[0] for p in plans] == [True, False, False]


def test_short_or_missing_lists_run_whole():
    keys = {"garak": "probes"}
    for settings in ({"probes": ["only"]}, {"probes": []}, {}, {"probes": "p0,p1"}):
        selected = [plan_shard({"garak": settings}, keys, ShardSpec(i, 2)) for i in (1, 2)]
        assert [("garak" in s, p) for s, p in selected] == [(True, {}), (False, {})]


def test_fewer_items_than_shards_leaves_some_shards_without_the_collector():
    configured = {"g": {"probes": ["a", "b"]}}
    got = [plan_shard(configured, {"g": "probes"}, ShardSpec(i, 4))[0] for i in (1, 2, 3, 4)]
    assert [s.get("g", {}).get("probes") for s in got] == [["a"], ["b"], None, None]


@given(
    names=st.sets(st.text("abcdefgh_", min_size=1, max_size=8), max_size=12),
    items=st.lists(st.integers(), max_size=9),
    count=st.integers(1, 6),
)
def test_every_collector_and_item_lands_in_exactly_one_shard(
    names: set[str], items: list[int], count: int
):
    configured = {n: {} for n in names}
    configured["split"] = {"probes": items}
    keys = {"split": "probes"}
    seen: list[str] = []
    seen_items: list[int] = []
    for i in range(1, count + 1):
        selected, parts = plan_shard(configured, keys, ShardSpec(i, count))
        again = plan_shard(configured, keys, ShardSpec(i, count))
        assert (selected, parts) == again  # deterministic
        seen.extend(n for n in selected if n != "split")
        if len(items) >= 2:
            seen_items.extend(selected.get("split", {}).get("probes", []))
        elif "split" in selected:
            seen.append("split")
    expected = sorted(names) + (["split"] if len(items) < 2 else [])
    assert sorted(seen) == sorted(expected)
    if len(items) >= 2:
        assert sorted(seen_items) == sorted(items)


def test_a_shard_collects_only_its_share_and_records_it(repo: Path, write_config):
    write_config(
        {
            "collectors": {
                "testplugin": {},
                "testwork": {},
                "testsplit": {"items": ["a", "b", "c"]},
            }
        }
    )
    config = load_config(cwd=repo)
    runs = collect(config, repo / "s2", shard=ShardSpec(2, 2))
    assert sorted(r.name for r in runs) == ["testsplit", "testwork"]
    split = next(r for r in runs if r.name == "testsplit")
    assert [f.details["item"] for f in split.findings] == ["b"]
    assert split.findings[0].artefacts == ("artefacts/testsplit/part-2-of-2/b.txt",)
    info = read_json(repo / "s2" / "run.json")
    assert info["shard"] == {"index": 2, "count": 2}
    entry = next(c for c in info["collectors"] if c["name"] == "testsplit")
    assert entry["part"]["items"] == ["b"]
