"""Finding 4 of issue 14: an administrator's template cannot pull local files or network
resources into a PDF; only the package's own assets (and data: URLs) are fetched."""

from __future__ import annotations

import io
import socket
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("weasyprint")
from pypdf import PdfReader

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.documents.pdf import AssetsOnlyFetcher, assets_root, html_to_pdf
from dondoc.documents.render import Renderer


def _attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(PdfReader(io.BytesIO(pdf)).attachments.items())


def test_a_template_cannot_embed_local_files_or_reach_the_network(tmp_path: Path) -> None:
    secret = tmp_path / "environ"
    secret.write_text("DONDOC_SMTP_PASSWORD=hunter2\n", encoding="utf-8")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    admin = tmp_path / "templates"
    admin.mkdir()
    # the attack: an admin overrides a bundled template with one that attaches a secret file,
    # embeds /etc/passwd and asks the server's loopback for a stylesheet
    (admin / "reminder.html.j2").write_text(
        f'<html><head><link rel="attachment" href="{secret.as_uri()}">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"></head>'
        '<body><img src="file:///etc/passwd"><p>{{ directive.title }}</p></body></html>',
        encoding="utf-8",
    )
    engine = Engine(
        f"sqlite:///{tmp_path / 'd.db'}",
        clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC)),
        renderer=Renderer(admin),
    )
    d = engine.create_directive(
        Actor.of("thang", "assigner"),
        "remediation_self_assessment",
        NewDirective(title="Khắc phục", assignee="phuong", due=date(2024, 6, 30)),
    )
    pdf = engine.render_document("reminder", fmt="pdf", directive_id=d.id)
    assert pdf.startswith(b"%PDF") and _attachments(pdf) == {}
    assert b"hunter2" not in pdf
    with pytest.raises(TimeoutError):
        listener.accept()  # nobody connected
    listener.close()
    engine.db.dispose()


def test_the_fetcher_serves_package_assets_and_data_urls_only(tmp_path: Path) -> None:
    fetch = AssetsOnlyFetcher()
    own = next(p for p in assets_root().iterdir() if p.name.endswith(".html.j2"))
    assert fetch.allowed_path(own.as_uri()) == own.resolve()
    # a symlink inside the assets pointing out of them does not count
    outside = tmp_path / "x.txt"
    outside.write_text("x", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(outside)
    for url in (
        outside.as_uri(),
        "file:///etc/passwd",
        (assets_root() / ".." / ".." / "pyproject.toml").as_uri(),
        "http://127.0.0.1/",
        "ftp://example.org/a",
        "file://remote-host/etc/passwd",
    ):
        assert fetch.allowed_path(url) is None
        with pytest.raises(PermissionError):
            fetch(url)
    # a real asset and an inline image are used (the PDF is rendered with them)
    html = (
        f'<html><head><link rel="attachment" href="{own.as_uri()}"></head><body>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>'
    )
    assert own.name in _attachments(html_to_pdf(html))
