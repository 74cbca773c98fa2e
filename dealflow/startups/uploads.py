"""Checking uploads by their content, never by their name, and storing what passes."""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import datetime
from typing import IO

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import select

from dealflow.extensions import db, file_store
from dealflow.models import FileKind, Startup, StartupRevision, StoredFile, User

LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
LOGO_MAX_SIDE = 512
LOGO_MAX_PIXELS = 16_000_000  # 4000×4000: beyond this a small file is a decompression bomb, not a logo
DECK_MAX_PAGES = 300


class UploadRefused(Exception):
    """The file is not what it claims to be, or too large; message is shown under its field."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(str(message))
        self.message = message


def human_size(size: int) -> str:
    """'2 MB', '20 MB', '195 KB': how a limit reads in a message, in the user's language."""
    if size >= 2**20:
        return str(_l("%(n)d MB", n=size // 2**20))
    return str(_l("%(n)d KB", n=size // 1024))


def _read_limited(stream: IO[bytes], limit: int, too_large: LazyString) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(too_large)
    if not data:
        raise UploadRefused(_l("The file is empty."))
    return data


def clean_filename(name: str, extension: str) -> str:
    """The name to show and to download as: no folders, no control characters, the right extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'file')[:120]}.{extension}"


def _store(owner: User, kind: FileKind, data: bytes, extension: str, content_type: str, name: str) -> StoredFile:
    key = file_store.new_key(extension)
    file_store.save(key, data)
    stored = StoredFile(
        owner_id=owner.id,
        kind=kind,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        original_name=clean_filename(name or kind.value, extension),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def store_logo(owner: User, stream: IO[bytes], filename: str, max_bytes: int) -> StoredFile:
    """Accept a PNG, JPEG or WebP image, then re-encode it: no metadata or hidden payload survives."""
    data = _read_limited(stream, max_bytes, _l("The logo is larger than %(size)s.", size=human_size(max_bytes)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in LOGO_FORMATS:
                    raise UploadRefused(_l("The logo must be a PNG, JPEG or WebP image."))
                if probe.width * probe.height > LOGO_MAX_PIXELS:
                    raise UploadRefused(_l("The logo has too many pixels. Use a smaller image."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (LOGO_MAX_SIDE * 2, LOGO_MAX_SIDE * 2))  # JPEGs decode at reduced size
                image.load()
                image.thumbnail((LOGO_MAX_SIDE * 2, LOGO_MAX_SIDE * 2))
                upright = ImageOps.exif_transpose(image)
                clean = upright.convert("RGBA" if "A" in upright.getbands() or upright.mode == "P" else "RGB")
                clean.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
                out = io.BytesIO()
                clean.save(out, format="WEBP", quality=88, method=4)
    except UploadRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError):
        raise UploadRefused(_l("The logo must be a PNG, JPEG or WebP image.")) from None
    return _store(owner, FileKind.LOGO, out.getvalue(), "webp", "image/webp", filename)


def store_deck(owner: User, stream: IO[bytes], filename: str, max_bytes: int) -> StoredFile:
    """Accept a PDF that a PDF library can open and read page by page; it is kept as sent."""
    data = _read_limited(stream, max_bytes, _l("The pitch deck is larger than %(size)s.", size=human_size(max_bytes)))
    if not data.startswith(b"%PDF-"):
        raise UploadRefused(_l("The pitch deck must be a PDF file."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise UploadRefused(_l("The pitch deck is protected by a password. Upload it without one."))
            pages = len(reader.pages)
            if pages:
                reader.pages[0].extract_text()
    except UploadRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise UploadRefused(_l("The pitch deck could not be opened as a PDF. Export it again and retry.")) from None
    if not 1 <= pages <= DECK_MAX_PAGES:
        raise UploadRefused(_l("The pitch deck must have between 1 and %(max)d pages.", max=DECK_MAX_PAGES))
    stored = _store(owner, FileKind.DECK, data, "pdf", "application/pdf", filename)
    stored.page_count = pages
    return stored


def unattached_files(older_than: datetime) -> list[StoredFile]:
    """Uploads no startup or revision points at, made before the cut-off (abandoned forms)."""
    used: set[int] = set()
    for logo_id, deck_id in db.session.execute(select(Startup.logo_file_id, Startup.deck_file_id)):
        used.update(i for i in (logo_id, deck_id) if i)
    for data in db.session.scalars(select(StartupRevision.data)):
        used.update(i for i in (data.get("logo_file_id"), data.get("deck_file_id")) if i)
    candidates = db.session.scalars(select(StoredFile).where(StoredFile.created_at < older_than)).all()
    return [f for f in candidates if f.id not in used]


def forget_files(files: list[StoredFile]) -> list[str]:
    """Delete the rows; returns the storage keys to unlink once the caller has committed."""
    keys = [f.storage_key for f in files]
    for stored in files:
        db.session.delete(stored)
    db.session.flush()
    return keys
