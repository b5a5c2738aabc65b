"""The import contracts of pyproject.toml (``lint-imports``, run by ``make test``) do catch what they forbid.

Each test copies the packages and the configuration to a temporary folder, plants one forbidden
import there, and expects ``lint-imports`` to fail naming it; the untouched copy passes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for package in ("backend", "miniapp_api", "bots"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120)


def plant(where: Path, module: str, line: str) -> None:
    path = where / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_code_as_it_is_keeps_every_contract(checkout):
    result = lint_imports(checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "edge"), [
    ("backend.lists.services", "from flask import current_app  # noqa", "backend.lists.services -> flask"),
    ("backend.records.queries", "from backend.http.extensions import get_session  # noqa",
     "backend.records.queries -> backend.http.extensions"),
    ("backend.evaluation.engine", "import wechatpy  # noqa", "backend.evaluation.engine -> wechatpy"),
    ("backend.platform.errors", "import backend.records.models  # noqa",
     "backend.platform.errors -> backend.records.models"),
    ("backend.lists.services", "from backend.lists import staff_api  # noqa",
     "backend.lists.services -> backend.lists.staff_api"),
    ("miniapp_api.me", "from backend.subjects.models import Account  # noqa",
     "miniapp_api.me -> backend.subjects.models"),
])
def test_a_forbidden_import_breaks_the_contracts(checkout, module, line, edge):
    plant(checkout, module, line)
    result = lint_imports(checkout)
    assert result.returncode != 0
    assert "1 broken" in result.stdout and edge in result.stdout, result.stdout
