"""Agency administrators work in Django admin, limited to their own agency."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.clients import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(ada):
    ada.user_permissions.set(
        Permission.objects.filter(codename__in=["view_application", "view_payment"])
    )
    return ada


def test_the_agency_administrator_sees_only_their_agencys_applications(
    ada, make_application, fieo_delhi
):
    own = make_application()
    other = make_application(office=fieo_delhi)
    admin = verified_client(ada)
    listing = admin.get(reverse("admin:applications_application_changelist")).content.decode()
    assert own.reference in listing
    assert other.reference not in listing
    other_page = admin.get(reverse("admin:applications_application_change", args=[other.pk]))
    assert other_page.status_code in {302, 403, 404}
    payments = admin.get(reverse("admin:applications_payment_changelist")).content.decode()
    assert own.payments.get().order_id in payments
    assert other.payments.get().order_id not in payments


def test_admin_asks_for_the_second_factor(client, ada):
    client.force_login(ada)  # password only, no authenticator code yet
    response = client.get(reverse("admin:applications_application_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_status_is_never_editable_in_admin(ada, make_application):
    application = make_application()
    ada.is_superuser = True
    ada.save()
    page = verified_client(ada).get(
        reverse("admin:applications_application_change", args=[application.pk])
    )
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
