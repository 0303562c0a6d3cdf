"""The readers of the environment that coo_portal/settings.py is written with.

A value comes from an environment variable (or, for a secret, from the file that NAME_FILE
names), read by one of these; a bad value stops the start with ImproperlyConfigured naming
the variable. Only the settings call them (tests/architecture/test_environment.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, overload

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


def secret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE.

    Secrets are read without django-environ's `$VAR` interpolation, so a generated secret
    that happens to start with `$` is taken literally.
    """
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


@overload
def text(name: str, default: str) -> str: ...
@overload
def text(name: str, default: None = None) -> str | None: ...
def text(name: str, default: str | None = None) -> str | None:
    """A plain value: NAME as set (an empty string included), else `default`."""
    return os.environ.get(name, default)


def required(name: str) -> str:
    """A value the settings know is set (its name was found among the environment's)."""
    return os.environ[name]


def names_with_prefix(prefix: str) -> dict[str, str]:
    """The variables whose names start with `prefix`, without it, and their values."""
    return {
        name.removeprefix(prefix): value
        for name, value in os.environ.items()
        if name.startswith(prefix)
    }


def flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def whole_number(name: str, default: int) -> int:
    return _parsed(name, default, int, "a whole number")


def number(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def _parsed(name: str, default: T, parse: Callable[[str], T], what: str) -> T:
    """NAME parsed, or `default` when it is unset or empty; a value `parse` refuses stops the
    start, naming the variable and what it must be."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be {what}, not {raw!r}") from exc
