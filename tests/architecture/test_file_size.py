"""issue 25: no file of app code is over 800 lines; a longer one is split along a real seam."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 800
# App code is every Python file of the portal's packages but their migrations; the tests and
# the benchmarks (bench/) are not app code.
PACKAGES = [
    "accounts",
    "api",
    "applications",
    "certificates",
    "coo_portal",
    "core",
    "deploy",
    "reference",
    "review",
    "verification",
]


def lines_of(path: Path) -> int:
    with path.open(encoding="utf-8") as text:
        return sum(1 for _ in text)


def too_long(paths: list[Path], limit: int = LIMIT) -> dict[str, int]:
    return {
        path.relative_to(ROOT).as_posix(): count
        for path in paths
        if (count := lines_of(path)) > limit
    }


def app_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def test_no_file_of_app_code_is_over_800_lines():
    assert too_long(app_files()) == {}


def test_every_package_of_the_portal_is_measured():
    # A package added to the portal is measured too: the list names every top-level package.
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} <= set(PACKAGES)


def test_the_check_sees_a_long_file():
    long_file = ROOT / "tests" / "architecture" / "test_file_size.py"
    assert too_long([long_file], limit=10)
    assert not too_long([long_file], limit=10_000)
