"""One writer of the audit trail: only applications.events creates ApplicationEvent rows, and
certificates write theirs (revocation, supersession, in-lieu requests) through it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

APPS = ("accounts", "applications", "certificates", "verification", "review", "reference")
WRITES = re.compile(r"ApplicationEvent\.objects\.(create|bulk_create|get_or_create)")
SETS_REPLACES = re.compile(r"\.replaces(_id)?\s*=[^=]")


def sources(*apps: str):
    base = Path(settings.BASE_DIR)
    for app in apps:
        for path in (base / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield str(path.relative_to(base)), path.read_text()


def test_only_applications_events_writes_events():
    assert [name for name, text in sources(*APPS) if WRITES.search(text)] == [
        "applications/events.py"
    ]


def test_only_the_applications_service_sets_what_an_application_replaces():
    setters = [name for name, text in sources(*APPS) if SETS_REPLACES.search(text)]
    assert setters == ["applications/services.py"]


def test_the_writer_appends_an_event(db, alice):
    from applications.events import application_event_record
    from applications.models import ApplicationEvent
    from tests.officer.factories import submitted_application

    application = submitted_application(exporter=alice, events=0)
    event = application_event_record(application_id=application.pk, actor=alice, note="Hello")
    assert list(ApplicationEvent.objects.filter(application=application)) == [event]
    assert (event.kind, event.actor, event.note) == ("message", alice, "Hello")
