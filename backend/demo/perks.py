"""The demo 信易+ catalogue: 信易贷 of two partner banks, 信易批 容缺受理 at 区行政审批局, 信易游 at
周恩来故里景区, 信易行 bus fares, 信易租 deposit-free rentals. Merchants are invented demo partners."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.perks.models import Perk
from backend.perks.services import create_perk
from backend.staff.models import Department, OrgType

# Demo partner merchants (信易+ 合作商户), beside the seed's 惠民超市 (HMCS).
MERCHANTS = (
    ("ZELGL", "周恩来故里景区管理处", "周恩来故里景区"),
    ("HAGJ", "淮安市公共交通有限公司淮安区分公司", "淮安公交"),
)
START = date(2026, 1, 1)

# (code, name, category, provider, subject kinds, rule, domain, benefit, red bonus, quota, voucher hours)
PERKS = (
    ("XYD-JSYH-1", "苏信贷·信易贷（江苏银行）", "loan", "JSYH", ["firm"], {"min_grade": "B"}, "金融",
     "小微企业信用贷款，最高300万元，期限1年，免抵押，年利率不高于3.45%。", "红名单企业利率再优惠0.2个百分点。", None, 72),
    ("XYD-HANSH-1", "信用助企贷（淮安农商行）", "loan", "HANSH", ["firm"], {"min_grade": "C"}, "金融",
     "个体工商户和小微企业信用贷款，最高100万元，期限1年，随借随还。", "红名单主体额度上浮20%。", None, 72),
    ("XYP-XZSP-1", "信易批·容缺受理", "approval", "XZSP", ["firm"], {"min_grade": "B"}, None,
     "在区行政审批局办理许可时，非关键材料可容缺受理，承诺期限内补齐；开通绿色通道优先办理。", None, None, 72),
    ("XYY-ZELGL-1", "信易游·周恩来故里景区讲解免费", "travel", "ZELGL", ["person"], {"min_grade": "good"}, "文化旅游",
     "个人诚信分“良好”及以上的居民免费享受景区讲解服务一次，纪念馆停车费减免。", None, 5000, 72),
    ("XYX-HAGJ-1", "信易行·公交乘车优惠", "transit", "HAGJ", ["person"], {"min_grade": "excellent"}, None,
     "个人诚信分“优秀”及以上的居民乘坐区内公交线路享受五折优惠，券内含10次。", None, 2000, 24 * 30),
    ("XYZ-HMCS-1", "信易租·充电宝雨伞免押金", "rent", "HMCS", ["person"], {"min_grade": "good"}, None,
     "在惠民超市各门店免押金借用充电宝、雨伞，7日内归还。", None, 3000, 24 * 7),
)


def ensure_perks(session: Session, actor: Actor, count) -> None:
    """Create the demo merchants and perks that are missing; ``count(what, created)`` tallies them."""
    for code, name, short in MERCHANTS:
        exists = session.execute(select(Department.id).where(Department.code == code)).first()
        count("departments", exists is None)
        if exists is None:
            dept = Department(code=code, name=name, short_name=short, org_type=OrgType.MERCHANT, record_kinds=[])
            session.add(dept)
            session.flush()
            audit(session, actor, "department.create", "department", dept.id, code=code, source="demo")
    for code, name, cat, provider, kinds, rule, domain, benefit, bonus, quota, hours in PERKS:
        exists = session.execute(select(Perk.id).where(Perk.code == code)).first()
        count("perks", exists is None)
        if exists is None:
            create_perk(session, actor, code=code, name=name, category=cat, provider_code=provider,
                        subject_kinds=kinds, rule=rule, domain=domain, benefit=benefit, red_bonus=bonus,
                        valid_from=START, quota=quota, voucher_hours=hours)
