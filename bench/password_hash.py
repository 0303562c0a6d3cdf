"""CPU per password check for the chosen hasher and the alternatives, and per sign-in.

    python bench/password_hash.py [-n 30]

Verifies one password N times with each hasher and prints the median CPU milliseconds
(process time: what a check takes from the server's cores, whatever else runs) and wall
milliseconds. Then signs an exporter in N times through the real sign-in view (CAPTCHA in
test mode, an in-memory SQLite database migrated first) and prints the CPU per sign-in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ["CAPTCHA_TEST_MODE"] = "1"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
)
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.hashers import PortalArgon2PasswordHasher  # noqa: E402
from bench import sitting  # noqa: E402
from tests.factories import ExporterFactory  # noqa: E402

HASHERS = {
    "Argon2id m=19 MiB t=2 p=1 (chosen)": PortalArgon2PasswordHasher(),
    "Argon2id Django default m=100 MiB t=2 p=8": Argon2PasswordHasher(),
    "PBKDF2-SHA256 1,000,000 iterations (before)": PBKDF2PasswordHasher(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="checks per hasher")
    sitting.add_smoke(parser)
    args = parser.parse_args()
    runs = 1 if args.smoke else args.n
    sitting.begin("an in-memory SQLite database of its own, migrated afresh")
    password = "Monsoon-Harbour-7731"  # noqa: S105 - a sample to hash, not a credential
    for name, hasher in HASHERS.items():
        encoded = hasher.encode(password, hasher.salt())
        cpu, wall = [], []
        for _ in range(runs):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            assert hasher.verify(password, encoded)
            cpu.append(time.process_time() - cpu0)
            wall.append(time.perf_counter() - wall0)
        print(
            f"{name:46} CPU {statistics.median(cpu) * 1000:6.1f} ms"
            f"  (min {min(cpu) * 1000:.1f}, max {max(cpu) * 1000:.1f})"
            f"  wall {statistics.median(wall) * 1000:6.1f} ms"
        )

    sign_in_cpu(runs, password)
    sitting.end()


def sign_in_cpu(runs: int, password: str) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    ExporterFactory(username="0123456789", password=password)
    form = {"iec": "0123456789", "password": password, "captcha_0": "x", "captcha_1": "PASSED"}
    cpu = []
    for _ in range(runs):
        client = Client()
        cpu0 = time.process_time()
        response = client.post("/accounts/login/", form)
        cpu.append(time.process_time() - cpu0)
        assert response.status_code == 302, response.status_code
    print(
        f"{'sign-in (POST /accounts/login/, chosen hasher)':46} CPU"
        f" {statistics.median(cpu) * 1000:6.1f} ms  (min {min(cpu) * 1000:.1f},"
        f" max {max(cpu) * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
