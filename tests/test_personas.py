from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_personas_are_who_the_suite_says_they_are(alice, bob, olivia, oscar, ada):
    assert alice.is_exporter
    assert alice.exporter_profile.iec == "0123456789"
    assert alice.exporter_profile.firm_name == "Alice Exports"
    assert bob.exporter_profile.iec == "BOBEX1234B"
    assert olivia.is_officer
    assert olivia.officer_profile.agency.code == "EIC"
    assert olivia.officer_profile.office.code == "MUM"
    assert oscar.officer_profile.agency.code == "FIEO"
    assert ada.role == "agency_admin"
    assert ada.officer_profile.agency == olivia.officer_profile.agency
    assert alice.check_password("correct horse battery staple")
