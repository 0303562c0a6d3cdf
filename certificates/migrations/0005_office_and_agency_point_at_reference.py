# State only: the columns already point at the same tables (now reference's models).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0004_certificate_number_trigram_index'),
        ('reference', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='certificate',
                    name='office',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='reference.agencyoffice'),
                ),
                migrations.AlterField(
                    model_name='certificatecounter',
                    name='office',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='reference.agencyoffice'),
                ),
                migrations.AlterField(
                    model_name='certificatereservation',
                    name='office',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='reference.agencyoffice'),
                ),
                migrations.AlterField(
                    model_name='credential',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='credentials', to='reference.issuingagency'),
                ),
            ],
            database_operations=[],
        ),
    ]
