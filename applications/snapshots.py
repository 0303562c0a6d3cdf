"""What changed since the officer asked for clarification.

When an officer asks for clarification, `snapshot_take` records the application's header
fields, invoices, goods and documents (an ApplicationSnapshot on the clarification event).
When the exporter has resubmitted, `reply_and_changes` compares that record with the
application as it is now and lists each changed field, item and document, for the top of the
officer's review page. A record in the database, rather than a reading of timestamps, also
catches removals and edits in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from .models import (
    LINE_ITEM_FIELDS,
    PARTICULAR_FIELDS,
    Application,
    ApplicationEvent,
    ApplicationSnapshot,
    Status,
)

HEADER_FIELDS = (
    *PARTICULAR_FIELDS,
    "declaration_name",
    "declaration_designation",
    "declaration_place",
    "declaration_date",
)
ITEM_FIELDS = LINE_ITEM_FIELDS


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def snapshot_data(application: Application) -> dict[str, Any]:
    return {
        "fields": {
            name: _text(getattr(application, name))
            for name in HEADER_FIELDS
            if hasattr(application, name)
        },
        "invoices": sorted(f"{i.number} of {i.date:%d %b %Y}" for i in application.invoices.all()),
        "items": {
            str(item.position): {name: _text(getattr(item, name)) for name in ITEM_FIELDS}
            for item in application.items.all()
        },
        "documents": {
            d.sha256: f"{d.get_kind_display()} ({d.original_name})"
            for d in application.documents.all()
        },
    }


def snapshot_take(*, event: ApplicationEvent, application: Application) -> ApplicationSnapshot:
    return ApplicationSnapshot.objects.create(event=event, data=snapshot_data(application))


@dataclass(frozen=True)
class ValueChange:
    """One changed value, as the officer reads it: 'Port of loading: Nhava Sheva -> Mundra'."""

    what: str
    old: str
    new: str

    @staticmethod
    def shown(value: str) -> str:
        return {"": "(blank)", "True": "Yes", "False": "No"}.get(value, value)

    def __str__(self) -> str:
        return f"{self.what}: {self.shown(self.old)} \u2192 {self.shown(self.new)}"


@dataclass
class Changes:
    fields: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    # The old and new values of the changed fields, and of the changed items' fields.
    values: list[ValueChange] = field(default_factory=list)
    item_values: list[ValueChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.items or self.documents)


def _label(name: str) -> str:
    try:
        field = Application._meta.get_field(name)
        return str(getattr(field, "verbose_name", name)).capitalize()
    except FieldDoesNotExist:  # a name no longer on the model is shown as it is
        return name.replace("_", " ").capitalize()


def changes_between(before: dict[str, Any], application: Application) -> Changes:
    now = snapshot_data(application)
    changes = Changes()
    for name, old in before["fields"].items():
        if now["fields"].get(name, "") != old:
            changes.fields.append(_label(name))
            changes.values.append(ValueChange(_label(name), old, now["fields"].get(name, "")))
    if before["invoices"] != now["invoices"]:
        changes.fields.append("Invoices")
        changes.values.append(
            ValueChange("Invoices", "; ".join(before["invoices"]), "; ".join(now["invoices"]))
        )
    for position, old in before["items"].items():
        new = now["items"].get(position)
        if new is None:
            changes.items.append(f"Item {position} removed")
        elif new != old:
            names = [n for n in ITEM_FIELDS if new.get(n) != old.get(n)]
            readable = [n.replace("_", " ") for n in names]
            changes.items.append(f"Item {position} changed: {', '.join(readable)}")
            changes.item_values.extend(
                ValueChange(f"Item {position} {label}", old.get(n, ""), new.get(n, ""))
                for n, label in zip(names, readable, strict=True)
            )
    for position in now["items"].keys() - before["items"].keys():
        changes.items.append(f"Item {position} added")
    for sha, name in now["documents"].items():
        if sha not in before["documents"]:
            changes.documents.append(f"{name} uploaded")
    for sha, name in before["documents"].items():
        if sha not in now["documents"]:
            changes.documents.append(f"{name} deleted")
    return changes


@dataclass
class Reply:
    event: ApplicationEvent  # the resubmission, whose note is the exporter's reply
    question: ApplicationEvent  # the clarification it answers
    changes: Changes | None  # None when no snapshot was taken (before this feature)


def reply_and_changes(application: Application, events: list[ApplicationEvent]) -> Reply | None:
    """The exporter's latest reply to a clarification, while the application is back with
    the officers (submitted or under review), and what changed since the question."""
    if application.status not in {Status.SUBMITTED, Status.UNDER_REVIEW}:
        return None
    question = reply = None
    for event in events:
        if event.to_status == Status.CLARIFICATION_REQUESTED:
            question, reply = event, None
        elif question and event.from_status == Status.CLARIFICATION_REQUESTED:
            reply = event
    if question is None or reply is None:
        return None
    snapshot = ApplicationSnapshot.objects.filter(event=question).first()
    changes = changes_between(snapshot.data, application) if snapshot else None
    return Reply(event=reply, question=question, changes=changes)


@dataclass
class InLieu:
    """A certificate in lieu, as its officer reads it: the certificate it replaces, why, and
    what differs from the application that certificate was issued on."""

    number: str
    original_reference: str
    reason: str
    changes: Changes


def in_lieu_changes(application: Application) -> InLieu | None:
    """What the application in lieu changes from the original (its facts, invoices, goods and
    documents; the declaration is made afresh and left out). None for any other application."""
    if application.replaces_id is None:
        return None
    original = (
        Application.objects.filter(certificate__pk=application.replaces_id)
        .select_related("certificate")
        .first()
    )
    if original is None:
        return None
    before = snapshot_data(original)
    before["fields"] = {
        k: v for k, v in before["fields"].items() if not k.startswith("declaration_")
    }
    return InLieu(
        number=original.certificate.number,
        original_reference=original.reference,
        reason=application.in_lieu_reason,
        changes=changes_between(before, application),
    )
