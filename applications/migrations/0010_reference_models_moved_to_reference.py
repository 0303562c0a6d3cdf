# State only: the reference models left for reference/ with their tables; no row is touched.

import django.db.models.deletion
from django.db import migrations, models

MOVED = ['agencyoffice', 'fee', 'hscode', 'issuingagency', 'tradeagreement']


def content_types_follow(apps, schema_editor):
    # Admin log entries and permissions point at content types: relabel them rather than let
    # post_migrate make new ones beside the old.
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label='reference', model=model).exists():
            ContentType.objects.using(db).filter(app_label='applications', model=model).update(
                app_label='reference'
            )


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label='applications', model=model).exists():
            ContentType.objects.using(db).filter(app_label='reference', model=model).update(
                app_label='applications'
            )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_officer_profile_points_at_reference'),
        ('applications', '0009_exporter_search_trigram_indexes'),
        ('certificates', '0005_office_and_agency_point_at_reference'),
        ('reference', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='agencyoffice',
                    name='agency',
                ),
                migrations.AlterField(
                    model_name='application',
                    name='office',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='reference.agencyoffice'),
                ),
                migrations.RemoveField(
                    model_name='fee',
                    name='agreement',
                ),
                migrations.DeleteModel(
                    name='HSCode',
                ),
                migrations.RemoveField(
                    model_name='issuingagency',
                    name='agreements',
                ),
                migrations.AlterField(
                    model_name='application',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='reference.issuingagency'),
                ),
                migrations.AlterField(
                    model_name='application',
                    name='agreement',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reference.tradeagreement'),
                ),
                migrations.DeleteModel(
                    name='AgencyOffice',
                ),
                migrations.DeleteModel(
                    name='Fee',
                ),
                migrations.AlterField(
                    model_name='taxinvoice',
                    name='agency',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reference.issuingagency'),
                ),
                migrations.DeleteModel(
                    name='IssuingAgency',
                ),
                migrations.DeleteModel(
                    name='TradeAgreement',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
