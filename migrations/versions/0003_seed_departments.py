"""reference data: the departments of 淮安区 (部门目录) and what each may publish

A frozen copy of ``backend/staff/departments.py`` as it was when this revision was written: a
migration must not import app code that can change. Upgrading inserts the departments missing by
code; downgrading removes those this revision added (when nothing refers to them).

Revision ID: 0003
Revises: 0002
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (code, name, short_name, org_type, record_kinds)
DEPARTMENTS = [
    (
        "FGW",
        "区发展和改革委员会（信用办）",
        "区发改委（信用办）",
        "credit_office",
        [
            "admin_license",
            "admin_penalty",
            "admin_coercion",
            "admin_confirmation",
            "admin_levy",
            "admin_payment",
            "admin_adjudication",
            "admin_compensation",
            "admin_reward",
            "admin_inspection",
            "judgment_defaulter",
            "false_litigant",
            "commitment_breach",
            "honour",
        ],
    ),
    (
        "SCJG",
        "区市场监督管理局",
        "区市场监管局",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_coercion",
            "admin_inspection",
            "admin_reward",
            "admin_confirmation",
            "commitment_breach",
        ],
    ),
    (
        "XZSP",
        "区行政审批局",
        "区行政审批局",
        "government",
        ["admin_license", "admin_confirmation", "commitment_breach"],
    ),
    ("FY", "淮安市淮安区人民法院", "区人民法院", "court", ["judgment_defaulter", "false_litigant"]),
    (
        "SW",
        "国家税务总局淮安市淮安区税务局",
        "区税务局",
        "government",
        ["admin_penalty", "admin_levy", "admin_coercion", "admin_inspection", "admin_reward"],
    ),
    (
        "RSJ",
        "区人力资源和社会保障局",
        "区人社局",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_confirmation",
            "admin_payment",
            "admin_inspection",
            "admin_reward",
            "commitment_breach",
        ],
    ),
    (
        "ZJJ",
        "区住房和城乡建设局",
        "区住建局",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_coercion",
            "admin_inspection",
            "admin_confirmation",
            "commitment_breach",
        ],
    ),
    (
        "STHJ",
        "淮安市淮安生态环境局",
        "区生态环境局",
        "government",
        ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection", "commitment_breach"],
    ),
    (
        "JTYS",
        "区交通运输局",
        "区交通运输局",
        "government",
        ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection", "commitment_breach"],
    ),
    (
        "YJGL",
        "区应急管理局",
        "区应急管理局",
        "government",
        ["admin_penalty", "admin_coercion", "admin_inspection", "admin_reward", "commitment_breach"],
    ),
    (
        "WJW",
        "区卫生健康委员会",
        "区卫健委",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_inspection",
            "admin_confirmation",
            "admin_reward",
            "commitment_breach",
        ],
    ),
    (
        "WGLY",
        "区文化广电和旅游局",
        "区文广旅局",
        "government",
        ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"],
    ),
    (
        "NYNC",
        "区农业农村局",
        "区农业农村局",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_coercion",
            "admin_inspection",
            "admin_payment",
            "admin_compensation",
            "commitment_breach",
        ],
    ),
    (
        "GA",
        "淮安市公安局淮安分局",
        "区公安分局",
        "government",
        ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection", "admin_confirmation", "admin_reward"],
    ),
    (
        "XF",
        "淮安市淮安区消防救援大队",
        "区消防救援大队",
        "government",
        ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection", "commitment_breach"],
    ),
    (
        "JYTY",
        "区教育体育局",
        "区教体局",
        "government",
        ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"],
    ),
    (
        "ZRZY",
        "淮安市自然资源和规划局淮安分局",
        "区自然资源和规划分局",
        "government",
        [
            "admin_license",
            "admin_penalty",
            "admin_coercion",
            "admin_inspection",
            "admin_confirmation",
            "admin_adjudication",
            "admin_compensation",
        ],
    ),
    (
        "CGJ",
        "区城市管理局",
        "区城管局",
        "government",
        ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection"],
    ),
    (
        "SHW",
        "区商务局",
        "区商务局",
        "government",
        ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"],
    ),
    (
        "RMYH",
        "中国人民银行淮安市分行",
        "人行淮安市分行",
        "government",
        ["admin_license", "admin_penalty", "admin_inspection"],
    ),
    ("JSYH", "江苏银行淮安分行", "江苏银行", "bank", []),
    ("HANSH", "淮安农村商业银行", "淮安农商行", "bank", []),
    ("HCJD", "淮城街道办事处", "淮城街道", "town", ["admin_penalty", "admin_inspection"]),
]

departments = sa.table(
    "departments",
    sa.column("code", sa.String(32)),
    sa.column("name", sa.String(100)),
    sa.column("short_name", sa.String(40)),
    sa.column("org_type", sa.String(20)),
    sa.column("record_kinds", sa.JSON()),
    sa.column("active", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the app stores UTC as naive values on SQLite
    existing = set(bind.execute(sa.select(departments.c.code)).scalars())
    rows = [
        {
            "code": code,
            "name": name,
            "short_name": short,
            "org_type": org_type,
            "record_kinds": list(kinds),
            "active": True,
            "created_at": now,
        }
        for code, name, short, org_type, kinds in DEPARTMENTS
        if code not in existing
    ]
    if rows:
        op.bulk_insert(departments, rows)


def downgrade() -> None:
    op.execute(departments.delete().where(departments.c.code.in_([d[0] for d in DEPARTMENTS])))
