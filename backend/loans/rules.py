"""The bounds of a 信易贷 application and of the bank's authorisation, as dated data with their basis.

A change is a new row with a new ``valid_from`` (close the old row's ``valid_to``); an application
keeps the code of the row it was checked against (``loan_applications.rules_code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LoanRules:
    code: str
    valid_from: date
    valid_to: date | None
    authorisation_days: int  # how long the bank may read the firm's card (or until the decision)
    min_amount_yuan: int
    max_amount_yuan: int
    max_term_months: int
    min_rate_bp: int  # bounds of the annual rate a bank may enter (basis points)
    max_rate_bp: int
    purpose_max: int
    basis: str


LOAN_RULES: tuple[LoanRules, ...] = (
    LoanRules(
        "loan.2026", date(2026, 1, 1), None,
        authorisation_days=30, min_amount_yuan=10_000, max_amount_yuan=10_000_000, max_term_months=60,
        min_rate_bp=1, max_rate_bp=2400, purpose_max=500,
        basis="本区自定：企业授权合作银行查询本企业信用名片，仅限本次申请，自申请之日起30日内有效，银行作出审批决定"
              "或企业撤回申请即终止（以先到者为准），参照《征信业管理条例》“经信息主体同意、按约定用途使用”"
              "的原则；申请金额1万元至1000万元、期限1至60个月为小微企业信用贷款的录入范围，"
              "年利率0.01%至24%为录入校验范围，不构成利率政策。",
    ),
)


def rules_on(day: date) -> LoanRules:
    for row in LOAN_RULES:
        if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
            return row
    raise LookupError(f"no loan rules in force on {day}")


def rules_by_code(code: str) -> LoanRules:
    return next(r for r in LOAN_RULES if r.code == code)
