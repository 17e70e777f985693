"""``/docs`` works on an office network without internet (issue 17, item 3): Swagger UI's
assets are shipped in the package and served by the app; the page names no other host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dondoc import Engine
from dondoc.web.api import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = Engine(f"sqlite:///{tmp_path / 'docs.db'}")
    yield TestClient(create_app(engine))
    engine.db.dispose()


def test_the_docs_page_references_only_this_server(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert not re.search(r"https?://", html), "the page names another host"
    assert "<script>" not in html  # no inline script: the CSP allows this server's files only
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "https:" not in csp
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "dondoc-init.js",
    }
    for asset in assets:
        assert asset.startswith("/static/swagger-ui/")
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert 'data-openapi="/openapi.json"' in html
    assert client.get("/openapi.json").json()["info"]["title"] == "dondoc"


def test_the_bundle_and_its_licence_are_in_the_package(client: TestClient) -> None:
    bundle = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in bundle.text
    assert "Apache License" in client.get("/static/swagger-ui/LICENSE").text
    assert client.get("/static/swagger-ui/../api.py").status_code == 404
    assert client.get("/static/swagger-ui/apidocs.py").status_code == 404
    assert client.get("/redoc").status_code in (401, 404)  # no page that loads a CDN
