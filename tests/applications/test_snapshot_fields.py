"""What the officer is shown as changed since a clarification was asked for covers every
particular of the application (models.PARTICULAR_FIELDS), the countries of a third-party
invoicer and of a foreign certificate included (they were left out of the snapshot once)."""

from __future__ import annotations

import pytest

from applications.models import PARTICULAR_FIELDS, Application
from applications.snapshots import changes_between, snapshot_data
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_snapshot_holds_every_particular() -> None:
    application = factories.ApplicationFactory(complete=True)
    assert set(PARTICULAR_FIELDS) <= set(snapshot_data(application)["fields"])


@pytest.mark.parametrize("field", ["third_party_country", "foreign_certificate_country"])
def test_a_changed_country_is_shown_to_the_officer(field: str) -> None:
    application = factories.ApplicationFactory(complete=True)
    before = snapshot_data(application)
    Application.objects.filter(pk=application.pk).update(**{field: "SG"})
    application.refresh_from_db()

    changed = [str(change) for change in changes_between(before, application).values]

    assert any("Singapore" in line or "SG" in line for line in changed), changed
