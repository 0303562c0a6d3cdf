"""Celery tasks of the review app: thin, by id, idempotent."""

from __future__ import annotations

from celery import shared_task

from .exports import report_export_run


@shared_task(name="review.report_export_build", ignore_result=True)
def report_export_build(export_id: str) -> None:
    report_export_run(export_id=export_id)


@shared_task(name="review.rollup_recent", ignore_result=True)
def rollup_recent() -> None:
    """Nightly: rebuild the reports' roll-ups of the last few days (review/rollups.py)."""
    from .rollups import rollup_recent as rebuild

    rebuild()
