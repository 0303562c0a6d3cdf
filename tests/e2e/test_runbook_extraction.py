"""Issue 27: what `make runbook-smoke` runs is what docs/operations.md says, block by block.

tests/e2e/runbook.py reads the runbook's marked shell blocks; these tests hold the reader to
the file (every marker found, in order, none left unmarked) and the runbook to the smoke (the
settings it fills in, the only blocks it does not run)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.runbook import RUNBOOK, RunbookError, blocks, runbook_blocks

EXAMPLE = """# A runbook

## 1. First

<!-- runbook: settings -->
```sh
SITE_URL=https://example.gov.in   # yours
DB_NAME=coo
```

<!-- runbook: docker -->
```sh
docker-compose up -d
```

<!-- runbook: run -->
```sh
echo one
```

```nginx
location / { proxy_pass http://portal; }
```

## 2. Second

<!-- runbook: journey -->

<!-- runbook: not-run: needs root -->
```bash
apt-get install -y openssl
```

<!-- runbook: run -->
```sh
echo two
```
"""


def test_the_reader_finds_every_marked_block_in_order_with_its_section():
    found = blocks(EXAMPLE)
    assert [(b.kind, b.line, b.section) for b in found] == [
        ("settings", 6, "1. First"),
        ("docker", 12, "1. First"),
        ("run", 17, "1. First"),
        ("journey", 27, "2. Second"),
        ("not-run", 30, "2. Second"),
        ("run", 35, "2. Second"),
    ]
    assert found[2].text == "echo one\n"
    assert found[5].text == "echo two\n"
    assert found[4].reason == "needs root"
    assert found[0].names == ["SITE_URL", "DB_NAME"]


def test_a_shell_block_without_a_marker_is_refused_with_its_line():
    text = EXAMPLE.replace("<!-- runbook: run -->\n```sh\necho two", "```sh\necho two")
    with pytest.raises(RunbookError, match=r"operations.md:34: a shell block without a runbook"):
        blocks(text)


def test_a_bare_fence_counts_as_a_shell_block():
    with pytest.raises(RunbookError, match="without a runbook marker"):
        blocks("## 1\n\n```\nrm -rf /var/lib/coo\n```\n")


def test_a_marker_must_stand_just_before_its_block():
    with pytest.raises(RunbookError, match=r":3: a runbook marker without its block"):
        blocks("## 1\n\n<!-- runbook: run -->\nSome prose.\n\n```sh\necho\n```\n")
    with pytest.raises(RunbookError, match=r":3: a runbook marker without its block"):
        blocks("## 1\n\n<!-- runbook: run -->\n")
    with pytest.raises(RunbookError, match="just before a shell block"):
        blocks("<!-- runbook: run -->\n```nginx\nlisten 80;\n```\n")


def test_an_unknown_marker_is_refused():
    with pytest.raises(RunbookError, match="does not know"):
        blocks("<!-- runbook: maybe -->\n```sh\necho\n```\n")


def test_a_run_block_may_not_call_docker_and_a_docker_block_must():
    with pytest.raises(RunbookError, match="a run block calls Docker"):
        blocks("<!-- runbook: run -->\n```sh\ndocker-compose run --rm migrate\n```\n")
    with pytest.raises(RunbookError, match="a docker block that does not call Docker"):
        blocks("<!-- runbook: docker -->\n```sh\nsystemctl restart coo-web\n```\n")


def test_a_settings_block_holds_only_assignments():
    with pytest.raises(RunbookError, match="only NAME=value lines"):
        blocks("<!-- runbook: settings -->\n```sh\nSITE_URL=x\ncurl $SITE_URL\n```\n")


def test_every_marker_of_the_runbook_is_found_in_order():
    text = RUNBOOK.read_text()
    marker_lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.startswith("<!-- runbook:")
    ]
    found = runbook_blocks()
    # A block's line is its fence's, the line after its marker; the journey's is the marker's.
    assert [b.line - (b.kind != "journey") for b in found] == marker_lines
    fences = [m.start() for m in re.finditer(r"^```(sh|bash)?$", text, flags=re.MULTILINE)]
    assert len(fences) == 2 * sum(b.kind != "journey" for b in found)  # each opened and closed


def test_the_runbook_runs_a_host_block_in_every_step_the_docker_path_has():
    found = runbook_blocks()
    docker_steps = {b.section for b in found if b.kind == "docker"}
    host_steps = {b.section for b in found if b.kind in {"run", "not-run"}}
    # Section 3 is the image: on a host the checkout is the release, and section 4 collects.
    assert docker_steps - host_steps == {"3. The image, or the checkout"}
    assert [b.kind for b in found].count("settings") == 1
    assert [b.kind for b in found].count("journey") == 1
    journey = next(i for i, b in enumerate(found) if b.kind == "journey")
    before = {b.section.split(".")[0] for b in found[:journey] if b.kind == "run"}
    assert before == {"1", "2", "4", "5", "6", "7"}


def test_the_only_blocks_ci_does_not_run_are_dockers_and_these():
    not_run = {b.section: b.reason for b in runbook_blocks() if b.kind == "not-run"}
    assert set(not_run) == {
        "0. The host (without containers)",
        "10. Backups and the restore drill",
        "11. Upgrades",
    }
    assert "test_restore_drill" in not_run["10. Backups and the restore drill"]
    assert "upgrade-smoke" in not_run["11. Upgrades"]


def test_the_smoke_fills_in_exactly_the_runbooks_settings(tmp_path):
    from tests.e2e import runbook_smoke

    (settings,) = [b for b in runbook_blocks() if b.kind == "settings"]
    values = runbook_smoke.settings(tmp_path, {"web": 1, "tsa": 2, "s3": 3})
    assert list(values) == settings.names
    runbook_smoke.check_settings(runbook_blocks(), values)


def test_the_smoke_moves_every_fixed_path_of_the_run_blocks_and_units(tmp_path):
    from tests.e2e import runbook_smoke

    table = runbook_smoke.substitutions(tmp_path, {"web": 1, "tsa": 2, "s3": 3})
    units = (RUNBOOK.parent.parent / "deploy" / "systemd").glob("*.service")
    texts = [b.text for b in runbook_blocks() if b.kind == "run"]
    texts += [unit.read_text() for unit in units]
    for text in texts:
        moved = runbook_smoke.substitute(text, table)
        for path in re.findall(r"(?<![\w.$-])/(?:srv|etc|var|backups)\b[\w/.-]*", moved):
            assert path.startswith(str(tmp_path)), f"{path} is left on the host"
