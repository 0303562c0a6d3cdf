"""Documents stay English (issue 33): certificates, credentials, tax documents and
acknowledgements are printed in the agreements' language whatever the reader chose."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")


def in_english(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` with the default language (LANGUAGE_CODE) active."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper
