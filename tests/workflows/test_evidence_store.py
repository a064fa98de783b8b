"""The evidence store on disk: what it accepts, what it refuses (leaving nothing), names, dedup, streaming."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from workflows.errors import ValidationError
from workflows.evidence_store import (
    CHUNK_BYTES,
    DEFAULT_EXTENSIONS,
    MAX_NAME_CHARS,
    EvidenceStore,
    Upload,
    content_type_for,
    safe_filename,
)

from .evidence_samples import PNG_HEADER, SAMPLES, pdf_bytes, zip_bytes

MAX_BYTES = 64 * 1024


def make_store(root: Path, max_bytes: int = MAX_BYTES) -> EvidenceStore:
    return EvidenceStore(root / "evidence", max_bytes=max_bytes, allowed=frozenset(DEFAULT_EXTENSIONS))


def upload(name: str, content: bytes) -> Upload:
    return Upload(name, io.BytesIO(content), "application/octet-stream")


def files_under(root: Path) -> list[Path]:
    """Every file anywhere under ``root`` (temporary ones included)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("extension", sorted(SAMPLES))
def test_each_accepted_type_is_kept_under_its_hash_and_typed_by_its_extension(tmp_path, extension):
    store = make_store(tmp_path)
    content, content_type = SAMPLES[extension]
    staged = store.stage(upload(f"整改佐证.{extension.upper()}", content))
    key = store.keep(staged)
    digest = hashlib.sha256(content).hexdigest()
    assert key == f"{digest[:2]}/{digest[2:]}"
    assert store.path_for(key).read_bytes() == content
    assert files_under(tmp_path) == [store.path_for(key)]  # no temporary file left over
    assert (staged.filename, staged.size, staged.content_type) == (f"整改佐证.{extension.upper()}", len(content),
                                                                   content_type)


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("setup.exe", b"MZ\x90\x00", "evidence.type_not_allowed"),
        ("page.html", b"<html><script>alert(1)</script>", "evidence.type_not_allowed"),
        ("no-extension", pdf_bytes(), "evidence.type_not_allowed"),
        ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "evidence.type_not_allowed"),
        (".pdf", pdf_bytes(), "evidence.type_not_allowed"),
        ("报告.pdf", b"<html><body>not a pdf</body></html>", "evidence.content_mismatch"),
        ("照片.png", b"<script>alert(1)</script>" + PNG_HEADER, "evidence.content_mismatch"),
        ("照片.jpg", PNG_HEADER + b"\x00" * 20, "evidence.content_mismatch"),
        ("方案.docx", SAMPLES["doc"][0], "evidence.content_mismatch"),  # a .doc renamed .docx
        ("台账.xls", zip_bytes(), "evidence.content_mismatch"),
        ("空.pdf", b"", "evidence.empty"),
        ("evil.exe\x00.pdf", pdf_bytes(), "evidence.nul_in_name"),
        ("大.pdf", pdf_bytes() + b"x" * MAX_BYTES, "evidence.too_large"),
    ],
)
def test_a_refused_upload_says_why_and_leaves_nothing_on_disk(tmp_path, name, content, key):
    store = make_store(tmp_path)
    with pytest.raises(ValidationError) as refused:
        store.stage(upload(name, content))
    assert refused.value.message is not None and refused.value.message.key == key
    assert files_under(tmp_path) == []


def test_the_size_is_counted_while_streaming_whatever_the_request_claimed(tmp_path):
    class LyingStream(io.RawIOBase):
        """Claims to be short, then keeps giving; records how much each read asked for."""

        def __init__(self) -> None:
            self.asked: list[int] = []
            self.given = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.asked.append(size)
            chunk = (b"%PDF-1.7\n" if self.given == 0 else b"") + b"x" * 1000
            self.given += len(chunk)
            return chunk

    stream = LyingStream()
    store = make_store(tmp_path, max_bytes=10_000)
    with pytest.raises(ValidationError, match="larger than 9.8 KB"):
        store.stage(Upload("报告.pdf", stream, "application/pdf"))
    assert stream.given < 12_000  # stopped soon after the limit, not at the end of the stream
    assert all(0 < size <= CHUNK_BYTES for size in stream.asked)  # never "read everything"
    assert files_under(tmp_path) == []


