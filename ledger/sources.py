"""Sources as newsrooms have them: an HTML page or a PDF, turned into the text quotes anchor in.

The article's main text and its metadata come from libraries made for it (trafilatura for
HTML, pdfminer.six for PDF). The original bytes are kept with the document, and the extractor's
name and version are recorded, so anyone can run the extraction again and compare the text.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.domain.model import Document, Extractor, OriginalSource
from ledger.errors import InvalidEvent

# pdfminer warns on every malformed object of a broken file; the refusal says it once.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

HTML = "text/html"
PDF = "application/pdf"
TEXT = "text/plain"
MEDIA_TYPE_BY_SUFFIX = {".html": HTML, ".htm": HTML, ".pdf": PDF}
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "pubdate",
    "dc.date",
    "dcterms.created",
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What an extractor read from the original: the text and what the source says of itself."""

    text: str
    title: str | None
    author: str | None
    published: str | None
    extractor: Extractor


@dataclass(frozen=True, slots=True)
class SourceFields:
    """What a writer says of a document besides its content (the registration's own fields)."""

    document_id: str
    language: str
    publisher: str | None = None
    dated: date | None = None
    url: str | None = None
    note: str | None = None


def media_type_of(filename: str) -> str:
    """The media type a file's name implies: HTML, PDF, else plain text."""
    lowered = filename.lower()
    for suffix, media_type in MEDIA_TYPE_BY_SUFFIX.items():
        if lowered.endswith(suffix):
            return media_type
    return TEXT


def document_from_file(
    path: Path,
    document_id: str,
    language: str,
    publisher: str | None = None,
    dated: str | None = None,
    url: str | None = None,
    note: str | None = None,
) -> Document:
    """The document registering a file: by its name's suffix, HTML or PDF through the
    extractor, anything else as UTF-8 text."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InvalidEvent(str(path), f"cannot read the file: {error.strerror}") from None
    try:
        day = None if dated is None else date.fromisoformat(dated)
        fields = SourceFields(document_id, language, publisher, day, url, note)
        media_type = media_type_of(path.name)
        if media_type != TEXT:
            return document_from_original(fields, media_type, content, field=path.name)
        text = content.decode("utf-8")
        return Document(
            document_id=document_id,
            publisher=publisher,
            language=language,
            dated=day,
            sha256=hashlib.sha256(content).hexdigest(),
            text=text,
            note=note,
            url=url,
        )
    except UnicodeDecodeError:
        raise InvalidEvent(str(path), "the file is not UTF-8 text") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise InvalidEvent(where, first["msg"]) from None
    except ValueError as error:
        raise InvalidEvent("dated", str(error)) from None


def document_from_original(
    fields: SourceFields, media_type: str, content: bytes, *, field: str
) -> Document:
    """The document registering ``content`` (HTML or PDF bytes): its extracted text and
    metadata, the original's hash and length, and the bytes themselves. ``field`` names the
    input in errors."""
    extraction = extract(media_type, content, fields.url, field=field)
    published = extraction.published
    dated = fields.dated or _date_of(published)
    return Document(
        document_id=fields.document_id,
        publisher=fields.publisher,
        language=fields.language,
        dated=dated,
        sha256=hashlib.sha256(extraction.text.encode("utf-8")).hexdigest(),
        text=extraction.text,
        note=fields.note,
        title=extraction.title,
        author=extraction.author,
        published=published,
        url=fields.url,
        original=OriginalSource(
            media_type=media_type,
            sha256=hashlib.sha256(content).hexdigest(),
            length=len(content),
            content=base64.b64encode(content).decode("ascii"),
        ),
        extractor=extraction.extractor,
    )


def extract(media_type: str, content: bytes, url: str | None = None, *, field: str) -> Extraction:
    """Extract the article's text and metadata from HTML or PDF bytes."""
    if media_type == HTML:
        return extract_html(_decoded_html(content, field), url, field=field)
    if media_type == PDF:
        return extract_pdf(content, field=field)
    raise InvalidEvent(field, f"cannot extract text from {media_type!r}: use HTML or PDF")


def extract_html(html: str, url: str | None = None, *, field: str = "html") -> Extraction:
    """The main text of an HTML page (no navigation, adverts, bylines or footers) and its
    title, author and publication date or instant."""
    import trafilatura

    def extraction(with_metadata: bool) -> Any:
        return trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=with_metadata,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            deduplicate=False,
            date_extraction_params=_date_params(),
        )

    try:
        # trafilatura drops the whole page when its metadata breaks (a UTC offset of +25:00):
        # the text is the page's still, without what the broken metadata would have said.
        found = extraction(with_metadata=True) or extraction(with_metadata=False)
    except Exception as error:  # noqa: BLE001 - any failure on untrusted markup is the input's
        raise InvalidEvent(field, f"the HTML cannot be read: {type(error).__name__}") from None
    text = _clean(getattr(found, "text", None) or "")
    if not text:
        raise InvalidEvent(field, "no article text found in the HTML")
    published = _published_meta(html) or _text_or_none(getattr(found, "date", None))
    return Extraction(
        text=text,
        title=_text_or_none(getattr(found, "title", None)),
        author=_text_or_none(getattr(found, "author", None)),
        published=published,
        extractor=Extractor(name="trafilatura", version=version("trafilatura")),
    )


