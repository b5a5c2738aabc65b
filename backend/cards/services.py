"""信用名片 (credit card) services: assemble a subject's card, serve it from the cache, and render
it for each audience.

A card is assembled once per subject and cached (see :mod:`backend.cards.cache`) in one *cached
form*: everything about the subject, the masked identity in clear and the unmasked identity
encrypted. :func:`render_card` then cuts the view for the audience:

- ``OWNER`` — the person themself (or a firm's legal representative / approved agent): every
  current record with its status label, all list entries, evaluation with explanation and hints.
  Identity masked, except the legal representative's name for the representative (``unmasked=True``).
- ``SHARED`` — a card opened from a share link (信用名片分享): masked identity, records still in
  effect (公示中 / 异议中), lists, evaluation with explanation, no hints.
- ``PUBLIC`` — ``/public/v1/firms/{uscc}/card``: see :data:`PUBLIC_POLICY`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from backend.cards.cache import CardCache, card_version
from backend.cards.evaluation import evaluation_from_rows
from backend.cards.schemas import PUBLIC_COMMITMENT_FIELDS
from backend.commitments.models import Commitment, CommitmentStatus
from backend.commitments.services import commitment_view
from backend.common.crypto import PIIError, keyring, mask_id_number, mask_name
from backend.evaluation.services import today_cn
from backend.lists.models import LIST_TYPE_LABELS, ListEntry, ListEntryStatus, ListType
from backend.platform.db import utcnow
from backend.platform.errors import NotFound
from backend.records.models import (
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
    SEVERITY_LABELS,
    CreditRecord,
    RecordStatus,
)
from backend.records.publicity import NOT_PUBLISHED_LABEL, is_public_on, withheld
from backend.staff.models import Department
from backend.subjects.changes import pending_changes
from backend.subjects.models import Firm, Person
from backend.subjects.services import require_identity

CARD_FORMAT = 4  # bump when the cached form or a rendered view changes: entries of another format are rebuilt
IDENTITY_PURPOSE = "card.identity"  # AES-GCM associated data of the cached unmasked identity
MAX_RECORDS = 200  # newest first; counts cover all of them

# Which lists the public may see. 红名单, 严重失信主体名单 and 禁入 are published by law or policy
# (国办发〔2019〕35号: 严重失信主体名单 依法公开; 红名单 is an incentive meant to be seen);
# 重点关注名单 is a supervision tool and is not published.
PUBLIC_LIST_TYPES = (ListType.RED, ListType.SERIOUS, ListType.BAN)
IN_EFFECT = (RecordStatus.PUBLICIZING, RecordStatus.OBJECTED)

PUBLIC_POLICY = (
    "公开信用名片只含：企业名称、统一社会信用代码、登记状态、行业、成立日期；公共信用评价等级及其依据中"
    "由正在公示的记录、公开的名单和公示的信用承诺产生的理由；红名单、严重失信主体名单、市场和行业禁入的在列状态；"
    "各类正在公示的记录数量；履约中的主动公示型、行业自律型、信用修复型信用承诺。"
    "正在异议处理中的记录只显示数量并标注“异议中”，不显示内容。"
    "不含法定代表人等个人信息、重点关注名单、异议中记录的内容、已修复或到期的记录、改进建议。"
)


class Audience(StrEnum):
    OWNER = "owner"
    SHARED = "shared"
    PUBLIC = "public"


# --- assembly (cache miss) --------------------------------------------------------------


# The assembly's statements are built once and run on the session's connection (Core): building a
# statement and the ORM's execution layer cost more than running the query on a warm connection,
# and a first look at a card is on the mini-program's hot path (about half the CPU of a cold card).
_PERSON = select(Person.name, Person.id_number, Person.region_code).where(Person.id == bindparam("subject_id"))
_RECORDS = (
    select(
        CreditRecord.id, CreditRecord.kind, CreditRecord.polarity, CreditRecord.title, CreditRecord.summary,
        CreditRecord.decision_no, CreditRecord.decision_date, CreditRecord.severity, CreditRecord.status,
        CreditRecord.publicity_start, CreditRecord.publicity_min_end, CreditRecord.publicity_max_end,
        CreditRecord.publication, CreditRecord.publication_basis, CreditRecord.rule_version, Department.short_name,
    )
    .join(Department, Department.id == CreditRecord.department_id)
    .where(CreditRecord.subject_id == bindparam("subject_id"), CreditRecord.is_current.is_(True))
    .order_by(CreditRecord.decision_date.desc(), CreditRecord.id.desc())
)
_COMMITMENTS = (
    select(Commitment.id, Commitment.type, Commitment.matter, Commitment.signed_on, Commitment.valid_until,
           Commitment.status, Commitment.closed_on, Department.short_name)
    .join(Department, Department.id == Commitment.department_id)
    .where(Commitment.subject_id == bindparam("subject_id"),
           # two comparisons rather than IN: an IN list is re-rendered on every execution
           or_(Commitment.status == CommitmentStatus.ACTIVE, Commitment.status == CommitmentStatus.KEPT))
    .order_by(Commitment.signed_on.desc(), Commitment.id.desc())
)
_LISTS = (
    select(ListEntry.id, ListEntry.list_type, ListEntry.status, ListEntry.listed_on, ListEntry.expires_on,
           ListEntry.reason, ListEntry.domain, Department.short_name)
    .join(Department, Department.id == ListEntry.department_id)
    .where(ListEntry.subject_id == bindparam("subject_id"))
    .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc())
)


def _identity(session: Session, subject_id: int) -> tuple[dict, dict, int | None]:
    """(masked identity, unmasked identity, legal representative's person id) of a subject."""
    person = session.connection().execute(_PERSON, {"subject_id": subject_id}).first()
    if person is not None:
        unmasked = {"kind": "person", "name": person.name, "id_number": person.id_number,
                    "region_code": person.region_code}
        masked = {"kind": "person", "name": mask_name(person.name), "id_number": mask_id_number(person.id_number),
                  "region_code": person.region_code}
        return masked, unmasked, None
    firm = session.get(Firm, subject_id)
    if firm is None:
        raise NotFound("subject_not_found", "没有找到该信用主体。")
    base = {
        "kind": "firm", "name": firm.name, "uscc": firm.uscc, "entity_type": firm.entity_type,
        "region_code": firm.region_code, "reg_status": firm.reg_status, "industry": firm.industry,
        "established_on": firm.established_on.isoformat() if firm.established_on else None,
    }
    rep_name = firm.legal_rep.name if firm.legal_rep is not None else None
    unmasked = dict(base, legal_rep={"title": firm.legal_rep_title, "name": rep_name})
    masked = dict(base, legal_rep={"title": firm.legal_rep_title, "name": mask_name(rep_name)})
    return masked, unmasked, firm.legal_rep_id


def _records(session: Session, subject_id: int, today: date) -> tuple[Sequence[Any], list[dict], dict[str, dict]]:
    rows = session.connection().execute(_RECORDS, {"subject_id": subject_id}).all()
    items: list[dict] = []
    counts: dict[str, dict] = {}
    for r in rows:
        in_effect = r.status in IN_EFFECT
        public = is_public_on(r, today)  # the records context decides (轻微 不予公示, 警告, exceptions)
        hidden = withheld(r)
        kind = str(r.kind)
        c = counts.setdefault(kind, {"kind": kind, "label": RECORD_KIND_LABELS[r.kind], "count": 0, "public_count": 0})
        c["count"] += in_effect
        c["public_count"] += public
        # 异议中 on the public card: a record that would be publicized, under objection, is counted
        # with that marker (not as 公示中) until the objection is decided.
        c["objected_count"] = c.get("objected_count", 0) + (
            r.status == RecordStatus.OBJECTED and is_public_on(r, today, while_objected=True))
        if len(items) < MAX_RECORDS:
            items.append({
                "id": r.id, "kind": kind, "kind_label": RECORD_KIND_LABELS[r.kind], "polarity": str(r.polarity),
                "title": r.title, "summary": r.summary, "decision_no": r.decision_no,
                "decision_date": r.decision_date.isoformat(), "department": r.short_name,
                "severity": str(r.severity) if r.severity else None,
                "severity_label": SEVERITY_LABELS.get(r.severity) if r.severity else None,
                "status": str(r.status), "status_label": RECORD_STATUS_LABELS[r.status],
                "publicity_max_end": r.publicity_max_end.isoformat() if r.publicity_max_end else None,
                "publication_label": NOT_PUBLISHED_LABEL if hidden else None,
                "in_effect": in_effect, "public": public, "withheld": hidden,
            })
    return rows, items, counts


def _lists(session: Session, subject_id: int, today: date) -> tuple[Sequence[Any], list[dict]]:
    """(all list-entry rows — the evaluation needs them —, the active entries shown on the card)."""
    rows = session.connection().execute(_LISTS, {"subject_id": subject_id}).all()
    shown = [
        {"id": r.id, "list_type": str(r.list_type), "label": LIST_TYPE_LABELS[r.list_type],
         "listed_on": r.listed_on.isoformat(), "expires_on": r.expires_on.isoformat() if r.expires_on else None,
         "reason": r.reason, "domain": r.domain, "department": r.short_name}
        for r in rows
        # an unswept expiry is not shown as listed
        if r.status == ListEntryStatus.ACTIVE and (r.expires_on is None or r.expires_on >= today)
    ]
    return rows, shown


def _commitments(session: Session, subject_id: int, today: date) -> tuple[list, list[dict]]:
    """(kept commitment rows — the evaluation counts them —, active and kept commitments for the card)."""
    rows = session.connection().execute(_COMMITMENTS, {"subject_id": subject_id}).all()
    kept = [r for r in rows if r.status == CommitmentStatus.KEPT]
    return kept, [commitment_view(r, r.short_name, today) for r in rows]


def assemble_card(session: Session, subject_id: int) -> dict:
    """The cached form of a subject's card, straight from the database (no cache involved)."""
    session.flush()  # the Core reads below do not autoflush: pending changes of this transaction first
    today = today_cn()
    masked, unmasked, legal_rep_id = _identity(session, subject_id)
    record_rows, records, counts = _records(session, subject_id, today)
    list_rows, lists = _lists(session, subject_id, today)
    kept_rows, commitments = _commitments(session, subject_id, today)
    return {
        "format": CARD_FORMAT,
        "subject_id": subject_id,
        "kind": masked["kind"],
        "legal_rep_id": legal_rep_id,
        "identity_masked": masked,
        "identity_enc": keyring().encrypt(IDENTITY_PURPOSE, json.dumps(unmasked, ensure_ascii=False)),
        "evaluation": evaluation_from_rows(masked["kind"], record_rows, list_rows, kept_rows),
        "lists": lists,
        "record_counts": sorted(counts.values(), key=lambda c: c["kind"]),
        "records": records,
        "commitments": commitments,  # active and kept; the views show the active ones
        "generated_at": utcnow().isoformat(timespec="seconds"),
    }


def _today() -> str:
    return today_cn().isoformat()


def _dumps(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _fresh(card: dict) -> bool:
    # A card of another day is stale: the evaluation decays and "可申请修复" dates move daily.
    return card.get("format") == CARD_FORMAT and card.get("day") == _today()


def load_card(session: Session, subject_id: int, cards: CardCache | None = None, *, version: int | None = None) -> dict:
    """The cached form of the card: from ``cards`` under the subject's current card version, or
    assembled (and stored there). Without ``cards``, always assembled. ``version``: the subject's
    card version when the caller has just read it from the database in this transaction (``me/card``
    reads it with the login session); otherwise it is read here.

    A subject changed in this very transaction bypasses the cache both ways: its new version is
    not committed yet (a rollback would leave an entry under a version another change reuses).
    """
    if cards is None or subject_id in pending_changes(session):
        return dict(assemble_card(session, subject_id), day=_today())
    if version is None:
        version = card_version(session, subject_id)  # before assembling: see backend/cards/cache.py
    if version is None:
        raise NotFound("subject_not_found", "没有找到该信用主体。")
    body = cards.read(subject_id, version)
    if body is not None and _fresh(card := json.loads(body)):
        return card
    card = dict(assemble_card(session, subject_id), day=_today())
    cards.write(subject_id, version, _dumps(card))
    return card


# The views whose response bytes the cache keeps (masked ones only, see backend/cards/cache.py).
_CACHED_VIEWS = {Audience.OWNER: "owner", Audience.PUBLIC: "public"}


def card_json(session: Session, subject_id: int, audience: Audience, cards: CardCache | None = None, *,
              unmasked: bool = False, version: int | None = None) -> bytes:
    """The card rendered for ``audience``, as response bytes (``version``: see :func:`load_card`).

    A masked owner or public view comes from the cache as bytes when it was rendered under the
    subject's current version, today, in this card format; otherwise it is rendered from the form
    (:func:`load_card`) and kept."""
    view = _CACHED_VIEWS.get(audience) if not unmasked else None
    if cards is None or view is None or subject_id in pending_changes(session):
        return _dumps(render_card(load_card(session, subject_id, cards, version=version), audience, unmasked=unmasked))
    if version is None:
        version = card_version(session, subject_id)  # before reading or rendering: see backend/cards/cache.py
        if version is None:
            raise NotFound("subject_not_found", "没有找到该信用主体。")
    tag = f"{version}:{_today()}:{CARD_FORMAT}"
    body = cards.read(subject_id, tag, view)
    if body is None:
        body = _dumps(render_card(load_card(session, subject_id, cards, version=version), audience))
        cards.write(subject_id, tag, body, view)
    return body


# --- rendering ----------------------------------------------------------------------------


def _list_status(entries: list[dict], types=tuple(ListType)) -> list[dict]:
    listed = {e["list_type"] for e in entries}
    return [{"list_type": str(t), "label": LIST_TYPE_LABELS[t], "listed": str(t) in listed} for t in types]


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("in_effect", "public", "withheld")}


def _identity_of(card: dict, unmasked: bool) -> dict:
    if unmasked:
        try:
            ident = json.loads(keyring().decrypt(IDENTITY_PURPOSE, card["identity_enc"]))
            return dict(ident, masked=False)
        except (PIIError, KeyError, ValueError):
            pass  # a rotated-out key: fall back to the masked view rather than fail
    return dict(card["identity_masked"], masked=True)


def render_card(card: dict, audience: Audience, *, unmasked: bool = False) -> dict:
    """The response body for ``audience`` from the cached form."""
    ev = card.get("evaluation")
    if audience is Audience.PUBLIC:
        return _render_public(card)
    if audience is Audience.SHARED:
        records = [_strip(r) for r in card["records"] if r["in_effect"] and not r["withheld"]]
        hidden = {r["id"] for r in card["records"] if r["withheld"]}
        ev = {k: v for k, v in ev.items() if k != "hints"} if ev else None
        if ev and hidden:  # a reason names its record: a withheld one stays with the owner
            ev["explanation"] = [i for i in ev["explanation"] if i.get("record_id") not in hidden]
        unmasked = False
    else:
        records = [_strip(r) for r in card["records"]]
    return {
        "subject": _identity_of(card, unmasked),
        "evaluation": ev,
        "list_status": _list_status(card["lists"]),
        "lists": card["lists"],
        "record_counts": [{"kind": c["kind"], "label": c["label"], "count": c["count"]}
                          for c in card["record_counts"] if c["count"]],
        "records": records,
        "commitments": _active_commitments(card),
        "as_of": card["generated_at"],
    }


def _active_commitments(card: dict, public_only: bool = False) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "public"} for c in card["commitments"]
            if c["status"] == "active" and (c["public"] or not public_only)]


