"""Checks of the attachments a declarant uploads: size, and kind judged by the content only
(never by the name or the type the browser announces), since they are e-mailed to the
organisms' delegations.

`attachment_check(name, data)` checks bytes already read; `attachment_check_upload(upload)`
takes a Django UploadedFile and refuses an oversize one before reading it.
"""

import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ACCEPTED_KINDS_TEXT = (
    "un PDF, une image (PNG, JPEG, WebP, GIF, TIFF, HEIC) ou un document bureautique "
    "(Word, Excel, PowerPoint ou OpenDocument)"
)
NAME_MAX_LENGTH = 120

PDF = "application/pdf"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

EXTENSIONS = {
    PDF: "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/tiff": "tif",
    "image/heic": "heic",
    DOC: "doc",
    XLS: "xls",
    PPT: "ppt",
    DOCX: "docx",
    XLSX: "xlsx",
    PPTX: "pptx",
    ODT: "odt",
    ODS: "ods",
    ODP: "odp",
}
# For the `accept` attribute of a file input: a hint to the browser, the check is ours.
ACCEPT_ATTRIBUTE = ",".join(sorted({f".{ext}" for ext in EXTENSIONS.values()} | {".jpeg"}))

# The main part of each OOXML document, as declared in its [Content_Types].xml. Macro-enabled
# variants (docm, xlsm, pptm) declare other types and are refused.
_OOXML_MAIN_TYPES = {
    DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    PPTX: b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF_TYPES = (ODT, ODS, ODP)
_ZIP_ENTRY_MAX_BYTES = 1024 * 1024  # [Content_Types].xml and mimetype are a few kB at most

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream that makes a compound file a Word, Excel or PowerPoint document; other compound
# files (MSI installers, Outlook messages, encrypted packages) have none of them.
_OLE_STREAMS = (
    ("WordDocument", DOC),
    ("Workbook", XLS),
    ("Book", XLS),
    ("PowerPoint Document", PPT),
)
_OLE_END_OF_CHAIN = 0xFFFFFFFE


class UploadRefused(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the user's name, sanitised, with the extension of the detected type
    content_type: str
    size: int
    data: bytes


def attachment_check(name: str, data: bytes) -> CheckedFile:
    """Accepts a PDF, an image or an office document of at most 5 MiB, judged by its content.

    Raises UploadRefused with a French message saying what to send instead."""
    shown = safe_name(name, "")
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise UploadRefused(_too_large(shown))
    if not data:
        raise UploadRefused(
            f"Le fichier « {shown} » est vide : vérifiez qu'il s'agit du bon fichier et "
            "envoyez-le à nouveau."
        )
    content_type = content_type_detect(data)
    if content_type is None:
        raise UploadRefused(
            f"Le fichier « {shown} » n'est pas d'un type accepté. Envoyez {ACCEPTED_KINDS_TEXT}."
        )
    return CheckedFile(
        name=safe_name(name, EXTENSIONS[content_type]),
        content_type=content_type,
        size=len(data),
        data=data,
    )


def attachment_check_upload(upload: UploadedFile) -> CheckedFile:
    """`attachment_check` for a Django upload; an oversize file is refused unread."""
    name = upload.name or ""
    if upload.size is not None and upload.size > ATTACHMENT_MAX_BYTES:
        raise UploadRefused(_too_large(safe_name(name, "")))
    upload.seek(0)
    return attachment_check(name, upload.read(ATTACHMENT_MAX_BYTES + 1))


def _too_large(shown: str) -> str:
    return (
        f"Le fichier « {shown} » dépasse la taille maximale de 5 Mo par pièce jointe : "
        "réduisez-le (par exemple en l'enregistrant en PDF compressé) ou découpez-le en "
        "plusieurs fichiers."
    )


def content_type_detect(data: bytes) -> str | None:
    """The accepted content type of `data`, or None if it is none of them."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(_OLE_SIGNATURE):
        return _ole_document_type(data)
    if data.startswith(b"PK\x03\x04"):
        return _zipped_document_type(data)
    image = filetype.image_match(data)
    if image is not None and image.mime in EXTENSIONS:
        return image.mime
    return None


def _zipped_document_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and "content.xml" in names:
                declared = _zip_entry(archive, "mimetype").strip().decode("ascii", "replace")
                return declared if declared in _ODF_TYPES else None
            if "[Content_Types].xml" in names:
                types = _zip_entry(archive, "[Content_Types].xml")
                for content_type, main in _OOXML_MAIN_TYPES.items():
                    if b'"' + main + b'"' in types:
                        return content_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        return None
    return None


def _zip_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > _ZIP_ENTRY_MAX_BYTES:
        return b""
    with archive.open(name) as entry:
        return entry.read(_ZIP_ENTRY_MAX_BYTES)  # bounded even if the header lied


def _ole_document_type(data: bytes) -> str | None:
    streams = _ole_stream_names(data)
    return next((kind for name, kind in _OLE_STREAMS if name in streams), None)


def _ole_stream_names(data: bytes) -> set[str]:
    """Names of the streams of a compound file ([MS-CFB]): the directory is a chain of sectors
    found through the FAT, itself listed in the header (enough for files of this size)."""
    if len(data) < 512:
        return set()
    (sector_shift,) = struct.unpack_from("<H", data, 0x1E)
    fat_count, first_directory = struct.unpack_from("<II", data, 0x2C)
    if sector_shift not in (9, 12):
        return set()
    size = 1 << sector_shift

    def sector(index: int) -> bytes:
        start = (index + 1) * size
        return data[start : start + size]

    fat_sectors = struct.unpack_from("<109I", data, 0x4C)[: min(fat_count, 109)]
    fat: list[int] = []
    for index in fat_sectors:
        chunk = sector(index)
        fat.extend(struct.unpack(f"<{len(chunk) // 4}I", chunk[: len(chunk) // 4 * 4]))

    names: set[str] = set()
    current, seen = first_directory, set()
    while current != _OLE_END_OF_CHAIN and current < len(fat) and current not in seen:
        seen.add(current)
        chunk = sector(current)
        for offset in range(0, len(chunk) - 127, 128):
            entry = chunk[offset : offset + 128]
            name_length = struct.unpack_from("<H", entry, 0x40)[0]
            if entry[0x42] == 2 and 2 <= name_length <= 64 and name_length % 2 == 0:
                names.add(entry[: name_length - 2].decode("utf-16-le", "replace"))
        current = fat[current]
    return names


_EXTENSION = re.compile(r"\.(?=[a-z0-9]*[a-z])[a-z0-9]{1,5}$", re.IGNORECASE)
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)
}


def safe_name(name: str, extension: str) -> str:
    """The user's file name without folders, control or invisible characters (such as the
    right-to-left override that disguises "exe"), at most NAME_MAX_LENGTH characters, ending
    with `extension` in place of its own (kept as is when `extension` is empty)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        " " if c.isspace() else c for c in base if c.isspace() or unicodedata.category(c)[0] != "C"
    )
    base = _FORBIDDEN.sub("_", base)
    base = re.sub(r" +", " ", base).strip(" .")
    if extension:
        base = _EXTENSION.sub("", base).rstrip(" .")
    suffix = f".{extension}" if extension else ""
    stem = base[: NAME_MAX_LENGTH - len(suffix)].rstrip(" .") or "document"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem + suffix
