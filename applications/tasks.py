"""Payment and upload tasks: thin, idempotent, named for the outbox and for celery beat."""

from __future__ import annotations

from celery import shared_task

from .gateway_services import payment_refund_unapplied, payments_reconcile
from .services import upload_check_run


# celery has no types
@shared_task(name="applications.payment_refund_unapplied", ignore_result=True)
def payment_refund_unapplied_task(payment_id: int) -> None:
    payment_refund_unapplied(payment_id=payment_id)


# celery has no types
@shared_task(name="applications.payments_reconcile", ignore_result=True)
def payments_reconcile_task() -> None:
    payments_reconcile()


@shared_task(name="applications.upload_check", ignore_result=True)
def upload_check_task(check_id: int) -> None:
    """An uploaded document's content check, off the web threads (services.upload_check_run;
    the check itself runs in a limited child process, core/sandbox.py)."""
    upload_check_run(check_id=check_id)
