# State only: the columns already point at the same tables (now reference's models).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_iec_manage_exporter_accounts_permission'),
        ('reference', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='officerprofile',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='officers', to='reference.issuingagency'),
                ),
                migrations.AlterField(
                    model_name='officerprofile',
                    name='office',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='officers', to='reference.agencyoffice'),
                ),
            ],
            database_operations=[],
        ),
    ]
