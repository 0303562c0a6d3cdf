"""AIFTA's origin criteria lose "PE": it is a code of the ASEAN-Japan agreement, not of AIFTA,
whose Form AI knows "WO" and the regional value content with a change of subheading (issue 29).
"""

from django.db import migrations

WITHOUT = "PE"


def drop_pe(apps, schema_editor):
    TradeAgreement = apps.get_model("reference", "TradeAgreement")
    for agreement in TradeAgreement.objects.filter(code="AIFTA"):
        if WITHOUT in agreement.origin_criteria:
            agreement.origin_criteria = [c for c in agreement.origin_criteria if c != WITHOUT]
            agreement.save(update_fields=["origin_criteria"])


def restore_pe(apps, schema_editor):
    TradeAgreement = apps.get_model("reference", "TradeAgreement")
    for agreement in TradeAgreement.objects.filter(code="AIFTA"):
        if WITHOUT not in agreement.origin_criteria:
            agreement.origin_criteria = [*agreement.origin_criteria, WITHOUT]
            agreement.save(update_fields=["origin_criteria"])


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_agency_tax_profile")]

    operations = [migrations.RunPython(drop_pe, restore_pe)]
