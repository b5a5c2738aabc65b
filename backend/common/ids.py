"""Identifiers of credit subjects: 统一社会信用代码 (USCC) and the resident ID number.

Users type lower case, spaces, dashes and full-width characters; spreadsheets drop leading zeros
and turn an ``X`` into something else. :func:`normalize_code` cleans what can be cleaned; the
validators then say exactly what is wrong, with a stable ``reason`` and a plain Chinese message.

Sources: GB 32100-2015 (USCC), GB 11714-1997 (organisation code), GB 11643-1999 (resident ID).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from backend.common.clock import china_today
from backend.platform.errors import ValidationFailed

# GB 32100-2015 code set: digits and upper-case letters without I, O, S, V, Z.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registering authority (pos 1) and the organisation types (pos 2) each authority may use.
USCC_AUTHORITIES: dict[str, set[str]] = {
    "1": {"1", "2", "3", "9"},  # 机构编制
    "2": {"1", "9"},  # 外交
    "3": {"1", "2", "3", "4", "5", "9"},  # 司法行政
    "4": {"1", "9"},  # 文化
    "5": {"1", "2", "3", "9"},  # 民政
    "6": {"1", "2", "9"},  # 旅游
    "7": {"1", "2", "9"},  # 宗教
    "8": {"1", "9"},  # 工会
    "9": {"1", "2", "3"},  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": {"1", "9"},  # 中央军委改革和编制办公室
    "N": {"1", "2", "3", "9"},  # 农业
    "Y": {"1"},  # 其他
}
# GB 11714-1997 organisation code: values 0-9, A=10 … Z=35.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Province-level prefixes of GB/T 2260 (the first two digits of every region code).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}
# 港澳台居民居住证 numbers (《港澳台居民居住证申领发放办法》, 国办发〔2018〕81号) follow GB 11643-1999 with
# these region codes and the same check digit; they identify a person for binding and records.
RESIDENCE_PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
HUAIAN_DISTRICT = "320803"  # 江苏省淮安市淮安区
# Central-level bodies (国家机关, 中央事业单位) carry the national code 100000 in their USCC.
NATIONAL_REGION = "100000"
_DIGITS = frozenset("0123456789")
# Dash look-alikes users paste from documents (NFKC leaves most of them alone).
_DROP = frozenset("-_\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d")


def _ascii_digits(text: str) -> bool:
    """``str.isdigit`` alone also accepts ``٣`` or ``²``; codes use ASCII digits only (on ASCII text
    ``isdigit`` is exactly 0-9: one C call per code where a loop over characters cost ~2 µs)."""
    return bool(text) and text.isascii() and text.isdigit()


def normalize_code(raw: object) -> str:
    """Full-width to half-width (NFKC), drop spaces and dashes, upper-case."""
    if raw is None:
        return ""
    if isinstance(raw, str) and raw.isascii() and raw.isalnum():
        return raw.upper()  # already clean (NFKC and the filters change nothing): 10,000 codes a call
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(ch for ch in text if not ch.isspace() and ch not in _DROP).upper()


# What a spreadsheet shows for a long number it has turned into a float: ``9.14403E+17``.
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_SPREADSHEET_HINT = "表格软件把代码当成了数字，请把这一列设为文本格式后重新导入。"


def _fail(reason: str, message: str, field: str = "code") -> ValidationFailed:
    return ValidationFailed(reason, message, errors={field: [message]})


# --- USCC ----------------------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check_char(first8: str) -> str:
    total = sum(_org_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


@dataclass(frozen=True)
class USCC:
    code: str

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def entity_type(self) -> str:
        return self.code[:2]

    @property
    def region(self) -> str:
        return self.code[2:8]

    @property
    def org_code(self) -> str:
        return self.code[8:17]

    def __str__(self) -> str:
        return self.code


def parse_uscc(raw: object, field: str = "uscc") -> USCC:
    """Normalise and validate a 统一社会信用代码; raise :class:`ValidationFailed` with the reason."""
    code = normalize_code(raw)
    if not code:
        raise _fail("uscc_empty", "请填写统一社会信用代码。", field)
    if len(code) != 18:
        if _SCIENTIFIC.match(code):
            raise _fail("uscc_length", f"统一社会信用代码应为18位。{_SPREADSHEET_HINT}", field)
        if _ascii_digits(code) and len(code) < 18:
            raise _fail(
                "uscc_length",
                f"统一社会信用代码应为18位，您输入的是{len(code)}位（表格软件可能删掉了开头的0，请以文本格式导入）。",
                field,
            )
        raise _fail("uscc_length", f"统一社会信用代码应为18位，您输入的是{len(code)}位。", field)
    bad = sorted({c for c in code if c not in _USCC_VALUE})
    if bad:
        raise _fail(
            "uscc_charset",
            f"统一社会信用代码中不能出现字符：{'、'.join(bad)}（代码不使用字母 I、O、S、V、Z）。",
            field,
        )
    types = USCC_AUTHORITIES.get(code[0])
    if types is None or code[1] not in types:
        raise _fail("uscc_type", "统一社会信用代码的前两位（登记管理部门和机构类别）不正确。", field)
    if code[2:8] != NATIONAL_REGION and code[2:4] not in PROVINCES:
        raise _fail("uscc_region", "统一社会信用代码的第3至8位（行政区划码）不正确。", field)
    if code[8:16] != "00000000" or code[16] != "0":
        # Codes whose organisation part is all zeros do not exist; otherwise check GB 11714.
        org = code[8:17]
        if any(c not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in org[:8]) or org_code_check_char(org[:8]) != org[8]:
            raise _fail("uscc_org_code", "统一社会信用代码中嵌入的组织机构代码（第9至17位）校验不通过。", field)
    else:
        raise _fail("uscc_org_code", "统一社会信用代码中嵌入的组织机构代码（第9至17位）校验不通过。", field)
    if uscc_check_char(code[:17]) != code[17]:
        raise _fail("uscc_check_digit", "统一社会信用代码最后一位校验码不正确，请核对后重新输入。", field)
    return USCC(code)


def is_valid_uscc(raw: object) -> bool:
    try:
        parse_uscc(raw)
    except ValidationFailed:
        return False
    return True


def make_uscc(authority_type: str, region: str, org8: str) -> str:
    """Build a valid code from its parts (demo data, tests): ``make_uscc('91', '320803', 'MA1XXXXX')``."""
    if len(authority_type) != 2 or len(region) != 6 or len(org8) != 8:
        raise ValueError("make_uscc takes 2 + 6 + 8 characters")
    first16 = authority_type + region + org8
    if any(c not in _USCC_VALUE for c in first16):
        raise ValueError("USCC parts use 0-9 and A-Z without I, O, S, V, Z")
    org = org8 + org_code_check_char(org8)
    first17 = authority_type + region + org
    return first17 + uscc_check_char(first17)


# --- resident ID ---------------------------------------------------------------------------


def id_check_char(first17: str) -> str:
    if len(first17) != len(ID_WEIGHTS):
        raise ValueError("the check character is computed over 17 digits")
    return ID_CHECK[sum(map(operator.mul, map(int, first17), ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class ResidentID:
    number: str

    @property
    def region(self) -> str:
        return self.number[:6]

    @property
    def birth_date(self) -> date:
        n = self.number
        return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))

    @property
    def gender(self) -> str:
        """``M`` for an odd sequence number, ``F`` for an even one."""
        return "M" if int(self.number[16]) % 2 else "F"

    @property
    def is_residence_permit(self) -> bool:
        """A 港澳台居民居住证 number (region 810000 / 820000 / 830000) rather than a 居民身份证."""
        return self.region in RESIDENCE_PERMIT_REGIONS

    def __str__(self) -> str:
        return self.number


def parse_resident_id(raw: object, field: str = "id_number", today: date | None = None) -> ResidentID:
    """Normalise and validate a 居民身份证号码 (GB 11643-1999) or a 港澳台居民居住证 number (same
    layout and check digit, region 810000 / 820000 / 830000)."""
    number = normalize_code(raw)
    if not number:
        raise _fail("id_empty", "请填写身份证号码。", field)
    if len(number) != 18:
        if _SCIENTIFIC.match(number):
            raise _fail("id_length", f"身份证号码应为18位。{_SPREADSHEET_HINT}", field)
        raise _fail("id_length", f"身份证号码应为18位，您输入的是{len(number)}位。", field)
    if not _ascii_digits(number[:17]) or not (number[17] in _DIGITS or number[17] == "X"):
        raise _fail("id_charset", "身份证号码前17位应为数字，最后一位为数字或 X。", field)
    permit = number[:6] in RESIDENCE_PERMIT_REGIONS
    if not permit and (number[:2] not in PROVINCES or number[2:6] == "0000"):
        raise _fail("id_region", "身份证号码前6位（地区码）不正确。", field)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _fail("id_birth_date", "身份证号码中的出生日期（第7至14位）不是有效日期。", field) from None
    today = today or china_today()
    if born > today or born.year < 1850:
        raise _fail("id_birth_date", "身份证号码中的出生日期（第7至14位）不在合理范围内。", field)
    if id_check_char(number[:17]) != number[17]:
        raise _fail("id_check_digit", "身份证号码最后一位校验码不正确，请核对后重新输入。", field)
    return ResidentID(number)


def make_resident_id(region: str, born: date, seq: int) -> str:
    """Build a valid number (demo data, tests). ``seq`` is 0–999; odd means male."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def parse_subject_code(raw: object, field: str = "subject_code") -> USCC | ResidentID:
    """A record names its subject by USCC or by resident ID; accept whichever the code is."""
    code = normalize_code(raw)
    looks_like_id = len(code) == 18 and _ascii_digits(code[:17]) and code[0] != "9"
    try:
        return parse_resident_id(code, field) if looks_like_id else parse_uscc(code, field)
    except ValidationFailed as first:
        try:
            return parse_uscc(code, field) if looks_like_id else parse_resident_id(code, field)
        except ValidationFailed:
            raise first from None
