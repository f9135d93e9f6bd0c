"""R25 under load on PostgreSQL: concurrent intakes get 1..N with no gap; concurrent repeats of
one external_id make exactly one appeal (DESIGN §5 idempotency)."""
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from docflow.auth.operations import create_token
from docflow.demo import load_demo
from docflow.extensions import db
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import body
from tests.conftest import LiveServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_live(pg_app):
    load_demo()
    token = create_token("demo-integration")
    db.session.commit()
    server = LiveServer(pg_app)
    server.start()
    yield server, {"Authorization": f"Bearer {token}"}
    server.stop()


def _post_all(server, headers, payloads):
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client, \
            ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(lambda p: client.post("/api/v1/appeals", json=p), payloads))


def test_fifty_concurrent_intakes_are_numbered_1_to_50_without_gaps(pg_live):
    server, headers = pg_live
    responses = _post_all(server, headers, [body(external_id=f"C-{i}") for i in range(50)])
    assert [r.status_code for r in responses] == [201] * 50
    seqs = sorted(db.session.execute(db.select(Appeal.registration_seq)).scalars())
    assert seqs == list(range(1, 51))
    numbers = {r.json()["registration_number"] for r in responses}
    assert numbers == {f"CRC-AST-2026-{n:06d}" for n in range(1, 51)}


def test_twenty_concurrent_repeats_make_exactly_one_appeal(pg_live):
    server, headers = pg_live
    responses = _post_all(server, headers, [body(external_id="SAME")] * 20)
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 1
    # the losers rolled back their numbers: the next appeal is number 2
    nxt = _post_all(server, headers, [body(external_id="NEXT")])[0].json()
    assert nxt["registration_number"] == "CRC-AST-2026-000002"
