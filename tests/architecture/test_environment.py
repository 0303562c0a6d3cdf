"""issue 15: the settings read the environment; nothing else in the portal does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "accounts",
    "applications",
    "certificates",
    "coo_portal",
    "core",
    "durable",
    "reference",
]
PACKAGES += ["review", "verification"]
READS = re.compile(r"\bos\.(environ|getenv)\b|\bgetenv\(")
# Where the environment may be touched, and why:
ALLOWED = {
    "coo_portal/settings.py": "the one reader",
    "coo_portal/environment.py": "the readers the settings call (and nothing else does)",
    "coo_portal/test_settings.py": "sets the test run's variables before the settings read them",
}
# Entry points naming their settings module (Django's own idiom) read nothing.
SETTINGS_MODULE = 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")'
# pg_dump and pg_restore inherit the process's environment (PATH, locale) plus libpq's
# variables taken from the settings: the environment is handed on, not read for a setting.
HANDED_ON = '{**os.environ, "PGDATABASE": db["NAME"]}'


def environment_reads(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        stripped = line.replace(SETTINGS_MODULE, "").replace(HANDED_ON, "")
        if READS.search(stripped):
            lines.append(line.strip())
    return lines


def test_nothing_outside_settings_reads_the_environment():
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED or "/migrations/" in relative:
                continue
            reads = environment_reads(path.read_text())
            if reads:
                found[relative] = reads
    assert found == {}


def test_the_check_sees_a_read():
    assert environment_reads('password = os.environ.get("OFFICER_PASSWORD")')
    assert environment_reads('x = os.getenv("X")')
    assert not environment_reads(SETTINGS_MODULE)
