"""HTML → PDF with WeasyPrint (a real layout engine: A4 pages, embedded fonts).

WeasyPrint needs Pango from the system (Debian: libpango-1.0-0, libpangoft2-1.0-0); the font
stack of the templates is Times New Roman → Liberation Serif (``fonts-liberation``) → DejaVu
Serif, all of which have every Vietnamese diacritic. WeasyPrint embeds the fonts it uses.
"""

from __future__ import annotations

from ..errors import DondocError


class PdfUnavailable(DondocError):
    code = "pdf_unavailable"


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document to PDF bytes."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint and Pango: pip install 'dondoc[pdf]' and the system "
            f"package libpango-1.0-0 ({exc})"
        ) from None
    result = HTML(string=html).write_pdf()
    assert result is not None
    return bytes(result)