def _render_public(card: dict) -> dict:
    public_records = {r["id"] for r in card["records"] if r["public"]}
    lists = [e for e in card["lists"] if e["list_type"] in {str(t) for t in PUBLIC_LIST_TYPES}]
    public_entries = {e["id"] for e in lists}
    public_commitments = {c["id"] for c in card["commitments"] if c["public"]}
    ident = card["identity_masked"]
    ev = card.get("evaluation")
    if ev:
        ev = {k: ev.get(k) for k in ("kind", "grade", "grade_label", "rules_version", "as_of")}
        ev["reasons"] = [
            {k: item.get(k) for k in ("kind", "label", "title", "points", "dimension_label", "note")}
            for item in card["evaluation"].get("explanation", [])
            if _public_reason(item, public_records, public_entries, public_commitments)
        ]
    return {
        "subject": {k: ident.get(k) for k in ("kind", "name", "uscc", "entity_type", "reg_status", "industry",
                                               "established_on")},
        "evaluation": ev,
        "list_status": _list_status(lists, PUBLIC_LIST_TYPES),
        "lists": [{k: e[k] for k in ("list_type", "label", "listed_on", "expires_on", "department")} for e in lists],
        "record_counts": [{"kind": c["kind"], "label": c["label"], "count": c["public_count"]}
                          for c in card["record_counts"] if c["public_count"]],
        "records_under_objection": [
            {"kind": c["kind"], "label": c["label"], "count": c["objected_count"], "status_label": "异议中"}
            for c in card["record_counts"] if c.get("objected_count")],
        "commitments": [{k: c[k] for k in PUBLIC_COMMITMENT_FIELDS} for c in _active_commitments(card, public_only=True)],
        "as_of": card["generated_at"],
        "policy": PUBLIC_POLICY,
    }


