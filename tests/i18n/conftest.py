"""The applications' fixtures, for the pages tested in Hindi."""

from tests.applications.conftest import (  # noqa: F401 - fixtures re-exported
    aifta,
    fees,
    hs_codes,
    ready,
    reference_data,
)
