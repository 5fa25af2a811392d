"""How `crmagent batch --ray` deals its work and keeps what finished out of order, without a
cluster: shards whole to one actor, the load balanced, and a journal that survives a kill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmagent.distributed import Journal, assign, chunks, shards


def request(merchant: str, segment: str) -> dict[str, Any]:
    return {"merchant_id": merchant, "segment": segment}


def test_each_merchants_segment_goes_whole_to_one_actor_and_the_load_is_balanced() -> None:
    keys = [("m1", "vip")] * 7 + [("m2", "vip")] * 4 + [("m1", "lapsed")] * 3 + [("m3", "vip")]
    lines = [(n, request(*key)) for n, key in enumerate(keys, start=1)]
    dealt = assign(shards(lines), 2)
    owners = {
        (item["merchant_id"], item["segment"]): actor
        for actor, groups in enumerate(dealt)
        for group in groups
        for _, item in group
    }
    assert len(owners) == 4  # every shard on exactly one actor
    assert sorted(sum(len(g) for g in groups) for groups in dealt) == [7, 8]
    # m1 vip cut in threes, m3 vip (line 15) after it; m2 vip then m1 lapsed on the other
    queue = chunks(dealt[owners[("m1", "vip")]], 3)
    assert [[n for n, _ in part] for part in queue] == [[1, 2, 3], [4, 5, 6], [7, 15]]
    queue = chunks(dealt[owners[("m2", "vip")]], 3)
    assert [[n for n, _ in part] for part in queue] == [[8, 9, 10], [11, 12, 13], [14]]


def test_the_journal_keeps_its_runs_results_through_a_torn_line(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    journal = Journal(target, "run-a")
    journal.add([(3, '{"id":"3"}'), (1, '{"id":"1","body":"tab\\there"}')])
    journal.close(complete=False)
    with journal.path.open("ab") as handle:
        handle.write(b'2\trun-a\t{"id":"2"')  # killed mid-write
    other = Journal(target, "run-b")
    assert other.offsets == {}  # another run's results (new input or data) are not reused
    other.close(complete=False)

    again = Journal(target, "run-a")
    assert sorted(again.offsets) == [1, 3]
    assert again.result(1) == b'{"id":"1","body":"tab\\there"}\n'
    again.add([(2, '{"id":"2"}')])
    assert again.result(2) == b'{"id":"2"}\n' and again.result(3) == b'{"id":"3"}\n'
    again.close(complete=True)
    assert not journal.path.exists()