def _public_reason(item: dict, public_records: set, public_entries: set, public_commitments: set) -> bool:
    """A reason is public when what it rests on is: a publicized record, a public list entry, a
    commitment of a published type, or an adjustment (cap / clamp / force) that names nothing."""
    if item.get("record_id") is not None:
        return item["record_id"] in public_records
    if item.get("list_entry_id") is not None:
        return item["list_entry_id"] in public_entries
    if item.get("commitment_id") is not None:
        return item["commitment_id"] in public_commitments
    return item.get("kind") in ("cap", "clamp", "force")


# --- entry points for the views -----------------------------------------------------------


def _require_identity(actor) -> int:
    return require_identity(actor, "请先完成实名认证，再查看本人的信用名片。")


def my_card(session: Session, actor, cards: CardCache | None = None) -> dict:
    """The logged-in person's own card (``me/card``), as a dict (bot, other callers).

    Everything about the person, with the identity masked as on every card (a card is shown on a
    screen and screenshotted into chats); the owner's full identity is ``GET /miniapp/v1/me?reveal=true``.
    """
    return render_card(load_card(session, _require_identity(actor), cards), Audience.OWNER)


def my_card_json(session: Session, actor, cards: CardCache | None = None, *, version: int | None = None) -> bytes:
    """:func:`my_card` as response bytes (the mini-program view); ``version``: the person's card
    version if the caller read it (see :func:`load_card`)."""
    return card_json(session, _require_identity(actor), Audience.OWNER, cards, version=version)


