import io
import struct
import zipfile

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from declarations.uploads import (
    ATTACHMENT_MAX_BYTES,
    UploadRefused,
    attachment_check,
    attachment_check_upload,
    safe_name,
)

# --- Real files built here ----------------------------------------------------------------------


def pdf_bytes() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format=format)
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, entries[stored_first], zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


OOXML_MAIN = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml_bytes(kind: str, main_type: str | None = None) -> bytes:
    part, suffix = OOXML_MAIN[kind]
    main_type = main_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type}"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{part}"/></Relationships>'
    )
    return zip_bytes(
        {
            "[Content_Types].xml": content_types.encode(),
            "_rels/.rels": rels.encode(),
            part: b'<?xml version="1.0"?><document/>',
        }
    )


def odf_bytes(mimetype: str) -> bytes:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return zip_bytes(
        {
            "mimetype": mimetype.encode(),
            "content.xml": b'<?xml version="1.0"?><office:document-content/>',
            "META-INF/manifest.xml": manifest.encode(),
        },
        stored_first="mimetype",
    )


def ole_bytes(stream_name: str) -> bytes:
    """A minimal compound file ([MS-CFB] version 3): header, one FAT sector, one directory
    sector holding the root entry and one empty stream."""
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 0x2C, 1, 1, 0, 4096)  # FAT sectors, directory at 1
    struct.pack_into("<IIII", header, 0x3C, end, 0, end, 0)  # no mini FAT, no DIFAT sector
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, child: int) -> bytes:
        data = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        data[: len(encoded)] = encoded
        struct.pack_into("<HBB", data, 0x40, len(encoded), kind, 1)
        struct.pack_into("<III", data, 0x44, free, free, child)
        struct.pack_into("<II", data, 0x74, end, 0)
        return bytes(data)

    directory = entry("Root Entry", 5, 1) + entry(stream_name, 2, free) + bytes(256)
    return bytes(header) + fat + directory


# --- Accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type", "safe"),
    [
        (pdf_bytes(), "Contrat.pdf", "application/pdf", "Contrat.pdf"),
        (image_bytes("PNG"), "scan.png", "image/png", "scan.png"),
        (image_bytes("JPEG"), "Photo.JPEG", "image/jpeg", "Photo.jpg"),
        (image_bytes("WEBP"), "affiche.webp", "image/webp", "affiche.webp"),
        (image_bytes("GIF"), "logo.gif", "image/gif", "logo.gif"),
        (image_bytes("TIFF"), "fax.tiff", "image/tiff", "fax.tif"),
        (
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
            "IMG_0042.HEIC",
            "image/heic",
            "IMG_0042.heic",
        ),
    ],
)
def test_pdf_and_images_are_recognised_by_content(data, name, content_type, safe):
    checked = attachment_check(name, data)
    assert (checked.content_type, checked.name, checked.size) == (content_type, safe, len(data))
    assert checked.data == data


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ],
)
def test_office_open_xml_documents_are_accepted(kind, content_type):
    # Named .zip on purpose: the content decides, and the extension follows it.
    checked = attachment_check("Programme.zip", ooxml_bytes(kind))
    assert (checked.content_type, checked.name) == (content_type, f"Programme.{kind}")


@pytest.mark.parametrize(
    ("mimetype", "extension"),
    [
        ("application/vnd.oasis.opendocument.text", "odt"),
        ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
        ("application/vnd.oasis.opendocument.presentation", "odp"),
    ],
)
def test_opendocument_files_are_accepted(mimetype, extension):
    checked = attachment_check("Bordereau", odf_bytes(mimetype))
    assert (checked.content_type, checked.name) == (mimetype, f"Bordereau.{extension}")


@pytest.mark.parametrize(
    ("stream", "content_type", "extension"),
    [
        ("WordDocument", "application/msword", "doc"),
        ("Workbook", "application/vnd.ms-excel", "xls"),
        ("PowerPoint Document", "application/vnd.ms-powerpoint", "ppt"),
    ],
)
def test_legacy_office_documents_are_told_apart_by_their_streams(stream, content_type, extension):
    checked = attachment_check("ancien.doc", ole_bytes(stream))
    assert (checked.content_type, checked.name) == (content_type, f"ancien.{extension}")


