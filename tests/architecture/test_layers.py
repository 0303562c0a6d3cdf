"""The layers contract (pyproject): the tree keeps it, and upward imports break it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
APPS = [
    "core",
    "reference",
    "accounts",
    "applications",
    "certificates",
    "verification",
    "review",
    "api",
    "coo_portal",
]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(  # noqa: S603 - our own virtualenv's script, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_layers_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("core/upward.py", "import reference.models\n"),
        ("core/durable/upward.py", "from accounts import notifications\n"),
        ("core/upward.py", "from coo_portal import celery\n"),  # the project is the top floor
        ("applications/upward.py", "from coo_portal import metrics\n"),
        ("reference/upward.py", "import accounts.models\n"),
        ("accounts/upward.py", "from applications import workflow\n"),
        ("applications/upward.py", "from certificates import tasks\n"),
        ("certificates/upward.py", "import verification.services\n"),
        ("verification/upward.py", "from review import orchestration\n"),
        ("certificates/upward.py", "from api import webhooks\n"),
        ("review/upward.py", "from api import endpoints\n"),  # siblings stay independent
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    tree = copy_of_the_tree(tmp_path)
    assert lint_imports(tree).returncode == 0  # the copy itself keeps it

    (tree / module).write_text(f"from __future__ import annotations\n\n{upward}")
    result = lint_imports(tree)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, result.stdout


def test_an_import_inside_a_function_counts_too(tmp_path: Path) -> None:
    tree = copy_of_the_tree(tmp_path)
    (tree / "applications" / "upward.py").write_text(
        "def later():\n    from review.views import queue\n\n    return queue\n"
    )
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "applications.upward" in result.stdout
