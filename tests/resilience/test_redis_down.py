"""Redis unreachable: sign-in, submit and approve answer at once; what they send waits in the
outbox and goes out, once, when the broker is back (issue 18, acceptance 6, in-process part;
test_worker_recovery.py drives a real worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.sms import MemorySMSBackend
from applications import workflow
from applications.models import Application, Status
from certificates.models import Certificate, IssuanceAttempt
from certificates.services import issuance_sweep
from coo_portal.celery import app
from core.durable.models import OutboxMessage
from core.durable.outbox import outbox_drain
from review import services as review_services
from tests.accounts.conftest import login_data
from tests.clients import exporter_client, verified_client
from tests.factories import DEFAULT_PASSWORD

from .conftest import free_port, redis_cache_at, timed

pytestmark = pytest.mark.django_db

QUICK = 2.0  # seconds: "at once" for a page whose broker and cache are down


def waiting_tasks() -> list[str]:
    return sorted(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task", flat=True))


def broker_back(callbacks) -> None:
    """The broker answers again and the periodic drain runs (eagerly, in this process; what
    the tasks queue in turn is published on commit)."""
    app.conf.task_always_eager = True
    with callbacks(execute=True):
        outbox_drain()


def test_with_redis_unreachable_an_exporter_signs_in_at_once(client, alice, redis_unreachable):
    response, seconds = timed(
        lambda: client.post("/accounts/login/", login_data(alice.username, DEFAULT_PASSWORD))
    )

    assert response.status_code == 302
    assert seconds < QUICK
    assert client.get(reverse("applications:list")).status_code == 200


def test_a_session_from_before_the_outage_survives_it(client, alice, settings):
    client.post("/accounts/login/", login_data(alice.username, DEFAULT_PASSWORD))
    settings.CACHES = redis_cache_at(f"redis://127.0.0.1:{free_port()}/0")

    response = client.get(reverse("applications:list"))

    assert response.status_code == 200  # not sent to sign in
    assert response.wsgi_request.user.pk == alice.pk


def test_with_redis_unreachable_the_cache_answers_from_the_database(redis_unreachable):
    cache.set("greeting", "namaste", 60)

    assert cache.get("greeting") == "namaste"
    assert cache.incr(cache.add("n", 0) and "n") == 1


def test_with_the_broker_down_submit_answers_at_once_and_the_acknowledgement_follows_once(
    alice, make_application, redis_unreachable, django_capture_on_commit_callbacks
):
    draft = make_application(status=Status.DRAFT)
    url = reverse("applications:submit", args=[draft.reference])

    with django_capture_on_commit_callbacks(execute=True):
        response, seconds = timed(lambda: exporter_client(alice).post(url))

    assert response.status_code == 302
    assert seconds < QUICK
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    sms = ["accounts.send_sms"] if alice.mobile else []
    assert waiting_tasks() == ["accounts.send_email", *sms]
    assert mail.outbox == []
    assert OutboxMessage.objects.exclude(last_error="").count() == len(waiting_tasks())

    broker_back(django_capture_on_commit_callbacks)
    broker_back(django_capture_on_commit_callbacks)  # a second drain sends nothing twice

    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert draft.reference in mail.outbox[0].subject
    assert len(MemorySMSBackend.outbox) == (1 if alice.mobile else 0)
    assert waiting_tasks() == []
    # Sent messages keep no content (an SMS may carry a one-time code).
    assert all(args == [] for args in OutboxMessage.objects.values_list("args", flat=True))


def test_with_the_broker_down_approve_answers_at_once_and_the_certificate_follows(
    olivia, make_application, redis_unreachable, signing_key, django_capture_on_commit_callbacks
):
    application = make_application()
    workflow.application_start_review(application_id=application.pk, officer=olivia)
    url = reverse("officer:approve", args=[application.reference])

    with django_capture_on_commit_callbacks(execute=True):
        response, seconds = timed(lambda: verified_client(olivia).post(url, {"remark": ""}))

    assert response.status_code == 302
    assert seconds < QUICK
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert "certificates.issue_certificate" in waiting_tasks()
    assert not Certificate.objects.exists()

    broker_back(django_capture_on_commit_callbacks)

    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert Certificate.objects.get(application=application).sequence == 1
    number = application.certificate.number
    assert [m.subject for m in mail.outbox] == [
        f"Application {application.reference} is under review",  # queued while it was down
        f"{application.reference} approved: your certificate of origin is being issued",
        f"Certificate {number} issued for {application.reference}",
    ]
    assert waiting_tasks() == []


def test_a_rolled_back_transition_leaves_nothing_in_the_outbox(
    alice, make_application, django_capture_on_commit_callbacks
):
    draft = make_application(status=Status.DRAFT, paid=False)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(workflow.WorkflowError):
        workflow.application_submit(application_id=draft.pk, exporter=alice)

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


# -- an issuance that was lost --------------------------------------------------------------


def approved_and_lost(application: Application, olivia, callbacks) -> None:
    """Approved while the broker was down, and the queued issuance then lost (a broker that
    came back empty, a message dropped): only the sweep can find it."""
    workflow.application_start_review(application_id=application.pk, officer=olivia)
    with callbacks(execute=True):
        review_services.application_approve(application_id=application.pk, officer=olivia)
    OutboxMessage.objects.filter(task="certificates.issue_certificate").delete()


def test_an_approved_application_without_a_certificate_after_two_minutes_is_flagged_and_swept(
    olivia,
    make_application,
    redis_unreachable,
    signing_key,
    django_capture_on_commit_callbacks,
):
    application = make_application()
    approved_and_lost(application, olivia, django_capture_on_commit_callbacks)
    dashboard = verified_client(olivia)

    assert application.reference not in dashboard.get(reverse("officer:dashboard")).text
    assert issuance_sweep() == []  # approved just now: not late yet

    Application.objects.filter(pk=application.pk).update(
        decided_at=timezone.now() - timedelta(minutes=3)
    )
    page = dashboard.get(reverse("officer:dashboard")).text
    assert "Approved, certificate not issued" in page
    assert application.reference in page

    app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert issuance_sweep() == [application.pk]

    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.reference not in dashboard.get(reverse("officer:dashboard")).text


def test_the_sweep_leaves_alone_an_issuance_that_is_running_or_waiting_for_its_retry(
    olivia, make_application, redis_unreachable, django_capture_on_commit_callbacks
):
    running, retrying = make_application(), make_application()
    for application in (running, retrying):
        approved_and_lost(application, olivia, django_capture_on_commit_callbacks)
    Application.objects.update(decided_at=timezone.now() - timedelta(minutes=10))
    IssuanceAttempt.objects.create(application=running)  # started just now
    attempt = IssuanceAttempt.objects.create(application=retrying)
    IssuanceAttempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(minutes=5),
        finished_at=timezone.now() - timedelta(minutes=5),
        error="OSError()",
    )

    assert issuance_sweep() == []


def test_the_sweep_does_not_queue_twice_what_already_waits_for_the_broker(
    olivia, make_application, redis_unreachable, django_capture_on_commit_callbacks
):
    application = make_application()
    workflow.application_start_review(application_id=application.pk, officer=olivia)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.application_approve(application_id=application.pk, officer=olivia)
    Application.objects.update(decided_at=timezone.now() - timedelta(minutes=10))

    assert issuance_sweep() == []
    assert waiting_tasks().count("certificates.issue_certificate") == 1


def test_an_attempt_killed_mid_way_is_marked_abandoned_shown_so_and_the_issuance_retried(
    olivia,
    make_application,
    redis_unreachable,
    signing_key,
    admin_user,
    django_capture_on_commit_callbacks,
):
    killed, running = make_application(), make_application()
    for application in (killed, running):
        approved_and_lost(application, olivia, django_capture_on_commit_callbacks)
    Application.objects.update(decided_at=timezone.now() - timedelta(minutes=10))
    # A worker killed five minutes into an issuance (past the hard time limit): never finished.
    dead = IssuanceAttempt.objects.create(application=killed)
    IssuanceAttempt.objects.filter(pk=dead.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    alive = IssuanceAttempt.objects.create(application=running)  # began just now

    app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert issuance_sweep() == [killed.pk]

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.abandoned
    assert dead.finished_at is not None
    assert dead.outcome == "abandoned"
    assert (alive.abandoned, alive.finished_at, alive.outcome) == (False, None, "running")
    killed.refresh_from_db()
    assert killed.status == Status.ISSUED  # retried by the sweep
    page = verified_client(admin_user).get(
        reverse("admin:certificates_issuanceattempt_changelist") + "?abandoned__exact=1"
    )
    assert page.status_code == 200
    assert "abandoned" in page.text
    assert "its worker was stopped or lost" in page.text
    assert killed.reference in page.text
    assert running.reference not in page.text
