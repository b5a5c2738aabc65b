"""The organisations of 淮安区 that use the console, as reference data (部门目录).

``record_kinds`` is what each may publish (its 权责清单 scope, by RecordKind value). Migration 0003
inserts a frozen copy of this list; a later change here needs a new data migration, and
``tests/test_migrations_departments.py`` fails until the database matches this list again.

Sources: 淮政办发〔2020〕80号 names the credit office, the providing departments, the court and
人行淮安支行 (since the 2024 reform of the People's Bank: 中国人民银行淮安市分行).
"""

from __future__ import annotations

from backend.records.models import RecordKind

ALL_KINDS = [k.value for k in RecordKind]

# Common scopes of a law-enforcing bureau (行政执法部门).
_ENFORCEMENT = ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection"]

DEPARTMENTS: list[dict] = [
    # 区发展和改革委员会（信用办）: the credit office publishes everything, honours included.
    {"code": "FGW", "name": "区发展和改革委员会（信用办）", "short_name": "区发改委（信用办）",
     "org_type": "credit_office", "record_kinds": ALL_KINDS},
    {"code": "SCJG", "name": "区市场监督管理局", "short_name": "区市场监管局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_coercion", "admin_inspection", "admin_reward",
                      "admin_confirmation", "commitment_breach"]},
    {"code": "XZSP", "name": "区行政审批局", "short_name": "区行政审批局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_confirmation", "commitment_breach"]},
    {"code": "FY", "name": "淮安市淮安区人民法院", "short_name": "区人民法院", "org_type": "court",
     "record_kinds": ["judgment_defaulter", "false_litigant"]},
    {"code": "SW", "name": "国家税务总局淮安市淮安区税务局", "short_name": "区税务局", "org_type": "government",
     "record_kinds": ["admin_penalty", "admin_levy", "admin_coercion", "admin_inspection", "admin_reward"]},
    {"code": "RSJ", "name": "区人力资源和社会保障局", "short_name": "区人社局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_confirmation", "admin_payment", "admin_inspection",
                      "admin_reward", "commitment_breach"]},
    {"code": "ZJJ", "name": "区住房和城乡建设局", "short_name": "区住建局", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "admin_confirmation", "commitment_breach"]},
    {"code": "STHJ", "name": "淮安市淮安生态环境局", "short_name": "区生态环境局", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "commitment_breach"]},
    {"code": "JTYS", "name": "区交通运输局", "short_name": "区交通运输局", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "commitment_breach"]},
    {"code": "YJGL", "name": "区应急管理局", "short_name": "区应急管理局", "org_type": "government",
     "record_kinds": ["admin_penalty", "admin_coercion", "admin_inspection", "admin_reward", "commitment_breach"]},
    {"code": "WJW", "name": "区卫生健康委员会", "short_name": "区卫健委", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_inspection", "admin_confirmation", "admin_reward",
                      "commitment_breach"]},
    {"code": "WGLY", "name": "区文化广电和旅游局", "short_name": "区文广旅局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"]},
    {"code": "NYNC", "name": "区农业农村局", "short_name": "区农业农村局", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "admin_payment", "admin_compensation", "commitment_breach"]},
    {"code": "GA", "name": "淮安市公安局淮安分局", "short_name": "区公安分局", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "admin_confirmation", "admin_reward"]},
    {"code": "XF", "name": "淮安市淮安区消防救援大队", "short_name": "区消防救援大队", "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "commitment_breach"]},
    {"code": "JYTY", "name": "区教育体育局", "short_name": "区教体局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"]},
    {"code": "ZRZY", "name": "淮安市自然资源和规划局淮安分局", "short_name": "区自然资源和规划分局",
     "org_type": "government",
     "record_kinds": [*_ENFORCEMENT, "admin_confirmation", "admin_adjudication", "admin_compensation"]},
    {"code": "CGJ", "name": "区城市管理局", "short_name": "区城管局", "org_type": "government",
     "record_kinds": list(_ENFORCEMENT)},
    {"code": "SHW", "name": "区商务局", "short_name": "区商务局", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_inspection", "admin_reward", "commitment_breach"]},
    # The policy's 人行淮安支行: a regulator, so a government body here, not a partner bank.
    {"code": "RMYH", "name": "中国人民银行淮安市分行", "short_name": "人行淮安市分行", "org_type": "government",
     "record_kinds": ["admin_license", "admin_penalty", "admin_inspection"]},
    # 合作银行 (信易贷 partners): they publish nothing, they decide loan applications.
    {"code": "JSYH", "name": "江苏银行淮安分行", "short_name": "江苏银行", "org_type": "bank", "record_kinds": []},
    {"code": "HANSH", "name": "淮安农村商业银行", "short_name": "淮安农商行", "org_type": "bank", "record_kinds": []},
    # 镇、街道: 综合行政执法 powers delegated to towns.
    {"code": "HCJD", "name": "淮城街道办事处", "short_name": "淮城街道", "org_type": "town",
     "record_kinds": ["admin_penalty", "admin_inspection"]},
]

DEPARTMENTS_BY_CODE: dict[str, dict] = {d["code"]: d for d in DEPARTMENTS}
CREDIT_OFFICE_CODE = "FGW"
COURT_CODE = "FY"
