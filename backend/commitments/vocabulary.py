"""信用承诺 vocabulary: commitment types, statuses and subject kinds with their Chinese labels.

Shared by the models, the services and the HTTP layers (which may not import models).
"""

from __future__ import annotations

from enum import StrEnum


class CommitmentType(StrEnum):
    APPROVAL = "approval"  # 审批替代型
    DISCLOSURE = "disclosure"  # 主动公示型
    INDUSTRY = "industry"  # 行业自律型
    REPAIR = "repair"  # 信用修复型
    CERTIFICATION = "certification"  # 证明事项告知承诺


COMMITMENT_TYPE_LABELS = {
    CommitmentType.APPROVAL: "审批替代型承诺",
    CommitmentType.DISCLOSURE: "主动公示型承诺",
    CommitmentType.INDUSTRY: "行业自律型承诺",
    CommitmentType.REPAIR: "信用修复型承诺",
    CommitmentType.CERTIFICATION: "证明事项告知承诺",
}

# Published on 信用淮安区 (seed 二(一): "将承诺书向'信用淮安区'网站予以公示").
PUBLIC_TYPES = frozenset({CommitmentType.DISCLOSURE, CommitmentType.INDUSTRY, CommitmentType.REPAIR})


class CommitmentStatus(StrEnum):
    ACTIVE = "active"  # 履约中
    KEPT = "kept"  # 已履约
    BREACHED = "breached"  # 已违诺
    WITHDRAWN = "withdrawn"  # 已撤销 (registered in error)


COMMITMENT_STATUS_LABELS = {
    CommitmentStatus.ACTIVE: "履约中",
    CommitmentStatus.KEPT: "已履约",
    CommitmentStatus.BREACHED: "已违诺",
    CommitmentStatus.WITHDRAWN: "已撤销",
}


class SubjectKindCode(StrEnum):
    """Who a catalogue item applies to (适用主体)."""

    PERSON = "person"  # 自然人
    FIRM = "firm"  # 法人和其他组织 (USCC not 92)
    SOLE_TRADER = "sole_trader"  # 个体工商户 (USCC 92…)


SUBJECT_KIND_LABELS = {
    SubjectKindCode.PERSON: "自然人",
    SubjectKindCode.FIRM: "企业和其他组织",
    SubjectKindCode.SOLE_TRADER: "个体工商户",
}
