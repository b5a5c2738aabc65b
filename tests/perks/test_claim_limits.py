"""Claims are rate-limited like every mini-program write (``RATELIMIT_WRITE`` per user)."""

from __future__ import annotations

import pytest

from tests.factories.cards import bound_account, headers
from tests.factories.perks import make_perk


@pytest.fixture
def config_overrides() -> dict:
    return {"RATELIMIT_WRITE": "2 per minute"}


def test_a_third_claim_in_a_minute_is_refused_as_too_frequent(app, client, db):
    account, _ = bound_account(db)
    perks = [make_perk(db, "rent", domain=None) for _ in range(3)]
    db.flush()
    statuses = [client.post("/miniapp/v1/vouchers", json={"perk_code": p.code}, headers=headers(app, account)).status_code
                for p in perks]
    assert statuses == [201, 201, 429]
