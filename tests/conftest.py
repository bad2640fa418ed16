"""Shared test fixtures.

The third-party log corpus lives outside the repository, in ``../shared/corpus/s3-access-logs``
(see its SOURCES.md). Tests that use it skip when it is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_CORPUS_IN_SHARED = Path("shared", "corpus", "s3-access-logs")


def _main_checkout(repo: Path) -> Path:
    """The main checkout of ``repo``: itself, or for a linked git worktree (whose ``.git`` is
    a file ``gitdir: <main>/.git/worktrees/<name>``) the checkout it was added from, next to
    which ``shared/`` lives."""
    dot_git = repo / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text.removeprefix("gitdir:").strip())
            if gitdir.parent.name == "worktrees":
                return gitdir.parent.parent.parent
    return repo


CORPUS_DIR = Path(
    os.environ.get("S3LOGS_CORPUS_DIR", _main_checkout(REPO_ROOT).parent / _CORPUS_IN_SHARED)
)
_NOT_LOGS = re.compile(r"\.(json|jsonl|md|tsv)$")


def corpus_log_files() -> list[Path]:
    """Every log file of the corpus (not its expected outputs or notes), sorted."""
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file() and not _NOT_LOGS.search(p.name))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"log corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at fake credentials so no test can reach a real account by accident."""
    if os.environ.get("S3LOGS_LIVE_AWS") == "1":
        return
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
