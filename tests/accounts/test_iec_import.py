"""python manage.py import_iec FILE.csv"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import IECRecord

pytestmark = pytest.mark.django_db

HEADER = "iec,firm_name,address,pan,email,mobile,status\n"


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "iec.csv"
    path.write_text(header + body)
    return path


def test_import_creates_records_and_normalises_mobile_numbers(tmp_path, capsys):
    path = write(
        tmp_path,
        '0123456789,Alice Exports,"1 Road, Mumbai",AAACA1234E,a@x.example,9812345678,active\n'
        "abcde1234f,Bee Traders,2 Lane,ABCDE1234F,b@x.example,+919812345679,suspended\n",
    )
    call_command("import_iec", str(path))
    assert IECRecord.objects.get(iec="0123456789").mobile == "+919812345678"
    assert IECRecord.objects.get(iec="ABCDE1234F").status == "suspended"
    assert "2 created, 0 updated" in capsys.readouterr().out


def test_importing_an_existing_iec_updates_it(tmp_path):
    call_command(
        "import_iec",
        str(write(tmp_path, "0123456789,Old Name,1 Road,,a@x.example,9812345678,active\n")),
    )
    call_command(
        "import_iec",
        str(write(tmp_path, "0123456789,New Name,1 Road,,a@x.example,9812345678,cancelled\n")),
    )
    record = IECRecord.objects.get(iec="0123456789")
    assert (record.firm_name, record.status) == ("New Name", "cancelled")
    assert IECRecord.objects.count() == 1


def test_row_errors_are_reported_with_line_numbers_and_nothing_is_imported(tmp_path, capsys):
    path = write(
        tmp_path,
        "0123456789,Good,1 Road,,a@x.example,9812345678,active\n"
        "12345,Bad IEC,1 Road,,a@x.example,9812345678,active\n"
        "0123456780,Bad mobile,1 Road,,a@x.example,12345,active\n"
        "0123456781,Bad status,1 Road,,a@x.example,9812345678,dormant\n",
    )
    with pytest.raises(CommandError, match="3 error"):
        call_command("import_iec", str(path))
    err = capsys.readouterr().err
    assert "line 3: iec" in err
    assert "line 4: mobile" in err
    assert "line 5: status" in err
    assert IECRecord.objects.count() == 0


def test_a_wrong_header_is_refused(tmp_path):
    path = write(
        tmp_path,
        "0123456789,Good,1 Road,,a@x.example,9812345678,active\n",
        header="iec,name,address,pan,email,mobile,status\n",
    )
    with pytest.raises(CommandError):
        call_command("import_iec", str(path))
    assert IECRecord.objects.count() == 0
