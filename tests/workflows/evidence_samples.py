"""Sample evidence files of every accepted type, built in memory, for the evidence tests."""

from __future__ import annotations

import io
import zipfile

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def zip_bytes(member: str = "word/document.xml", body: bytes = b"<w:document/>") -> bytes:
    """A real zip archive with one member (what .docx, .xlsx and .zip files are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, body)
    return buffer.getvalue()


def pdf_bytes(text: str = "整改报告") -> bytes:
    """Enough of a PDF to start like one."""
    return b"%PDF-1.7\n" + text.encode("utf-8") + b"\n%%EOF\n"


# extension -> (content, content type it is served as)
SAMPLES: dict[str, tuple[bytes, str]] = {
    "pdf": (pdf_bytes(), "application/pdf"),
    "doc": (OLE_HEADER + b"\x00" * 504, "application/msword"),
    "docx": (zip_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xls": (OLE_HEADER + b"\x01" * 504, "application/vnd.ms-excel"),
    "xlsx": (zip_bytes("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff\xe1\x00\x10Exif\x00" + b"\x00" * 100, "image/jpeg"),
    "png": (PNG_HEADER + b"\x00\x00\x00\rIHDR" + b"\x00" * 50, "image/png"),
    "zip": (zip_bytes("照片/现场.jpg", b"\xff\xd8\xff"), "application/zip"),
}
