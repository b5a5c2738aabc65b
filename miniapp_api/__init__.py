"""The mini-program's HTTP API (``/miniapp/v1``): thin views over the domain services."""

from __future__ import annotations


def blueprints():
    from miniapp_api.agency import blp as agency_blp
    from miniapp_api.auth import blp as auth_blp
    from miniapp_api.card import blp as card_blp
    from miniapp_api.commitments import blp as commitments_blp
    from miniapp_api.loans import blp as loans_blp
    from miniapp_api.me import blp as me_blp
    from miniapp_api.objections import blp as objections_blp
    from miniapp_api.perks import blp as perks_blp
    from miniapp_api.repairs import blp as repairs_blp
    from miniapp_api.uploads import blp as uploads_blp

    return [
        auth_blp,
        me_blp,
        agency_blp,
        card_blp,
        uploads_blp,
        objections_blp,
        commitments_blp,
        perks_blp,
        loans_blp,
        repairs_blp,
    ]
