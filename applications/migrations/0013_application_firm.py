"""Applications belong to a firm (the IEC holder), not to one login: `firm` is filled from
the filer's exporter profile, `submitted_by` from the filer for everything already submitted,
and then `firm` is required. The exporter indexes give way to the same ones on the firm."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    ExporterProfile = apps.get_model("accounts", "ExporterProfile")
    firm = ExporterProfile.objects.filter(user_id=models.OuterRef("exporter_id"))
    Application.objects.filter(firm__isnull=True).update(
        firm_id=models.Subquery(firm.values("iec_record_id")[:1])
    )
    Application.objects.filter(first_submitted_at__isnull=False, submitted_by__isnull=True).update(
        submitted_by_id=models.F("exporter_id")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_firms_members_agents"),
        ("applications", "0012_payment_notices"),
        ("certificates", "0005_office_and_agency_point_at_reference"),
        ("reference", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="application",
            name="app_exporter_updated",
        ),
        migrations.RemoveIndex(
            model_name="application",
            name="app_exporter_status",
        ),
        migrations.AddField(
            model_name="application",
            name="filed_by_agent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applications",
                to="accounts.agent",
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="firm",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applications",
                to="accounts.iecrecord",
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="firm",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applications",
                to="accounts.iecrecord",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["firm", "-updated_at", "-id"], name="app_firm_updated"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["firm", "status", "-updated_at", "-id"], name="app_firm_status"
            ),
        ),
    ]
