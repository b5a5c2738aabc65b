"""Staff JSON API (``/staff/v1``): blueprints of each context's staff endpoints."""

from __future__ import annotations


def blueprints():
    from backend.calendar.api import blp as calendar_blp
    from backend.commitments.catalogue_api import blp as commitment_items_blp
    from backend.commitments.staff_api import blp as commitments_blp
    from backend.intercept.staff_api import blp as intercept_blp
    from backend.lists.staff_api import blp as lists_blp
    from backend.loans.staff_api import blp as loans_blp
    from backend.objections.staff_api import blp as objections_blp
    from backend.perks.staff_api import blp as perks_blp
    from backend.queues.staff_api import blp as queues_blp
    from backend.records.staff_api import blp as records_blp
    from backend.repair.staff_api import blp as repairs_blp
    from backend.staff.agency_api import blp as agency_blp
    from backend.staff.auth_api import blp as staff_auth_blp

    return [
        calendar_blp,
        staff_auth_blp,
        records_blp,
        agency_blp,
        lists_blp,
        commitments_blp,
        queues_blp,
        objections_blp,
        commitment_items_blp,
        intercept_blp,
        perks_blp,
        loans_blp,
        repairs_blp,
    ]
