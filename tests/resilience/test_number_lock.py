"""The office's number lock is held for the reservation only: a certificate that takes long
to render (one huge application) does not hold up the office's other certificates, and the
numbers stay consecutive (issue 17, "number outside the lock"; issue 18 finding 10)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from applications import workflow
from certificates import services
from certificates.models import Certificate, CertificateReservation
from certificates.tasks import issue_certificate_task
from review import services as review_services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def approved(make_application, officer):
    application = make_application()
    workflow.application_start_review(application_id=application.pk, officer=officer)
    review_services.application_approve(application_id=application.pk, officer=officer)
    return application


def test_a_slow_render_does_not_hold_the_office_number_lock(
    make_application, olivia, signing_key, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections need PostgreSQL (DATABASE_URL)")
    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    huge, small = approved(make_application, olivia), approved(make_application, olivia)
    rendering, release = threading.Event(), threading.Event()
    render = services.certificate_render

    def slow_render(*, data):
        if data.number.endswith("/0000001"):
            rendering.set()
            assert release.wait(timeout=60)
        return render(data=data)

    monkeypatch.setattr(services, "certificate_render", slow_render)
    outcome: dict[str, object] = {}

    def issue_huge() -> None:
        try:
            outcome["huge"] = services.certificate_issue(application_id=huge.pk).number
        except BaseException as exc:  # reported by the assertion below
            outcome["huge"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=issue_huge)
    thread.start()
    try:
        assert rendering.wait(timeout=60)
        assert CertificateReservation.objects.filter(application=huge).exists()
        with connection.cursor() as cursor:
            # Waiting on a lock the huge one held would fail here instead of hanging.
            cursor.execute("SET lock_timeout = '3s'")
        small_number = services.certificate_issue(application_id=small.pk).number
    finally:
        release.set()
        thread.join(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")

    assert small_number.endswith("/0000002")
    assert outcome["huge"] == small_number[:-7] + "0000001"
    assert Certificate.objects.count() == 2
