# The officers' search for a reference from its start reads a range of an index of the
# agency's tabs, not every row holding the trigrams "COO" or "000". The drafts waiting for a
# signature (the exporter's list strip, their dashboard) read the few
# rows where a signature was asked, not every draft of the firm: a partial index, built
# without blocking writes on PostgreSQL (issue 34).

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0032_review_and_fee_days")]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="application",
            index=models.Index(
                fields=["agency", "status", "reference", "office"],
                opclasses=["", "", "varchar_pattern_ops", ""],
                name="app_agency_status_reference",
            ),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="application",
            index=models.Index(
                condition=models.Q(signature_requested_at__isnull=False),
                fields=["firm", "signature_requested_at"],
                name="app_firm_signature_asked",
            ),
        ),
    ]
