"""Listing 10,000 items filtered by permission takes a constant number of SQL statements."""
from sqlalchemy import event, insert

from docflow.engine import grant, visible_filter
from docflow.engine.content import Item, ItemPlace
from docflow.extensions import db
from tests.engine.memo import OTHER_PLACE, PLACE, Memo

N = 10_000


def _bulk_memos(n: int, owner_id: int) -> None:
    """Half at PLACE, half elsewhere; every tenth in a container (item 1) — one INSERT each."""
    items, memos, places = [], [], []
    for i in range(1, n + 1):
        parent = 1 if i % 10 == 0 and i != 1 else None
        items.append({"id": i, "uid": f"{i:032x}", "type": "memo", "title": f"Memo {i}",
                      "parent_id": parent, "path": f"/1/{i}/" if parent else f"/{i}/",
                      "owner_id": owner_id, "state": "draft", "restricted": i % 7 == 0,
                      "version": 1})
        memos.append({"id": i, "body": "text"})
        places.append({"item_id": i, "place": PLACE if i % 2 else OTHER_PLACE})
    db.session.execute(insert(Item.__table__), items)
    db.session.execute(insert(Memo.__table__), memos)
    db.session.execute(insert(ItemPlace.__table__), places)


class Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def _list_and_count(user) -> tuple[int, int, int]:
    """The user's local grants (1, once per transaction), a page of 50 memos (1 statement, +1
    to load their places) and the total (1)."""
    assert user.id  # load the user outside the count
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        rows = db.session.execute(db.select(Memo).where(visible_filter(user))
                                  .order_by(Item.id).limit(50)).scalars().all()
        total = db.session.execute(db.select(db.func.count(Item.id))
                                   .where(visible_filter(user))).scalar()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return len(rows), total, counter.count


def test_permission_filtered_listing_is_constant_in_queries(memo_app):
    u = memo_app.memo.users
    _bulk_memos(N, u.nobody.id)
    db.session.commit()
    db.session.expire_all()
    page, total, statements = _list_and_count(u.sam)  # signer at PLACE: odd ids, not restricted
    expected = sum(1 for i in range(1, N + 1) if i % 2 and i % 7)
    assert (page, total, statements) == (50, expected, 4)
    # A local role on the container item 1 adds its contents (every tenth memo), same cost.
    grant(db.session.get(Item, 1), f"user:{u.sam.id}", "reader", u.root)
    db.session.commit()
    page, total, statements = _list_and_count(u.sam)
    extra = sum(1 for i in range(10, N + 1, 10) if i % 7 and not i % 2)
    assert (page, total, statements) == (50, expected + extra, 4)
