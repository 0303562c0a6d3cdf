"""Issue 33: the first `make run` prints its progress and starts Django once for its four
set-up steps (demo_setup), not once per step: each start imports the whole portal."""

from __future__ import annotations

import subprocess
from io import StringIO

from django.core.management import call_command

from coo_portal.management.commands import demo_setup

from .test_settings import ROOT, manage_environment


def test_make_run_starts_django_twice_the_set_up_then_the_server():
    dry = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607 - make from PATH
        cwd=ROOT,
        env=manage_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    starts = [line for line in dry.stdout.splitlines() if "manage.py" in line]
    assert len(starts) == 2, starts
    assert "manage.py demo_setup" in starts[0]
    assert "manage.py runserver" in starts[1]


def test_demo_setup_runs_the_four_steps_in_order_and_numbers_them(monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(demo_setup, "call_command", lambda name, **kwargs: ran.append(name))
    out = StringIO()
    call_command("demo_setup", stdout=out)
    assert ran == ["migrate", "seed_reference", "init_signing_keys", "seed_demo"]
    said = out.getvalue()
    assert "== [1/4] migrate" in said
    assert "== [4/4] seed_demo" in said
    assert said.count(" took ") == 4
