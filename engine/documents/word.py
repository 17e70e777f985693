"""Word output: a .docx template with Jinja2 tags (docxtpl) rendered to .docx bytes. Pure.

The bundled templates (``templates/<id>.docx``) follow Decree 30/2020 (A4, margins 20/15/20/30
mm, Times New Roman 13–14, the two-column header with the national motto, number and symbol,
place and date, "Kính gửi", body, the TM./KT./TL. signature block and "Nơi nhận"). An admin
edits a copy in Word and puts it in the admin template folder under the same name. Tags are
Jinja2 in the sandbox the HTML templates use; docxtpl's ``{%p …%}`` (a paragraph) and
``{%tr …%}`` (a table row) make whole paragraphs and rows conditional or repeated.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment

MAX_TEMPLATE_BYTES = 5_000_000


def render_docx(template: Path, context: Mapping[str, Any], env: Environment) -> bytes:
    """Render the .docx ``template`` with ``context`` in ``env`` (a sandboxed environment)."""
    from docxtpl import DocxTemplate

    if template.stat().st_size > MAX_TEMPLATE_BYTES:
        raise ValueError(f"{template.name} is larger than {MAX_TEMPLATE_BYTES} bytes")
    doc = DocxTemplate(str(template))
    doc.render(dict(context), jinja_env=env, autoescape=True)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
