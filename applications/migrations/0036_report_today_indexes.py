# The reports read today's rows raw: "received" today's first submissions of an agency, "fees"
# today's captured payments and tax invoices. Indexes for them, built without blocking writes
# on PostgreSQL.

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0035_decision_days")]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="application",
            index=models.Index(fields=["agency", "first_submitted_at"], name="app_agency_received"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="payment",
            index=models.Index(fields=["captured_at"], name="payment_captured"),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name="taxinvoice",
            index=models.Index(fields=["issued_at"], name="taxinvoice_issued"),
        ),
    ]
