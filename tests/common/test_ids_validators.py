"""统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643-1999): what users type, what is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.common.ids import (
    ID_CHECK,
    ID_WEIGHTS,
    PROVINCES,
    USCC_AUTHORITIES,
    USCC_CHARSET,
    USCC_WEIGHTS,
    ResidentID,
    id_check_char,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    normalize_code,
    org_code_check_char,
    parse_resident_id,
    parse_subject_code,
    parse_uscc,
    uscc_check_char,
)
from backend.platform.errors import ValidationFailed

STANDARD_USCC = ["914403001922038216", "91440300708461136T", "9144030071526726XG", "91310000631696382C"]
STANDARD_IDS = ["11010519491231002X", "440524188001010014"]


def refusal(parse, raw, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        parse(raw, **kw)
    err = info.value
    assert err.status == 422
    assert err.message and err.errors  # a plain Chinese message, and the field it concerns
    return err


# --- the standards' examples --------------------------------------------------------------


@pytest.mark.parametrize("code", STANDARD_USCC)
def test_standard_uscc_examples_are_accepted(code):
    assert parse_uscc(code).code == code
    assert is_valid_uscc(code)


def test_uscc_parts():
    code = parse_uscc("91440300708461136T")
    assert (code.authority, code.entity_type, code.region, code.org_code) == ("9", "91", "440300", "708461136")


def test_central_level_code_with_national_region_is_accepted():
    # 国家机关 carry the national code 100000 (e.g. 国家发展和改革委员会); it used to be refused.
    assert parse_uscc("11100000000019713D").region == "100000"


@pytest.mark.parametrize("number", STANDARD_IDS)
def test_standard_resident_id_examples_are_accepted(number):
    assert parse_resident_id(number).number == number


def test_resident_id_parts():
    rid = parse_resident_id("11010519491231002X")
    assert rid.region == "110105"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.gender == "F"  # sequence 002 is even
    assert parse_resident_id("440524188001010014").gender == "M"  # 001 is odd


# --- normalisation: what people actually type -------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "91440300708461136t",
        " 9144 0300 7084 6113 6T ",
        "9144-0300-7084-6113-6T",
        "９１４４０３００７０８４６１１３６Ｔ",  # full-width, as typed with a Chinese IME
        "９１４４０３００７０８４６１１３６ｔ",
        "9144\u30000300\t708461136T",  # ideographic space, tab
        "9144–0300—708461136T",  # en and em dashes pasted from a document
    ],
)
def test_uscc_typing_variants_are_normalised_and_accepted(typed):
    assert parse_uscc(typed).code == "91440300708461136T"


@pytest.mark.parametrize(
    "typed", ["11010519491231002x", "110105 19491231 002X", "110105-19491231-002x", "１１０１０５１９４９１２３１００２ｘ"]
)
def test_resident_id_typing_variants_are_normalised_and_accepted(typed):
    assert parse_resident_id(typed).number == "11010519491231002X"


def test_normalize_code_of_nothing_is_empty():
    assert normalize_code(None) == ""
    assert normalize_code("  \u3000 ") == ""


# --- USCC refusals, one per reason --------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", None, "－ －"])
def test_uscc_empty(raw):
    assert refusal(parse_uscc, raw).reason == "uscc_empty"


def test_uscc_length_plain():
    err = refusal(parse_uscc, "91440300708461136TT")
    assert err.reason == "uscc_length"
    assert "19位" in err.message


def test_uscc_length_all_digits_suggests_the_spreadsheet_lost_leading_digits():
    err = refusal(parse_uscc, "1440300192203821")
    assert err.reason == "uscc_length"
    assert "16位" in err.message and "文本格式" in err.message


def test_uscc_in_scientific_notation_from_a_spreadsheet():
    err = refusal(parse_uscc, "9.14403E+17")
    assert err.reason == "uscc_length"
    assert "文本格式" in err.message


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_uscc_charset_refuses_i_o_s_v_z(letter):
    code = "91440300708461136T"
    err = refusal(parse_uscc, code[:10] + letter + code[11:])
    assert err.reason == "uscc_charset"
    assert letter in err.message


def test_uscc_charset_refuses_punctuation():
    assert refusal(parse_uscc, "91440300708461136*").reason == "uscc_charset"


@pytest.mark.parametrize("prefix", ["94", "99", "B1", "Y2", "15", "02"])
def test_uscc_type(prefix):
    code = make_uscc(prefix, "320803", "MA1XY412")
    assert refusal(parse_uscc, code).reason == "uscc_type"


@pytest.mark.parametrize("region", ["000000", "990000", "700803", "100001"])
def test_uscc_region(region):
    assert refusal(parse_uscc, make_uscc("91", region, "MA1XY412")).reason == "uscc_region"


def test_uscc_org_code_check_failure():
    good = make_uscc("91", "320803", "MA1XY412")
    org_check = good[16]
    wrong = next(c for c in "0123456789X" if c != org_check)
    first17 = good[:16] + wrong
    code = first17 + uscc_check_char(first17)  # the final check fits: only the embedded code is wrong
    assert refusal(parse_uscc, code).reason == "uscc_org_code"


def test_uscc_org_code_all_zero_is_refused():
    first17 = "91320803" + "000000000"
    assert refusal(parse_uscc, first17 + uscc_check_char(first17)).reason == "uscc_org_code"


def test_uscc_check_digit():
    err = refusal(parse_uscc, "91440300708461136U")
    assert err.reason == "uscc_check_digit"
    assert err.errors == {"uscc": [err.message]}


def test_field_name_is_the_callers():
    assert refusal(parse_uscc, "", field="code").errors == {"code": ["请填写统一社会信用代码。"]}


# --- resident ID refusals -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "id_empty"),
        ("11010519491231002", "id_length"),
        ("110105194912310021X", "id_length"),
        ("110105491231002", "id_length"),  # the old 15-digit number
        ("1.10105E+17", "id_length"),
        ("11010519491231002Y", "id_charset"),
        ("1101051949123100AX", "id_charset"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "id_charset"),  # Arabic-Indic digits pass str.isdigit(), not us
        ("990105194912310025", "id_region"),
        ("000000194912310025", "id_region"),
        ("110000194912310025", "id_region"),
    ],
)
def test_resident_id_refusals(raw, reason):
    assert refusal(parse_resident_id, raw).reason == reason


@pytest.mark.parametrize("born", ["19990230", "19991301", "20000000", "18491231"])
def test_resident_id_impossible_birth_date(born):
    first17 = f"320803{born}123"
    assert refusal(parse_resident_id, first17 + id_check_char(first17)).reason == "id_birth_date"


def test_resident_id_born_in_the_future():
    number = make_resident_id("320803", date(2030, 1, 1), 123)
    err = refusal(parse_resident_id, number, today=date(2026, 1, 1))
    assert err.reason == "id_birth_date"
    assert parse_resident_id(number, today=date(2030, 1, 1)).number == number


def test_resident_id_check_digit():
    assert refusal(parse_resident_id, "110105194912310021").reason == "id_check_digit"


@pytest.mark.parametrize(
    "raw", ["110105194912310021", "11010519491231002Y", "990105194912310025", "320803199902301234"]
)
def test_refusals_never_echo_the_id_number(raw):
    err = refusal(parse_resident_id, raw)
    for text in (err.message, str(err), repr(err.errors)):
        assert raw not in text and raw[:17] not in text


# --- either kind of code -------------------------------------------------------------------


def test_parse_subject_code_accepts_both_kinds():
    assert parse_subject_code("91440300708461136t").code == "91440300708461136T"
    assert parse_subject_code("11010519491231002x") == ResidentID("11010519491231002X")


def test_parse_subject_code_reports_the_likelier_kind():
    assert refusal(parse_subject_code, "110105194912310021").reason == "id_check_digit"
    assert refusal(parse_subject_code, "91440300708461136U").reason == "uscc_check_digit"


# --- properties ----------------------------------------------------------------------------

_TYPES = sorted(a + t for a, ts in USCC_AUTHORITIES.items() for t in ts)
_PROVINCES = sorted(PROVINCES)
uscc_regions = st.one_of(
    st.just("320803"),
    st.builds(lambda p, rest: p + rest, st.sampled_from(_PROVINCES), st.text("0123456789", min_size=4, max_size=4)),
)
org_bodies = st.text(USCC_CHARSET, min_size=8, max_size=8).filter(lambda s: s != "00000000")
usccs = st.builds(make_uscc, st.sampled_from(_TYPES), uscc_regions, org_bodies)
id_regions = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(_PROVINCES),
    st.text("0123456789", min_size=4, max_size=4).filter(lambda s: s != "0000"),
)
resident_ids = st.builds(
    make_resident_id, id_regions, st.dates(min_value=date(1850, 1, 1), max_value=date.today()),
    st.integers(0, 999),
)


@given(usccs)
def test_every_generated_uscc_round_trips(code):
    assert parse_uscc(code).code == code
    assert parse_uscc(" " + code.lower()).code == code
    assert org_code_check_char(code[8:16]) == code[16]


@given(resident_ids)
def test_every_generated_resident_id_round_trips(number):
    rid = parse_resident_id(number)
    assert rid.number == number
    assert parse_resident_id(number.lower()).number == number


@given(usccs, st.integers(0, 17), st.sampled_from(USCC_CHARSET + "IOSVZ*"))
def test_any_single_substitution_in_a_uscc_is_refused(code, pos, char):
    # Weights 3^i mod 31 are never 0 and 31 is prime: any change of one character moves the sum.
    if code[pos] == char:
        char = USCC_CHARSET[(USCC_CHARSET.index(char) + 1) % len(USCC_CHARSET)]
    with pytest.raises(ValidationFailed):
        parse_uscc(code[:pos] + char + code[pos + 1 :])


@given(usccs, st.integers(0, 16))
def test_adjacent_transposition_in_a_uscc_is_refused(code, pos):
    a, b = code[pos], code[pos + 1]
    if a == b:
        return
    with pytest.raises(ValidationFailed):
        parse_uscc(code[:pos] + b + a + code[pos + 2 :])


@given(resident_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_substitution_in_a_resident_id_is_refused(number, pos, char):
    # The property holds for mod 11: every weight is non-zero mod 11 and two digits differ by at
    # most 9, so a changed digit always changes the sum; a changed check character is wrong by
    # definition; an X anywhere but last is refused as a character.
    if number[pos] == char:
        return
    with pytest.raises(ValidationFailed):
        parse_resident_id(number[:pos] + char + number[pos + 1 :])


@given(resident_ids, st.sampled_from("0123456789"))
def test_a_changed_17th_digit_always_changes_the_check(number, digit):
    if number[16] == digit:
        return
    assert id_check_char(number[:16] + digit) != number[17]


@given(resident_ids, st.integers(0, 16))
def test_adjacent_transposition_in_a_resident_id_is_refused(number, pos):
    a, b = number[pos], number[pos + 1]
    if a == b:
        return
    with pytest.raises(ValidationFailed):
        parse_resident_id(number[:pos] + b + a + number[pos + 2 :])


def test_check_tables_are_the_standards():
    assert ID_CHECK == "10X98765432"
    assert list(USCC_WEIGHTS) == [pow(3, i, 31) for i in range(17)]
    assert list(USCC_WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert list(ID_WEIGHTS) == [pow(2, 17 - i, 11) for i in range(17)]
