"""Go's golang.org/x/mod/sumdb/tlog and note, from Debian's golang-golang-x-mod-dev, as an
independent client of the ledger's tiles (``tests/support/tlog_go/verify.go``). Built once per
run with the Debian-packaged sources in GOPATH mode, so nothing is fetched.
PYTEST_DONT_REWRITE"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent / "tlog_go" / "verify.go"
GOPATH = "/usr/share/gocode"  # where Debian's golang-*-dev packages put their sources


def go_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOCACHE": str(workdir / "cache"),
        "GOFLAGS": "",
    }


@functools.cache
def verifier_binary() -> Path:
    """The built client; skipped where Go or x/mod is missing, except in CI, which installs them."""
    go = shutil.which("go")
    if go is None or not (Path(GOPATH) / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("CI"):
            pytest.fail("golang-go and golang-golang-x-mod-dev are missing: .ci/run installs them")
        pytest.skip("Go or golang-golang-x-mod-dev is not installed (apt-get install them)")
    workdir = Path(tempfile.mkdtemp(prefix="ledger-go-"))
    binary = workdir / "verify"
    subprocess.run(
        [go, "build", "-o", str(binary), str(SOURCE)],
        env=go_env(workdir),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return binary


def go_verify(prefix: str, log_key: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the Go client against ``prefix``; its stdout names each check."""
    return subprocess.run(
        [str(verifier_binary()), "-url", prefix, "-log-key", log_key, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
