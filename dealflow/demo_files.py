"""Logos and pitch decks for the demo startups, made on the spot so the demo needs no binary files."""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw

PALETTE = ("#0b4f6c", "#7a3b69", "#2f6f3e", "#8a4b08", "#374151", "#a4161a", "#1d4e89", "#5b3a29")


def demo_logo(name: str, index: int) -> bytes:
    """A 256-pixel PNG: the startup's initials on a colour of the palette."""
    image = Image.new("RGB", (256, 256), PALETTE[index % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    initials = "".join(part[0] for part in (name[:1], name[len(name) // 2 :][:1])).upper()
    draw.ellipse((28, 28, 228, 228), outline="white", width=10)
    draw.text((128, 128), initials, fill="white", anchor="mm", font_size=96)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _escape(text: str) -> str:
    return (
        text.encode("latin-1", "replace")
        .decode("latin-1")
        .replace("\\", "\\\\")
        .replace("(", "\\(")
        .replace(")", "\\)")
    )


def demo_deck(title: str, slides: list[tuple[str, list[str]]]) -> bytes:
    """A small but genuine PDF: one landscape page per slide, text in Helvetica."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    all_slides = [(title, ["Investor presentation"]), *slides]
    pages_id = len(objects) + 2 * len(all_slides) + 1  # the page tree comes right after the pages
    page_ids = []
    for heading, lines in all_slides:
        text = [f"BT /F1 30 Tf 60 480 Td ({_escape(heading)}) Tj ET"]
        for n, line in enumerate(lines):
            text.append(f"BT /F1 18 Tf 60 {420 - 32 * n} Td ({_escape(line)}) Tj ET")
        stream = zlib.compress("\n".join(text).encode("latin-1"))
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 842 595] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)
            )
        )
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()
