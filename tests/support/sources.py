"""Sources as newsrooms have them, made by the tests: a CMS-like HTML article and a PDF.

The PDF is written byte by byte here (PDF 1.4, one page, Helvetica with WinAnsiEncoding, an
information dictionary), so no test needs a PDF library or a file from outside the repo.
"""

from __future__ import annotations

import html as html_escape
import zlib

ARTICLE_PARAGRAPHS = (
    "„Wir haben die Pläne rechtzeitig vorgelegt“, sagte Bürgermeisterin Anna Berg am Montag "
    "im Rathaus.",
    "Der Bauunternehmer Tom Krüger bestritt, dass sich die Kosten verdoppelt hätten. Die "
    "Anpassung sei bereits im Januar vorgelegt worden, erklärte Krüger.",
    "Eine Sprecherin der Hafenbehörde wollte sich nicht äußern.",
)


def article_html(
    title: str = "Hafenbrücke: Streit um die Kosten",
    author: str = "Jana Weber",
    published: str = "2025-03-03T08:15:00+01:00",
    paragraphs: tuple[str, ...] = ARTICLE_PARAGRAPHS,
) -> str:
    """An article page as a CMS gives it: navigation, an advert, a byline, the article, a
    footer, and the publication time and author in ``<meta>``."""
    body = "\n".join(f"<p>{html_escape.escape(p, quote=False)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<title>{title} | Hafenblatt</title>
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}">
<meta property="og:title" content="{title}">
</head><body>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/politik">Politik</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="ad" id="banner">Anzeige: Jetzt Hafenrundfahrt buchen und 20 Prozent sparen!</div>
<main><article>
<h1>{title}</h1>
<p class="byline">Von {author}</p>
{body}
</article></main>
<footer><p>© 2025 Hafenblatt · Impressum · Datenschutz · Kontakt</p></footer>
</body></html>
"""


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str], title: str, author: str, created: str = "D:20250303081500+01'00'") -> bytes:
    """A one-page PDF showing ``lines``, with ``title``, ``author`` and ``created`` in its
    information dictionary."""
    shown = b"\n".join(_pdf_string(line) + b" Tj T*" for line in lines)
    return _one_page_pdf(b"", b"BT /F1 11 Tf 14 TL 72 760 Td\n" + shown + b"\nET", title, author, created)


def make_pdf_bomb(inflated_mb: int) -> bytes:
    """A one-page PDF of a few hundred kilobytes whose content stream inflates (FlateDecode) to
    ``inflated_mb`` MiB of zero bytes: a decompression bomb."""
    packer = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    packed = b"".join(packer.compress(chunk) for _ in range(inflated_mb)) + packer.flush()
    return _one_page_pdf(b" /Filter /FlateDecode", packed, "Bombe", "Niemand")


def _one_page_pdf(
    filters: bytes, stream: bytes, title: str, author: str, created: str = "D:20250303"
) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + filters + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(title) + b" /Author " + _pdf_string(author)
        + b" /CreationDate " + _pdf_string(created) + b" >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
