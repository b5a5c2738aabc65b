"""Every HTTP blueprint, registered on one flask-smorest ``Api`` per app (one OpenAPI spec).

To add an API: write a ``flask_smorest.Blueprint`` in its context's package and list it here
(public), in ``backend/staff/api.py`` (staff) or ``miniapp_api/__init__.py`` (mini-program).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # primary keys are INTEGER (int4 on PostgreSQL)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that refuses values no primary key can hold (so they are a 404, never a 500).

    ASCII digits only: werkzeug's ``\\d+`` also matches full-width and other Unicode digits, so
    ``/records/１`` reached record 1 — one record under many addresses, past any filter or log rule
    that looks for the ASCII id.
    """

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 — werkzeug's parameter name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_api_blueprints(app: Flask) -> Api:
    api = Api(app, spec_kwargs={"info": {"description": "信用淮安区 — 小程序、公众号、工作台与公共查询接口"}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    app.extensions["smorest_api"] = api
    api.register_converter(BoundedIntConverter, lambda _converter: {"type": "integer", "minimum": 0, "maximum": MAX_ID})
    for blp in _blueprints():
        api.register_blueprint(blp)
    return api


def _blueprints():
    from backend.staff.api import blueprints as staff_blueprints
    from miniapp_api import blueprints as miniapp_blueprints

    yield from miniapp_blueprints()  # /miniapp/v1
    yield from staff_blueprints()  # /staff/v1
    yield from public_blueprints()  # /public/v1


def public_blueprints():
    """``/public/v1``: no login, public information only."""
    from backend.cards.public_api import blp as cards_blp
    from backend.commitments.public_api import blp as commitments_blp
    from backend.lists.public_api import blp as lists_blp
    from backend.policy.public_api import blp as policy_blp
    from backend.repair.public_api import blp as repairs_blp
    from backend.subjects.public_api import blp as firms_blp

    return [firms_blp, cards_blp, lists_blp, policy_blp, commitments_blp, repairs_blp]
