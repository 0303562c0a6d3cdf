"""The password hasher: Argon2id at OWASP's first recommended setting.

OWASP's Password Storage Cheat Sheet: Argon2id with 19 MiB of memory, 2 passes and 1 lane
(m=19456, t=2, p=1). Django's own Argon2 defaults (100 MiB, 8 lanes) cost several times the CPU
and memory per check; PBKDF2 at Django's 1,000,000 iterations costs ~230 ms a check here.
Measured with bench/password_hash.py (figures in bench/README.md).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Keeps the algorithm name "argon2", so a hash made with other parameters is still read
    and is re-made with these at the next sign-in (must_update compares them)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
