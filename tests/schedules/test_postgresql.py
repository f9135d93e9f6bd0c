"""The same queries on PostgreSQL (production): the R7-1 list, the clash check across venues'
current versions, republishing with SEQUENCE, and the published entries."""
import pytest

from docflow.demo import load_demo
from docflow.extensions import db
from docflow.schedules import moved_or_removed, published_entries, r71_gaps, sequences
from docflow.schedules import operations as ops
from docflow.schedules.checks import EntryError
from tests.schedules.conftest import World


def test_schedules_on_postgresql(pg_app):
    load_demo()
    world = World()
    room = world.schedule("RR-MLSPP", [world.entry("MLSPP-MIN", 1, start=(15, 0),
                                                   end=(17, 0))], state="published")
    center = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 2), world.entry("MZ-MIN", 2)],
                            state="published")
    assert {o.code for o in r71_gaps(center.month)} == {"MLSPP-DEP1"}
    draft = ops.new_version(center, world.user("admin"))
    with pytest.raises(EntryError) as refused:  # the room's 15:00-17:00 on 1 December
        ops.add_entry(draft, world.user("admin"), world.entry("MLSPP-MIN", 1, start=(16, 0),
                                                              end=(17, 0), capacity=2))
    assert "official" in refused.value.errors
    db.session.rollback()
    draft = ops.new_version(center, world.user("admin"))
    moved = next(e for e in draft.entries if e.official.code == "MZ-MIN")
    ops.update_entry(moved, world.user("admin"), world.entry("MZ-MIN", 3))
    ops.submit(draft, world.user("admin"))
    ops.approve(draft, world.user("government_office"), acknowledge=True, reason="pg")
    ops.publish(draft, world.user("admin"))
    db.session.commit()
    assert center.state == "superseded" and draft.state == "published"
    assert sequences(draft)[moved.key] == 1
    assert [c.key for c in moved_or_removed(draft)] == [moved.key]
    assert [e.date.day for e in published_entries(center.venue_id)] == [2, 3]
    assert len(published_entries(room.venue_id)) == 1
