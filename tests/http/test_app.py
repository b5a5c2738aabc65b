"""The platform answers: health, readiness, the OpenAPI spec, and one error shape."""


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_checks_database(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json["checks"]["database"] == "ok"


def test_unknown_path_gets_error_shape(client):
    resp = client.get("/no/such/thing")
    assert resp.status_code == 404
    assert set(resp.json) == {"code", "status", "message", "reason", "errors"}
    assert resp.json["reason"] == "not_found"


def test_openapi_spec(client):
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    assert resp.json["info"]["title"].startswith("信用淮安区")


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    assert client.get("/docs/assets/../../config.py").status_code == 404