def _date_params() -> dict[str, Any]:
    """htmldate without its extensive search, which turns a bare year ("© 2024", a meta of
    "2024", a malformed "2024-13-45") into 1 January: a date the page never gave, that then
    refuses statements said later that year as said after their document."""
    today = datetime.now(UTC).date().isoformat()
    return {"original_date": True, "extensive_search": False, "max_date": today}


# A PDF is read in a child process under these limits (ledger/pdf_worker.py): a few hundred
# kilobytes of compressed streams can inflate to gigabytes, and pdfminer sets no limit itself.
PDF_MEMORY_BYTES = 1024 * 1024 * 1024
PDF_CPU_SECONDS = 20
PDF_WALL_SECONDS = 30


def extract_pdf(content: bytes, *, field: str = "pdf") -> Extraction:
    """The text of a PDF and its title, author and creation date, read in a child process that
    may use at most ``PDF_MEMORY_BYTES`` and ``PDF_CPU_SECONDS`` (a decompression bomb is
    refused, not read)."""
    command = [
        sys.executable, "-m", "ledger.pdf_worker", str(PDF_MEMORY_BYTES), str(PDF_CPU_SECONDS)
    ]
    try:
        done = subprocess.run(
            command, input=content, capture_output=True, timeout=PDF_WALL_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise InvalidEvent(field, f"the PDF takes more than {PDF_WALL_SECONDS} s to read") from None
    if done.returncode != 0 or not done.stdout:
        raise InvalidEvent(field, "the PDF needs more memory or time to read than the ledger allows")
    found = json.loads(done.stdout)
    if "refused" in found:
        raise InvalidEvent(field, found["refused"])
    return Extraction(**{**found, "extractor": Extractor(**found["extractor"])})


def read_pdf(content: bytes, *, field: str = "pdf") -> Extraction:
    """The text of a PDF, page after page, and its information dictionary's title, author and
    creation date, read in this process (``extract_pdf`` runs it in a limited child)."""
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException

    try:
        text = _clean(extract_text(io.BytesIO(content)))
        info = PDFDocument(PDFParser(io.BytesIO(content))).info
    except MemoryError:
        raise InvalidEvent(field, "the PDF needs more memory to read than the ledger allows") from None
    except (PDFException, PSException) as error:
        raise InvalidEvent(field, f"not a PDF the ledger can read: {type(error).__name__}") from None
    except Exception as error:  # noqa: BLE001 - pdfminer raises many kinds on broken files
        raise InvalidEvent(field, f"not a PDF the ledger can read: {type(error).__name__}") from None
    if not text:
        raise InvalidEvent(field, "no text found in the PDF (a scanned image needs OCR first)")
    fields = info[0] if info else {}
    return Extraction(
        text=text,
        title=_pdf_string(fields.get("Title")),
        author=_pdf_string(fields.get("Author")),
        published=_pdf_date(_pdf_string(fields.get("CreationDate"))),
        extractor=Extractor(name="pdfminer.six", version=version("pdfminer.six")),
    )


def _decoded_html(content: bytes, field: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEvent(field, "the HTML is not UTF-8") from None


def _clean(text: str) -> str:
    """Text as stored: NUL and form feeds out, line ends unified, no trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:500] or None


def _published_meta(html: str) -> str | None:
    """The publication instant a page's ``<meta>`` tags give, with its offset, in ISO 8601."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, TypeError):
        return None
    for meta in tree.iter("meta"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if name.lower() in {item.lower() for item in PUBLISHED_META}:
            instant = _iso_instant(meta.get("content") or "")
            if instant is not None:
                return instant
    return None


def _iso_instant(value: str) -> str | None:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.date().isoformat() if len(value) <= 10 else None
    return parsed.isoformat()


def _date_of(published: str | None) -> date | None:
    if published is None:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _pdf_string(value: Any) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, bytes):
        return _text_or_none(decode_text(value))
    return _text_or_none(value) if isinstance(value, str) else None


def _pdf_date(value: str | None) -> str | None:
    """A PDF date (``D:YYYYMMDDHHmmSS+HH'mm'``) in ISO 8601; the day alone without a time."""
    if value is None:
        return None
    match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz]|[+-]\d{2}'?\d{2}'?)?", value)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month or 1), int(day or 1)).isoformat()
        offset = "+00:00" if zone in (None, "Z", "z") else f"{zone[:3]}:{zone.replace(chr(39), '')[3:5]}"
        stamp = f"{year}-{month}-{day}T{hour}:{minute or '00'}:{second or '00'}{offset}"
        return datetime.fromisoformat(stamp).isoformat()
    except ValueError:
        return None

