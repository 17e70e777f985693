"""The API's documentation page (``/docs``), served offline.

Swagger UI (npm ``swagger-ui-dist``, Apache-2.0, its LICENSE and NOTICE beside it) is shipped
in the package under ``static/swagger-ui/``: an office network without internet still gets the
page. The page has no inline script, so its Content-Security-Policy allows scripts from this
server only (the rest of the app allows none).
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

ASSETS = "static/swagger-ui"
#: What /static/swagger-ui/ serves (nothing else from the package), with its media type.
SERVED = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "dondoc-init.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain",
    "NOTICE": "text/plain",
}
DOCS_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — tài liệu API</title>
<link rel="icon" type="image/png" href="/static/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-ui/dondoc-init.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI on ``app.openapi_url``) and its assets from the package.
    Build the app with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are off."""
    html = PAGE.format(title=app.title, openapi=app.openapi_url or "/openapi.json")
    folder = resources.files("dondoc.web").joinpath(ASSETS)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get("/static/swagger-ui/{name}", include_in_schema=False)
    def api_docs_asset(name: str) -> Response:
        media_type = SERVED.get(name)
        if media_type is None:
            raise HTTPException(404, "không có tệp này")
        return Response(
            folder.joinpath(name).read_bytes(),
            media_type=media_type,
            headers={"Cache-Control": "max-age=86400"},
        )