def test_a_large_file_is_streamed_in_chunks_and_kept_whole(tmp_path):
    content = pdf_bytes() + bytes(range(256)) * 1000  # about 256 KB: several chunks
    store = make_store(tmp_path, max_bytes=1024 * 1024)
    key = store.keep(store.stage(upload("大报告.pdf", content)))
    assert store.path_for(key).read_bytes() == content


def test_the_same_content_is_stored_once(tmp_path):
    store = make_store(tmp_path)
    content = SAMPLES["pdf"][0]
    first = store.keep(store.stage(upload("第一次.pdf", content)))
    second = store.keep(store.stage(upload("第二次.pdf", content)))
    assert first == second
    assert len(files_under(tmp_path)) == 1


def test_a_discarded_staged_file_is_gone(tmp_path):
    store = make_store(tmp_path)
    staged = store.stage(upload("报告.pdf", SAMPLES["pdf"][0]))
    assert staged.temp_path.parent == store.root  # beside the store: the rename is atomic
    store.discard(staged)
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../报告.pdf", "报告.pdf"),
        ("..\\..\\windows\\整改台账.xlsx", "整改台账.xlsx"),
        ("C:\\fakepath\\现场照片.jpg", "现场照片.jpg"),
        ("/etc/passwd", "passwd"),
        ("a\x1b[31mb\r\n.pdf", "a[31mb.pdf"),
        ("invoice\u202egnp.pdf", "invoicegnp.pdf"),  # no right-to-left override to disguise the type
        ('a<b>:"c"|d?*.pdf', "a_b___c__d__.pdf"),
        ("  ..hidden  name . pdf", "hidden name . pdf"),
        ("第一季度　整改  报告.docx", "第一季度 整改 报告.docx"),
    ],
)
def test_file_names_are_made_safe_and_keep_chinese(raw, safe):
    assert safe_filename(raw) == safe


def test_a_very_long_chinese_name_is_shortened_keeping_its_extension(tmp_path):
    name = "关于落实巡察反馈意见整改情况的报告" * 18 + ".pdf"  # 306 characters
    assert len(name) > 300
    store = make_store(tmp_path)
    staged = store.stage(upload(name, SAMPLES["pdf"][0]))
    assert len(staged.filename) == MAX_NAME_CHARS
    assert staged.filename.endswith(".pdf") and staged.filename.startswith("关于落实巡察反馈意见整改情况的报告")
    store.discard(staged)


def test_a_type_outside_the_allowed_list_is_refused_even_if_known(tmp_path):
    store = EvidenceStore(tmp_path, max_bytes=MAX_BYTES, allowed=frozenset({"pdf"}))
    with pytest.raises(ValidationError, match=r"allowed: pdf"):
        store.stage(upload("照片.png", SAMPLES["png"][0]))
    with pytest.raises(ValueError, match="html"):
        EvidenceStore(tmp_path, max_bytes=MAX_BYTES, allowed=frozenset({"pdf", "html"}))


def test_a_storage_key_cannot_point_outside_the_store(tmp_path):
    store = make_store(tmp_path)
    for key in ("../../etc/passwd", "ab/../../x", "/etc/passwd", "AB/" + "c" * 62, "ab/" + "c" * 61):
        with pytest.raises(ValueError):
            store.path_for(key)


def test_content_types_never_render_as_a_page():
    assert content_type_for("报告.PDF") == "application/pdf"
    assert content_type_for("x.html") == "application/octet-stream"
    assert content_type_for("noextension") == "application/octet-stream"
