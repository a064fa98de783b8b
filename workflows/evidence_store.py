"""Where evidence files (佐证材料) live on disk: checked, streamed, content-addressed.

A file is kept once per content, named by its SHA-256 (``<root>/ab/cdef…``), however many
times it is uploaded; the database rows (``workflows.evidence``) carry the display name.
Every file is checked before it is kept: an allowed extension, content that starts the way
that type of file starts (a ``.png`` holding HTML is refused), not empty, not over the size
limit — counted while streaming, so a request that lies about its length is still caught.

Keeping a file is two steps, so that a submission of several files is all or nothing:
``stage`` streams one upload into a temporary file beside the store (refusing it with a
``ValidationError`` and leaving nothing behind), then ``keep`` renames it into place (atomic
on one filesystem) or, when that content is already stored, drops the copy. ``discard``
removes a staged file that will not be kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import Message, ValidationError

CHUNK_BYTES = 64 * 1024
MAX_NAME_CHARS = 120  # a display name longer than this is shortened, keeping its extension
MAX_FILES = 10  # files per submission unless the store is told otherwise

_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # Word 97-2003 and Excel 97-2003 (compound file)
_ZIP = (b"PK\x03\x04",)  # .docx and .xlsx are zip archives with at least one entry


@dataclass(frozen=True)
class FileType:
    """An evidence file type: what it is served as, and how its content must begin."""

    content_type: str
    signatures: tuple[bytes, ...]


FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", (b"%PDF-",)),
    "doc": FileType("application/msword", _OLE),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xls": FileType("application/vnd.ms-excel", _OLE),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "jpg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "zip": FileType("application/zip", (*_ZIP, b"PK\x05\x06")),  # an empty archive is still a zip
}
DEFAULT_EXTENSIONS = tuple(FILE_TYPES)
_SNIFF_BYTES = max(len(s) for t in FILE_TYPES.values() for s in t.signatures)
_STORAGE_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{62}")
# Removed from names: controls, format characters (e.g. U+202E, which shows "gpj.exe" as
# "exe.jpg"), surrogates, private-use and unassigned code points, line separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_REPLACED = frozenset('<>:"|?*')  # characters no Windows file name may hold

# Catalogue key -> English default (``str.format`` template); web/evidence/texts.py translates them.
MESSAGES: dict[str, str] = {
    "evidence.type_not_allowed": "{name}: this type of file cannot be uploaded (allowed: {allowed})",
    "evidence.content_mismatch": "{name}: the content is not a .{extension} file",
    "evidence.empty": "{name}: the file is empty",
    "evidence.too_large": "{name}: the file is larger than {limit}",
    "evidence.nul_in_name": "a file name contains a NUL character",
    "evidence.too_many": "at most {max} files per submission, got {count}",
}


def refused(key: str, **params: object) -> ValidationError:
    """A ValidationError with the evidence message ``key``."""
    return ValidationError(Message(key, MESSAGES[key], params))


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the request gave it: its claimed name, its content, its claimed type.

    The claimed type is never trusted: the stored type follows the (checked) extension.
    """

    filename: str
    stream: BinaryIO
    content_type: str | None = None


@dataclass(frozen=True)
class StagedFile:
    """A checked upload waiting in a temporary file beside the store."""

    filename: str  # the safe display name
    content_type: str
    size: int
    sha256: str
    temp_path: Path

    @property
    def storage_key(self) -> str:
        """Where the content is kept, relative to the store's root (``ab/cdef…``)."""
        return f"{self.sha256[:2]}/{self.sha256[2:]}"


