"""Production hashes passwords at werkzeug's full strength; only the test process swaps in a cheap one."""

from __future__ import annotations

import subprocess
import sys

from werkzeug import security

import workflows.people

from ..conftest import PRODUCTION_PASSWORD_HASH, ROOT, TEST_PASSWORD_METHOD


def test_people_are_hashed_with_werkzeugs_default_scrypt_outside_the_tests() -> None:
    assert PRODUCTION_PASSWORD_HASH is security.generate_password_hash
    assert workflows.people.generate_password_hash is not PRODUCTION_PASSWORD_HASH  # the tests' swap is in place
    # A process without the tests' conftest: the module hashes as werkzeug does by default.
    code = ("import workflows.people as p, werkzeug.security as s; "
            "assert p.generate_password_hash is s.generate_password_hash; "
            "print(p.generate_password_hash('x').split('$')[0])")
    method = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert method.stdout.strip() == "scrypt:32768:8:1"
    assert TEST_PASSWORD_METHOD != method.stdout.strip()
