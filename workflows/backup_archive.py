"""The backup file: one gzip-compressed tar holding a manifest, the database and the evidence files.

Layout (member names, in this order)::

    manifest.json              what the backup holds, with a SHA-256 for every other member
    database.sqlite3           a SQLite snapshot (online backup API), or
    database.pgdump            ``pg_dump --format=custom`` of the PostgreSQL database
    evidence/ab/cdef…          every file of the evidence store, under its storage key

The file is written beside its final name and renamed into place once complete, so a backup
interrupted half-way never looks like one. Reading unpacks every member into a folder, checking
its name, its type (regular files only) and its SHA-256 against the manifest: a damaged, truncated
or tampered file is refused before anything is restored.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DomainError

FORMAT = "rectiflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
EVIDENCE_PREFIX = "evidence/"
_STORAGE_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{62}")
_CHUNK = 1024 * 1024
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class BackupError(DomainError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Unpacked:
    """A backup file read and checked: its manifest, its database file and evidence files on disk."""

    manifest: dict[str, Any]
    database: Path
    evidence: dict[str, Path]  # storage key -> unpacked file

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``: the database the backup was taken of."""
        return str(self.manifest["database"]["kind"])


def file_digest(path: Path) -> tuple[int, str]:
    """``(size, sha256 hex)`` of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def evidence_files(root: Path) -> dict[str, Path]:
    """The evidence store's files by storage key (``ab/cdef…``); temporary uploads are not evidence."""
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.glob("??/*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and _STORAGE_KEY.fullmatch(key):
            found[key] = path
    return found


def write_archive(output: Path, manifest: dict[str, Any], database: Path, evidence: dict[str, Path]) -> None:
    """Write the backup file ``output`` atomically (a temporary file renamed into place)."""
    output = output.absolute()
    handle, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
                archive.add(database, arcname=DATABASE_FILES[manifest["database"]["kind"]], recursive=False)
                for key, path in evidence.items():
                    archive.add(path, arcname=EVIDENCE_PREFIX + key, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    archive.addfile(info, _BytesReader(content))


class _BytesReader:
    def __init__(self, content: bytes) -> None:
        self.content, self.offset = content, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.content) if size < 0 else self.offset + size
        chunk, self.offset = self.content[self.offset:end], min(end, len(self.content))
        return chunk


def read_archive(path: Path, folder: Path) -> Unpacked:
    """Unpack and check the backup file ``path`` into ``folder``; raises ``BackupError`` if it is not
    a whole, untampered Rectiflow backup (every member's SHA-256 is checked against the manifest)."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            manifest, files = _unpack(archive, folder, path)
            # tarfile stops at the first header it cannot read, as if the archive ended there; reading
            # the rest makes gzip check its CRC and length, so damage anywhere is found.
            assert archive.fileobj is not None
            while archive.fileobj.read(_CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{path} is not a readable backup: damaged or truncated ({exc})") from None
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    return _checked(path, manifest, files)


def _unpack(archive: tarfile.TarFile, folder: Path, path: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    manifest: dict[str, Any] | None = None
    files: dict[str, Path] = {}
    for member in archive:
        name = member.name
        allowed = name == MANIFEST or name in DATABASE_FILES.values() or (
            name.startswith(EVIDENCE_PREFIX) and _STORAGE_KEY.fullmatch(name.removeprefix(EVIDENCE_PREFIX)))
        if not member.isfile() or not allowed or name in files:
            raise BackupError(f"{path} is not a Rectiflow backup: unexpected member {name!r}")
        stream = archive.extractfile(member)
        assert stream is not None  # a regular file
        if name == MANIFEST:
            manifest = _load_manifest(stream.read(_MAX_MANIFEST_BYTES + 1), path)
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
        files[name] = target
    if manifest is None:
        raise BackupError(f"{path} is not a Rectiflow backup: it has no {MANIFEST}")
    return manifest, files


def _load_manifest(content: bytes, path: Path) -> dict[str, Any]:
    try:
        if len(content) > _MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = json.loads(content)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError("not a Rectiflow backup manifest")
    except ValueError as exc:
        raise BackupError(f"{path}: its manifest is unreadable ({exc})") from None
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format version {version!r}, this Rectiflow reads version {FORMAT_VERSION}")
    return manifest


def _checked(path: Path, manifest: dict[str, Any], files: dict[str, Path]) -> Unpacked:
    try:
        database = manifest["database"]
        kind = database["kind"]
        expected = {DATABASE_FILES[kind]: (database["bytes"], database["sha256"])}
        for entry in manifest["evidence"]:
            expected[EVIDENCE_PREFIX + entry["path"]] = (entry["bytes"], entry["sha256"])
        if not isinstance(manifest["tables"], dict) or not isinstance(manifest["schema_revision"], str):
            raise TypeError("tables or schema_revision")
    except (KeyError, TypeError) as exc:
        raise BackupError(f"{path}: its manifest is incomplete ({exc})") from None
    missing = sorted(set(expected) - set(files))
    extra = sorted(set(files) - set(expected))
    if missing or extra:
        raise BackupError(f"{path} does not hold what its manifest lists "
                          f"(missing: {', '.join(missing) or 'none'}; not listed: {', '.join(extra) or 'none'})")
    damaged = [name for name, file in files.items() if file_digest(file) != tuple(expected[name])]
    if damaged:
        raise BackupError(f"{path}: {', '.join(sorted(damaged))} differ from the manifest's SHA-256 "
                          "(the file was altered or damaged)")
    evidence = {name.removeprefix(EVIDENCE_PREFIX): file for name, file in files.items()
                if name.startswith(EVIDENCE_PREFIX)}
    return Unpacked(manifest, files[DATABASE_FILES[kind]], evidence)


@contextlib.contextmanager
def scratch_folder(near: Path | None = None) -> Iterator[Path]:
    """A temporary folder (beside ``near`` when given, so renames stay on one file system), removed after."""
    folder = Path(tempfile.mkdtemp(prefix=".rectiflow-backup-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