def safe_filename(raw: str) -> str:
    """``raw`` made safe to show and to offer as a download name; ``""`` if nothing is left.

    Folders are dropped (``../../报告.pdf`` → ``报告.pdf``), control and invisible characters
    removed, characters Windows refuses replaced by ``_``, runs of spaces collapsed, leading and
    trailing dots and spaces stripped; Chinese and other letters are kept. Names longer than
    ``MAX_NAME_CHARS`` are shortened before the extension. A NUL is refused, not removed: it
    is never in a real name (``evil.exe\\x00.pdf``).
    """
    if "\x00" in raw:
        raise refused("evidence.nul_in_name")
    name = unicodedata.normalize("NFC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join("_" if ch in _REPLACED else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[:MAX_NAME_CHARS].rstrip(" .")
    return stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip(" .") + "." + extension


def extension_of(filename: str) -> str:
    """The lower-case extension of ``filename`` (``""`` if it has none)."""
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def content_type_for(filename: str) -> str:
    """The type a stored file is served as, from its extension; never anything a browser renders as a page."""
    file_type = FILE_TYPES.get(extension_of(filename))
    return file_type.content_type if file_type else "application/octet-stream"


class EvidenceStore:
    """The evidence files under ``root``, content-addressed by SHA-256.

    ``max_bytes`` is the largest file, ``allowed`` the extensions accepted (a subset of
    ``FILE_TYPES``), ``max_files`` the most files one submission may carry. Nothing is
    created on disk until a file is staged.
    """

    def __init__(
        self, root: Path, max_bytes: int, allowed: frozenset[str], *, max_files: int = MAX_FILES
    ) -> None:
        unknown = set(allowed) - FILE_TYPES.keys()
        if unknown:
            raise ValueError(f"evidence types without a content check: {', '.join(sorted(unknown))}")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.allowed = frozenset(allowed)
        self.max_files = max_files

    def path_for(self, storage_key: str) -> Path:
        """The file holding ``storage_key``'s content; a key of any other shape is refused (ValueError),
        so a row can never point outside the store."""
        if not _STORAGE_KEY.fullmatch(storage_key):
            raise ValueError(f"not an evidence storage key: {storage_key!r}")
        return self.root / storage_key

    def stage(self, upload: Upload) -> StagedFile:
        """Check ``upload`` and stream it into a temporary file beside the store.

        Raises ``ValidationError`` (and leaves no file behind) on a name with a NUL, a type
        not allowed, an empty file, one over ``max_bytes``, or content that does not match
        its extension.
        """
        filename = safe_filename(upload.filename or "")
        extension = extension_of(filename)
        shown = filename or "?"
        if extension not in self.allowed:
            raise refused("evidence.type_not_allowed", name=shown, allowed=", ".join(sorted(self.allowed)))
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-", suffix=".part")
        temp_path = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                size, digest, head = self._copy(upload.stream, out, shown)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        if size == 0:
            temp_path.unlink(missing_ok=True)
            raise refused("evidence.empty", name=shown)
        if not head.startswith(FILE_TYPES[extension].signatures):
            temp_path.unlink(missing_ok=True)
            raise refused("evidence.content_mismatch", name=shown, extension=extension)
        return StagedFile(filename, FILE_TYPES[extension].content_type, size, digest, temp_path)

    def _copy(self, stream: BinaryIO, out: BinaryIO, shown: str) -> tuple[int, str, bytes]:
        """Copy in chunks, hashing and counting; stop as soon as the file is too large."""
        size, digest, head = 0, hashlib.sha256(), b""
        while chunk := stream.read(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise refused("evidence.too_large", name=shown, limit=size_text(self.max_bytes))
            if len(head) < _SNIFF_BYTES:
                head += chunk[: _SNIFF_BYTES - len(head)]
            digest.update(chunk)
            out.write(chunk)
        return size, digest.hexdigest(), head

    def keep(self, staged: StagedFile) -> str:
        """Move a staged file into the store (or drop it if that content is already there); its key."""
        target = self.path_for(staged.storage_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file():
            staged.temp_path.unlink(missing_ok=True)
        else:
            os.replace(staged.temp_path, target)  # atomic: readers see no file or the whole file
        return staged.storage_key

    def discard(self, staged: StagedFile) -> None:
        """Remove a staged file that will not be kept."""
        with contextlib.suppress(OSError):
            staged.temp_path.unlink(missing_ok=True)


def size_text(size: int) -> str:
    """A size for people: ``20971520`` → ``"20 MB"``, ``1536000`` → ``"1.5 MB"``, ``10000`` → ``"9.8 KB"``."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"