# --- Refused -----------------------------------------------------------------------------------


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(UploadRefused) as raised:
        attachment_check(name, data)
    return raised.value.message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.pdf", b"Ceci est un simple texte, pas un PDF.\n"),
        ("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)),
        ("archive.docx", zip_bytes({"photo.txt": b"bonjour", "autre.bin": bytes(50)})),
        (
            "macro.docx",
            ooxml_bytes("docx", "application/vnd.ms-word.document.macroEnabled.main+xml"),
        ),
        ("faux.odt", zip_bytes({"mimetype": b"text/html", "content.xml": b"<x/>"}, "mimetype")),
        ("cassé.docx", b"PK\x03\x04" + bytes(100)),
        ("installateur.doc", ole_bytes("\u4840\u3b3f\u4577\u41e4")),  # an MSI-like stream
        ("page.html", b"<!doctype html><title>x</title>"),
        ("image.bmp", image_bytes("BMP")),
    ],
)
def test_other_contents_are_refused_whatever_their_name(name, data):
    message = refusal(name, data)
    assert "n'est pas d'un type accepté" in message
    assert "Envoyez un PDF, une image (PNG, JPEG, WebP, GIF, TIFF, HEIC)" in message
    assert "Word, Excel, PowerPoint ou OpenDocument" in message


def test_a_file_over_5_mib_is_refused_and_one_of_exactly_5_mib_accepted():
    exactly = b"%PDF-1.7\n" + bytes(ATTACHMENT_MAX_BYTES - 9)
    assert attachment_check("gros.pdf", exactly).size == 5 * 1024 * 1024

    message = refusal("trop gros.pdf", exactly + b"\n")
    assert message.startswith("Le fichier « trop gros.pdf » dépasse la taille maximale de 5 Mo")


def test_an_empty_file_is_refused():
    assert refusal("vide.pdf", b"") == (
        "Le fichier « vide.pdf » est vide : vérifiez qu'il s'agit du bon fichier et "
        "envoyez-le à nouveau."
    )


def test_django_uploads_are_checked_and_an_oversize_one_is_refused_unread():
    checked = attachment_check_upload(SimpleUploadedFile("c.pdf", pdf_bytes(), "text/plain"))
    assert checked.content_type == "application/pdf"

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("an oversize upload must not be read")

    upload = Unreadable("gros.pdf", b"%PDF-", "application/pdf")
    upload.size = ATTACHMENT_MAX_BYTES + 1
    with pytest.raises(UploadRefused, match="5 Mo"):
        attachment_check_upload(upload)


# --- Names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("C:\\Users\\camille\\Contrat signé.PDF", "pdf", "Contrat signé.pdf"),
        ("Contrat\u202egpj.exe", "pdf", "Contratgpj.pdf"),  # right-to-left override removed
        ("bordereau\x00\r\nmars\t2026.png", "pdf", "bordereau mars 2026.pdf"),
        ("Programme v2.1", "docx", "Programme v2.1.docx"),
        ('a<b>:"c"|d?*.pdf', "pdf", "a_b___c__d__.pdf"),
        ("  ..caché.pdf  ", "pdf", "caché.pdf"),
        ("", "pdf", "document.pdf"),
        ("....", "png", "document.png"),
        ("CON.txt", "pdf", "_CON.pdf"),
        ("Cafe\u0301.pdf", "pdf", "Café.pdf"),  # normalised to one code point
    ],
)
def test_names_are_sanitised(name, extension, expected):
    assert safe_name(name, extension) == expected


def test_long_names_are_cut_and_keep_their_extension():
    name = safe_name("é" * 300 + ".pdf", "pdf")
    assert name == "é" * 116 + ".pdf"
    assert len(name) == 120
