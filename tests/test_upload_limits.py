"""The real upload limits and content checks, on the storage service itself."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dealflow.startups import uploads
from tests.startup_helpers import founder, pdf_bytes, png_bytes

DECK_LIMIT = 20 * 2**20
LOGO_LIMIT = 2 * 2**20


def test_a_deck_one_byte_over_20_mb_is_refused() -> None:
    with pytest.raises(uploads.UploadRefused, match="larger than 20 MB"):
        uploads.store_deck(founder(), io.BytesIO(b"%PDF-1.7\n" + b"0" * DECK_LIMIT), "big.pdf", DECK_LIMIT)


def test_a_logo_one_byte_over_2_mb_is_refused() -> None:
    with pytest.raises(uploads.UploadRefused, match="larger than 2 MB"):
        uploads.store_logo(founder(), io.BytesIO(png_bytes() + b"\0" * LOGO_LIMIT), "big.png", LOGO_LIMIT)


def test_a_logo_is_reencoded_without_its_metadata() -> None:
    image = Image.new("RGB", (2000, 1000), "#0b4f6c")
    source = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret GPS note"  # ImageDescription
    image.save(source, format="JPEG", exif=exif)
    stored = uploads.store_logo(founder(), io.BytesIO(source.getvalue()), "photo.jpg", LOGO_LIMIT)
    from dealflow.extensions import file_store

    data = file_store.path(stored.storage_key).read_bytes()
    assert b"secret GPS note" not in data
    with Image.open(io.BytesIO(data)) as saved:
        assert saved.format == "WEBP"
        assert max(saved.size) == 512


def test_a_decompression_bomb_is_refused() -> None:
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # tiny file, 400 megapixels
    with pytest.raises(uploads.UploadRefused):
        uploads.store_logo(founder(), io.BytesIO(bomb.getvalue()), "bomb.png", LOGO_LIMIT)


def test_an_encrypted_deck_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("owner-and-user-password")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(uploads.UploadRefused, match="protected by a password"):
        uploads.store_deck(founder(), io.BytesIO(locked.getvalue()), "locked.pdf", DECK_LIMIT)


def test_a_genuine_deck_keeps_its_bytes_and_page_count() -> None:
    deck = pdf_bytes("Kept")
    stored = uploads.store_deck(founder(), io.BytesIO(deck), "deck.pdf", DECK_LIMIT)
    from dealflow.extensions import file_store

    assert file_store.path(stored.storage_key).read_bytes() == deck
    assert stored.page_count == 3
    assert stored.size_bytes == len(deck)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../a\r\nb.pdf", "ab.pdf"),
        ("C:\\Users\\me\\Deck final.PDF", "Deck final.pdf"),
        ("evil.html", "evil.pdf"),
        ("", "file.pdf"),
        ("Питч-дек Қызылорда.pdf", "Питч-дек Қызылорда.pdf"),
    ],
)
def test_filenames_are_cleaned(given: str, expected: str) -> None:
    assert uploads.clean_filename(given, "pdf") == expected