def firm_card_json(session: Session, actor, uscc: str, cards: CardCache | None = None) -> bytes:
    """A firm's card for its legal representative (unmasked) or an approved agent (masked)."""
    from backend.cards.access import require_firm_agent
    from backend.subjects.services import get_firm

    firm = get_firm(session, uscc)  # 422 with the validator's reason, 404 if unknown
    require_firm_agent(session, actor, firm)
    is_rep = actor.person_id is not None and actor.person_id == firm.legal_rep_id
    return card_json(session, firm.id, Audience.OWNER, cards, unmasked=is_rep)


def public_firm_card_json(session: Session, uscc: str, cards: CardCache | None = None) -> bytes:
    """Public information only (see :data:`PUBLIC_POLICY`)."""
    from backend.subjects.services import get_firm

    return card_json(session, get_firm(session, uscc).id, Audience.PUBLIC, cards)


def shared_card(session: Session, viewer, secret: str, token: str, cards: CardCache | None = None) -> dict:
    """The card behind a share link (信用名片分享), masked, with the share's expiry: 404 / 410 from
    :func:`backend.cards.sharing.open_share` when the link is invalid, expired or revoked."""
    from backend.cards.sharing import open_share

    share = open_share(session, viewer, secret, token)
    card = render_card(load_card(session, share.subject_id, cards), Audience.SHARED)
    card["share"] = {"expires_at": share.expires_at.isoformat()}
    return card
