"""requirements.lock is what `make install` installs (uv, or pip as the fallback), hashes
checked: it must pin every dependency of pyproject.toml at the same version, each with a hash."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, tuple[str, int]]:
    """Each locked package: its version and how many hashes it carries."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^ \\]+)", line)
        if match:
            current = normalise(match.group(1))
            entries[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def test_the_lock_pins_every_dependency_of_pyproject_at_its_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["dev"]
    lock = locked()
    assert len(lock) > len(pins)  # the transitive dependencies are locked too
    for pin in pins:
        name, version = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(.+)$", pin).groups()
        assert normalise(name) in lock, f"{name} is not in requirements.lock: run `make lock`"
        assert lock[normalise(name)][0] == version, (
            f"{name} is {version} in pyproject.toml but {lock[normalise(name)][0]} in "
            "requirements.lock: run `make lock`"
        )


def test_every_locked_package_carries_a_hash():
    for name, (_version, hashes) in locked().items():
        assert hashes >= 1, f"{name} has no hash in requirements.lock"


def test_make_install_installs_the_lock_with_hashes_through_uv_or_pip():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(STAMP): pyproject.toml $(LOCK)" in makefile
    assert "uv pip install --python $(BIN)/python --require-hashes -r $(LOCK)" in makefile
    assert "pip install --disable-pip-version-check --progress-bar on --require-hashes" in makefile
