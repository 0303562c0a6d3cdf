# The models were made by applications/0001; their tables keep those names (db_table). This
# migration only tells Django's state that they now belong to reference: no table is touched.

import django.db.models.deletion
import django_countries.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # The tables are made (and, on an old database, filled) by applications' migrations first.
    dependencies = [
        ('applications', '0009_exporter_search_trigram_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HSCode',
                    fields=[
                        ('code', models.CharField(max_length=6, primary_key=True, serialize=False)),
                        ('description', models.TextField()),
                        ('parent', models.CharField(blank=True, max_length=6)),
                        ('level', models.PositiveSmallIntegerField()),
                        ('section', models.CharField(blank=True, max_length=5)),
                    ],
                    options={
                        'verbose_name': 'HS code',
                        'db_table': 'applications_hscode',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='TradeAgreement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('form_title', models.CharField(help_text="Printed as the certificate's title.", max_length=200)),
                        ('partner_countries', django_countries.fields.CountryField(blank=True, max_length=746, multiple=True)),
                        ('origin_criteria', models.JSONField(default=list)),
                        ('is_active', models.BooleanField(default=True)),
                    ],
                    options={
                        'db_table': 'applications_tradeagreement',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='IssuingAgency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('issues_non_preferential', models.BooleanField(default=True)),
                        ('gstin', models.CharField(blank=True, max_length=15, verbose_name='GSTIN')),
                        ('agreements', models.ManyToManyField(blank=True, related_name='agencies', to='reference.tradeagreement')),
                    ],
                    options={
                        'verbose_name_plural': 'issuing agencies',
                        'db_table': 'applications_issuingagency',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='AgencyOffice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=10)),
                        ('name', models.CharField(max_length=200)),
                        ('city', models.CharField(max_length=100)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offices', to='reference.issuingagency')),
                    ],
                    options={
                        'db_table': 'applications_agencyoffice',
                        'ordering': ['agency__code', 'code'],
                        'constraints': [models.UniqueConstraint(fields=('agency', 'code'), name='agencyoffice_unique_code')],
                    },
                ),
                migrations.CreateModel(
                    name='Fee',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('certificate_type', models.CharField(choices=[('non_preferential', 'Non-preferential'), ('preferential', 'Preferential')], max_length=20)),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=10)),
                        ('currency', models.CharField(default='INR', max_length=3)),
                        ('valid_from', models.DateField()),
                        ('agreement', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fees', to='reference.tradeagreement')),
                    ],
                    options={
                        'db_table': 'applications_fee',
                        'ordering': ['-valid_from'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='fee_amount_positive'), models.UniqueConstraint(fields=('certificate_type', 'agreement', 'valid_from'), name='fee_unique_period')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
