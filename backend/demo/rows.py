"""Row generators of the scale loader: valid codes, encrypted persons, firms, records, list entries.

Deterministic for a given ``random.Random`` and subject-id block. Codes are bijections of the subject
id, so every load (and the demo seed, which uses other sequence/organisation ranges) gets distinct
resident IDs and USCCs. Records get their publicity window from
:func:`backend.records.rules.publicity_window` (cached per template, severity and day) and their
publication deadline from a :class:`~backend.calendar.workdays.WorkCalendar` loaded once.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.calendar.workdays import load_calendar
from backend.common.crypto import keyring
from backend.common.ids import ID_CHECK, ID_WEIGHTS, USCC_CHARSET, make_uscc
from backend.demo import data
from backend.records.models import RecordKind, Severity
from backend.records.rules import polarity_of, publicity_window
from backend.records.services import PUBLISH_WORKING_DAYS
from backend.staff.models import Department
from backend.subjects.services import ID_PURPOSE, PHONE_PURPOSE, id_number_index, phone_index

FIRST_DAY = date(2023, 1, 1)  # decisions spread over 2023 … today: both repair rule sets apply
BIRTH_FIRST = date(1950, 1, 1)
BIRTH_DAYS = (date(2006, 12, 31) - BIRTH_FIRST).days + 1
REGIONS = (data.HUAIAN_DISTRICT, *data.NEARBY_REGIONS)
SEQ_FIRST, SEQ_COUNT = 100, 900  # sequence numbers 100–999; the demo seed uses 001–099
ID_SPACE = len(REGIONS) * BIRTH_DAYS * SEQ_COUNT
ID_MULTIPLIER = 2_654_435_761  # odd prime, coprime with ID_SPACE: a bijection of subject ids onto codes
ORG_SPACE = 31**5
CHINA = timedelta(hours=8)
RECORDS_PER_SUBJECT = (0, 1, 2, 3, 4, 4, 5, 6, 7, 8)  # mean 4


# --- deterministic codes ---------------------------------------------------------------------


def _weighted(digits: str, weights: Sequence[int]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


# Partial weighted sums of GB 11643's check: region (6 digits) + birth date (8) + sequence (3).
_REGION_SUMS = [_weighted(r, ID_WEIGHTS[:6]) for r in REGIONS]
_SEQ_SUMS = [_weighted(f"{SEQ_FIRST + i:03d}", ID_WEIGHTS[14:]) for i in range(SEQ_COUNT)]
_BIRTHS: dict[int, tuple[str, int]] = {}


def resident_id_for(subject_id: int) -> str:
    """A valid resident ID, distinct for every subject id (a bijection onto region × birth × seq)."""
    k = (subject_id * ID_MULTIPLIER) % ID_SPACE
    k, seq = divmod(k, SEQ_COUNT)
    region, day = divmod(k, BIRTH_DAYS)
    birth = _BIRTHS.get(day)
    if birth is None:
        text = f"{BIRTH_FIRST + timedelta(days=day):%Y%m%d}"
        birth = _BIRTHS[day] = (text, _weighted(text, ID_WEIGHTS[6:14]))
    check = ID_CHECK[(_REGION_SUMS[region] + birth[1] + _SEQ_SUMS[seq]) % 11]
    return f"{REGIONS[region]}{birth[0]}{SEQ_FIRST + seq:03d}{check}"


def org8_for(subject_id: int) -> str:
    """``MA0`` + five characters: distinct per subject id below 31^5 · 31; the demo seed uses ``MA1``."""
    k = (subject_id * 48_271) % ORG_SPACE  # 48271 is prime, coprime with 31^5
    chars = []
    for _ in range(5):
        k, r = divmod(k, 31)
        chars.append(USCC_CHARSET[r])
    return "MA0" + "".join(reversed(chars))


# --- row generators --------------------------------------------------------------------------


def person_name(rng: random.Random) -> str:
    given = rng.choice(data.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(data.GIVEN_CHARS)
    return rng.choice(data.SURNAMES) + given


def phone_number(rng: random.Random) -> str:
    return rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def person_rows(first_id: int, count: int, rng: random.Random, now: datetime) -> Iterator[tuple]:
    kr = keyring()
    enc = kr.encrypt
    for sid in range(first_id, first_id + count):
        number = resident_id_for(sid)
        phone = phone_number(rng) if rng.random() < 0.8 else None
        yield (
            sid,
            enc(ID_PURPOSE, number),
            id_number_index(number),
            enc("person.name", person_name(rng)),
            enc(PHONE_PURPOSE, phone) if phone else None,
            phone_index(phone) if phone else None,
            "M" if int(number[16]) % 2 else "F",
            int(number[6:10]),
            number[:6],
            now,
        )


def firm_name(rng: random.Random, entity_type: str) -> tuple[str, str, str | None]:
    """(name, industry, domain) of a firm of the given type (91 企业, 92 个体工商户, 93 合作社)."""
    trade = rng.choice(data.TRADE_NAMES)
    if entity_type == "92":
        shop, industry, domain = rng.choice(data.SHOP_KINDS)
        return f"淮安区{rng.choice(data.TOWNS)}{trade}{shop}", industry, domain
    if entity_type == "93":
        what, industry = rng.choice(data.COOP_KINDS)
        return f"淮安区{rng.choice(data.TOWNS)}{trade}{what}专业合作社", industry, None
    word, industry, domain, _cap = rng.choice(data.FIRM_INDUSTRIES)
    return f"淮安区{trade}{word}有限公司", industry, domain


def firm_rows(first_id: int, count: int, person_ids: range, rng: random.Random, now: datetime) -> Iterator[tuple]:
    for sid in range(first_id, first_id + count):
        r = rng.random()
        etype = "91" if r < 0.7 else "92" if r < 0.95 else "93"
        name, industry, _domain = firm_name(rng, etype)
        established = FIRST_DAY - timedelta(days=rng.randrange(20 * 365))
        capital = f"{rng.randrange(10, 5000)}万元人民币" if etype != "92" else None
        yield (
            sid,
            make_uscc(etype, data.HUAIAN_DISTRICT, org8_for(sid)),
            name,
            etype,
            data.HUAIAN_DISTRICT,
            person_ids[rng.randrange(len(person_ids))] if person_ids else None,
            "经营者" if etype == "92" else "法定代表人",
            established,
            capital,
            f"江苏省淮安市淮安区{rng.choice(data.TOWNS)}{rng.choice(data.ROADS)}{rng.randrange(1, 300)}号",
            industry,
            "存续",
            now,
        )


# Kinds a subject of each type gets, weighted like a district's records: licences and inspections
# are common, court listings rare.
_KIND_WEIGHTS = {
    "admin_license": 18, "admin_penalty": 20, "admin_coercion": 3, "admin_confirmation": 6, "admin_levy": 4,
    "admin_payment": 8, "admin_adjudication": 1, "admin_compensation": 2, "admin_reward": 6,
    "admin_inspection": 16, "judgment_defaulter": 3, "false_litigant": 1, "commitment_breach": 3, "honour": 3,
}


def _weighted_templates(subject: str) -> list[data.RecordTemplate]:
    out: list[data.RecordTemplate] = []
    for kind, weight in _KIND_WEIGHTS.items():
        choices = data.templates_for(kind, subject)
        for t in choices:
            out.extend([t] * max(1, round(weight * 2 / len(choices))))
    return out


@dataclass(frozen=True)
class _Prepared:
    """A template with its constant columns resolved once (kind, polarity, department id …)."""

    template: data.RecordTemplate
    kind: RecordKind
    dept_id: int
    # per severity choice: (severity value or None, polarity, head columns after subject_id)
    variants: tuple[tuple[Severity | None, Any, tuple], ...]
    amount: tuple[int, int] | None


class RecordFactory:
    """Builds credit-record rows with windows and deadlines computed in memory (no query per row).

    Hot path: a row costs a few random draws and dictionary look-ups; windows (pure
    :func:`publicity_window`) are cached per (template, severity, day), deadlines per day.
    """

    def __init__(self, session: Session, rng: random.Random, today: date, batch_id: int | None,
                 now: datetime) -> None:
        self.rng = rng
        self.today = today
        self.batch_id = batch_id
        self.now = now
        self.days = [FIRST_DAY + timedelta(days=i) for i in range((today - FIRST_DAY).days)]
        self.calendar = load_calendar(session, FIRST_DAY.year, today.year + 1)
        self.deadlines = [self.calendar.add_working_days(d, PUBLISH_WORKING_DAYS) for d in self.days]
        depts = session.execute(sa.select(Department.code, Department.id)).all()
        self.dept_ids = {code: did for code, did in depts}
        prepared = {t: self._prepare(t) for t in data.RECORD_TEMPLATES if t.dept in self.dept_ids}
        self.templates = {s: [prepared[t] for t in _weighted_templates(s) if t in prepared] for s in ("person", "firm")}
        self.serials: dict[tuple[str, int], int] = {}
        self._windows: dict[tuple[int, int, int], tuple] = {}
        self._moments: dict[date, datetime] = {}

    def _prepare(self, t: data.RecordTemplate) -> _Prepared:
        kind = RecordKind(t.kind)
        variants = []
        for sev in t.severities or (None,):
            severity = Severity(sev) if sev else None
            polarity = polarity_of(kind, severity, t.result)
            if polarity.value != "negative":
                severity = None
            head = (kind.value, polarity.value, self.dept_ids[t.dept])
            tail = (t.title, t.summary, t.legal_basis, severity.value if severity else None, t.domain)
            variants.append((severity, polarity, (head, tail)))
        return _Prepared(t, kind, self.dept_ids[t.dept], tuple(variants), t.amount)

    def _moment(self, day: date) -> datetime:
        """08:30 Beijing time of ``day`` in UTC (cached); callers add minutes."""
        m = self._moments.get(day)
        if m is None:
            m = self._moments[day] = datetime.combine(day, dtime(8, 30), tzinfo=UTC) - CHINA
        return m

    def serial(self, doc: str, year: int) -> int:
        n = self.serials.get((doc, year), 0) + 1
        self.serials[(doc, year)] = n
        return n

    def rows(self, subject_id: int, subject: str) -> Iterator[tuple]:
        rand = self.rng.random
        templates = self.templates[subject]
        nt, nd = len(templates), len(self.days)
        today, batch_id = self.today, self.batch_id
        for _ in range(RECORDS_PER_SUBJECT[int(rand() * len(RECORDS_PER_SUBJECT))]):
            p = templates[int(rand() * nt)]
            vi = int(rand() * len(p.variants))
            severity, polarity, (head, tail) = p.variants[vi]
            di = int(rand() * nd)
            day, deadline = self.days[di], self.deadlines[di]
            key = (id(p), vi, di)
            window = self._windows.get(key)
            if window is None:
                w = publicity_window(p.kind, severity, day, p.template.domain, polarity)
                window = self._windows[key] = (w.start, w.min_end, w.max_end, w.rule_version, w.publication)
            if rand() < 0.03:  # published late (逾期公示)
                published = min(deadline + timedelta(days=1 + int(rand() * 19)), today)
            else:
                published = max(day, deadline - timedelta(days=int(rand() * 7)))
            created = self._moment(published) + timedelta(minutes=int(rand() * 540))
            max_end = window[2]
            expired = max_end is not None and max_end < today
            changed = self._moment(max_end) + timedelta(hours=16) if expired and max_end > published else created
            amount = None
            if p.amount:
                lo, hi = p.amount
                amount = int(lo + rand() * (hi - lo)) // 100 * 100
            yield (
                subject_id, *head, data.decision_number(p.template, day.year, self.serial(p.template.doc, day.year)),
                day, *tail, amount, window[0], window[1], max_end, deadline, published > deadline, window[3], window[4],
                "expired" if expired else "publicizing", changed, 1, True, batch_id, created,
            )


def list_rows(subjects: Iterable[tuple[int, str]], rng: random.Random, dept_ids: dict[str, int], today: date,
              now: datetime) -> Iterator[tuple]:
    """About 1.5 % of subjects are on a list: 红名单, 重点关注, 严重失信 or 禁入 (firms only)."""
    types = ("red", "red", "watch", "watch", "serious", "ban")
    serial = 0
    for sid, kind in subjects:
        if rng.random() >= 0.015:
            continue
        list_type = rng.choice(types if kind == "firm" else types[:5])
        dept, doc, reason, basis, domain, years = data.LIST_TEMPLATES[list_type]
        if dept not in dept_ids:
            continue
        listed = FIRST_DAY + timedelta(days=rng.randrange((today - FIRST_DAY).days))
        expires = date(listed.year + years, listed.month, min(listed.day, 28)) if years else None
        serial += 1
        yield (
            sid, list_type, dept_ids[dept], doc.format(y=listed.year, n=serial), reason, basis, domain, listed,
            expires, "expired" if expires and expires < today else "active", now,
        )
