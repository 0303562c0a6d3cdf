"""Issue 33: the messages services and views build with values (a reference, a number of
seconds) are translated like the templates: gettext with named placeholders, not f-strings
that stay English on a Hindi page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from applications import declaration
from applications.models import DeclarationSignature
from applications.workflow import WorkflowError
from tests.applications.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_mobile(alice) -> None:
    User.objects.filter(pk=alice.pk).update(mobile="+919811112222")
    alice.refresh_from_db()


@pytest.fixture
def hindi_alice(alice):
    User.objects.filter(pk=alice.pk).update(language="hi", mobile="+919811112222")
    alice.refresh_from_db()
    return alice


def test_the_declarations_wait_is_told_in_hindi_with_its_reference_and_seconds(
    hindi_alice, ready, django_capture_on_commit_callbacks
):
    DeclarationSignature.objects.filter(application=ready).delete()
    client = signed_in(hindi_alice)
    url = reverse("applications:declaration-sign", args=[ready.reference])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    again = client.post(url, {"send": "1"}, follow=True)
    page = again.content.decode()
    assert DeclarationSignature.objects.filter(application=ready).count() == 1  # one code sent
    assert f"{ready.reference} के लिए एक मिनट से कम समय पहले कोड भेजा गया था" in page
    assert "सेकंड में नया कोड माँग सकते हैं" in page
    assert "was sent less than a minute ago" not in page


def test_the_same_message_stays_english_for_an_english_reader(
    alice, ready, alices_mobile, django_capture_on_commit_callbacks
):
    DeclarationSignature.objects.filter(application=ready).delete()
    with django_capture_on_commit_callbacks(execute=True):
        declaration.declaration_sign_start(application_id=ready.pk, signer=alice)
    with translation.override("en"), pytest.raises(WorkflowError, match="less than a minute"):
        declaration.declaration_sign_start(application_id=ready.pk, signer=alice)
