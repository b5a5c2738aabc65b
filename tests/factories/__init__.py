"""Test factories, one module per context (add yours beside them; keep them generic).

``staff`` (departments, staff users, staff headers), ``subjects`` (firms, persons, accounts, agencies),
``records``, ``lists``, ``commitments``. ``cards`` and ``evaluation`` arrange the shapes those tests
need on top of them. The common names stay importable from ``tests.factories``.
"""

from tests.factories.commitments import make_commitment
from tests.factories.lists import make_listing
from tests.factories.records import make_record
from tests.factories.staff import (
    FAST_HASHER,
    STAFF_PASSWORD,
    department_named,
    make_department,
    make_staff,
    seeded_department,
    staff_headers,
)
from tests.factories.subjects import (
    account_headers,
    approve_agent,
    bound_account,
    make_account,
    make_firm,
    make_person,
    make_subject,
)

__all__ = [
    "FAST_HASHER", "STAFF_PASSWORD", "account_headers", "approve_agent", "bound_account", "department_named",
    "make_account", "make_commitment", "make_department", "make_firm", "make_listing", "make_person",
    "make_record", "make_staff", "make_subject", "seeded_department", "staff_headers",
]
