"""Personal data encryption (AES-256-GCM, rotating keys), blind index and masking, without a database."""

from __future__ import annotations

import base64

import pytest

from backend.common.crypto import (
    Keyring,
    PIIError,
    mask_id_number,
    mask_name,
    mask_phone,
    max_plaintext_bytes,
)

K0, K1, K2 = bytes(range(1, 33)), bytes(range(32)), b"\x07" * 32
INDEX = b"i" * 32


def ring(active="t1", **keys) -> Keyring:
    return Keyring(keys or {"t0": K0, "t1": K1}, active, INDEX)


def test_round_trip_and_key_id_prefix():
    stored = ring().encrypt("person.name", "张三")
    assert stored.startswith("t1$")
    assert "张三" not in stored
    assert ring().decrypt("person.name", stored) == "张三"


def test_same_value_encrypts_differently_each_time():
    r = ring()
    values = {r.encrypt("person.id_number", "11010519491231002X") for _ in range(20)}
    assert len(values) == 20  # a fresh nonce every time: equal values are not visible as equal


def test_ciphertext_bound_to_its_purpose():
    r = ring()
    stored = r.encrypt("person.id_number", "11010519491231002X")
    with pytest.raises(PIIError):
        r.decrypt("person.phone", stored)


def test_tampered_ciphertext_is_refused():
    r = ring()
    kid, _, b64 = r.encrypt("person.name", "张三").partition("$")
    blob = bytearray(base64.b64decode(b64))
    blob[-1] ^= 1
    with pytest.raises(PIIError):
        r.decrypt("person.name", f"{kid}${base64.b64encode(bytes(blob)).decode()}")


@pytest.mark.parametrize("stored", ["t1$", "t1$not base64!", "t1$AAAA", "no-dollar-sign", "zz$AAAA", "张三"])
def test_malformed_values_raise_pii_error_without_echoing_them(stored):
    with pytest.raises(PIIError) as info:
        ring().decrypt("person.name", stored)
    assert "张三" not in str(info.value)


def test_old_key_still_reads_and_reencrypt_moves_to_active():
    old = ring(active="t0").encrypt("person.phone", "13812345678")
    new_ring = ring(active="t1")
    assert not new_ring.is_current(old)
    assert new_ring.decrypt("person.phone", old) == "13812345678"
    moved = new_ring.reencrypt("person.phone", old)
    assert new_ring.is_current(moved) and moved.startswith("t1$")
    assert new_ring.decrypt("person.phone", moved) == "13812345678"


def test_a_retired_key_no_longer_reads():
    old = ring(active="t0").encrypt("person.phone", "13812345678")
    with pytest.raises(PIIError):
        Keyring({"t1": K1}, "t1", INDEX).decrypt("person.phone", old)


def test_blind_index_is_stable_keyed_and_purpose_bound():
    r = ring()
    a = r.blind_index("person.id_number", "11010519491231002X")
    assert a == ring(active="t0").blind_index("person.id_number", "11010519491231002X")  # rotation-proof
    assert a != r.blind_index("person.phone", "11010519491231002X")
    assert a != Keyring({"t1": K1}, "t1", b"j" * 32).blind_index("person.id_number", "11010519491231002X")
    assert "11010519491231002X" not in a and len(a) == 64


def test_max_plaintext_bytes_fits_the_column():
    n = max_plaintext_bytes(255, 16)
    stored = Keyring({"k" * 16: K2}, "k" * 16, INDEX).encrypt("p", "a" * n)
    assert len(stored) <= 255
    assert len(Keyring({"k" * 16: K2}, "k" * 16, INDEX).encrypt("p", "a" * (n + 3))) > 255


def test_mask_id_number():
    assert mask_id_number("32080319900101123X") == "320803********123X"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number(None) is None
    assert mask_id_number("12345") == "*****"


@pytest.mark.parametrize(
    "name, masked", [("张三", "张*"), ("张", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("", "")]
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("051783912345") == "051*****2345"
    assert mask_phone(None) is None
    assert mask_phone("12345") == "*****"
