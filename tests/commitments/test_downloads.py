"""The files built on request — the letter PDF and the monthly report XLSX — are rate limited per user
and per IP, and the links printed into them never come from the request's Host header."""

from __future__ import annotations

import pytest

from backend.platform.config import DEV_PUBLIC_BASE_URL
from tests.commitments.test_reports import LAST_MONTH, download, register, rows_of
from tests.commitments.test_reports import scjg as scjg  # noqa: F401  (fixture)
from tests.commitments.test_signing import SIGN, add_item, first_sign
from tests.commitments.test_signing import rep as rep  # noqa: F401  (fixture)
from tests.commitments.test_signing import staff as staff  # noqa: F401  (fixture)
from tests.factories import make_firm

DOWNLOADS = 3
EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_DOWNLOAD": f"{DOWNLOADS} per minute"}


def _ip(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"10.9.0.{n}"}}


def test_the_report_xlsx_is_limited_per_user_and_its_links_ignore_the_host_header(client, db, scjg):  # noqa: F811
    firm = make_firm(db)
    db.commit()
    register(client, scjg, firm.uscc, LAST_MONTH, 1)
    month = f"{LAST_MONTH:%Y-%m}"
    for n in range(DOWNLOADS):
        resp = client.get(f"/staff/v1/commitments/reports/{month}/registration.xlsx", headers={**scjg, **EVIL},
                          **_ip(n))
        assert resp.status_code == 200
        link = rows_of(resp.data)[2][14]
        assert link.startswith(DEV_PUBLIC_BASE_URL + "/") and "evil.example" not in link
    limited = download(client, scjg, month, "breaches")  # another table, same user: the same budget
    assert limited.status_code == 429 and limited.json["reason"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    # Ordinary reads are not limited.
    assert client.get("/staff/v1/commitments", headers=scjg).status_code == 200


def test_printed_links_use_public_base_url_when_set(app, client, db, scjg):  # noqa: F811
    app.config["PUBLIC_BASE_URL"] = "https://xy.huaian.gov.cn/"
    firm = make_firm(db)
    db.commit()
    register(client, scjg, firm.uscc, LAST_MONTH, 1)
    resp = client.get(f"/staff/v1/commitments/reports/{LAST_MONTH:%Y-%m}/registration.xlsx",
                      headers={**scjg, **EVIL})
    assert rows_of(resp.data)[2][14].startswith("https://xy.huaian.gov.cn/staff/v1/commitments/")


@pytest.mark.usefixtures("cjk_font")
def test_the_letter_pdf_is_limited_and_its_verify_link_ignores_the_host_header(client, staff, rep):  # noqa: F811
    item = add_item(client, staff["SCJG"])
    _, signed = first_sign(client, {**rep["headers"], **EVIL}, item["id"], uscc=rep["firm"].uscc)
    assert signed["letter"]["verify_url"].startswith(f"{DEV_PUBLIC_BASE_URL}/public/v1/commitments/verify/")
    url = f"{SIGN}/{signed['id']}/letter.pdf"
    for n in range(DOWNLOADS):
        assert client.get(url, headers=rep["headers"], **_ip(n)).status_code == 200
    limited = client.get(url, headers=rep["headers"], **_ip(50))  # a new IP does not reset the user's budget
    assert limited.status_code == 429 and limited.json["reason"] == "rate_limited"
