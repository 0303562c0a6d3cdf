"""docs/operations.md as data: its marked command blocks, in order, for `make runbook-smoke`.

Every shell block of the runbook carries a marker on the line before its fence, so that
nothing an operator is told to run escapes CI unnoticed:

    <!-- runbook: run -->        runbook-smoke runs it, in order (on a host, without Docker)
    <!-- runbook: settings -->   the installation's own values (NAME=value lines): runbook-smoke
                                 gives its own value to exactly these names
    <!-- runbook: docker -->     docker-compose only (Docker does not run on the CI machine); it
                                 must call docker or docker-compose
    <!-- runbook: not-run: why --> not run by CI, for the reason given (root on the host, another
                                 machine); tests/e2e/test_runbook_extraction.py lists them all

and one marker without a block, `<!-- runbook: journey -->`, where the operator walks the journey
(register, apply, approve, download, verify): runbook-smoke walks it there, between the blocks
before and the blocks after.

A shell block without a marker, a marker without a block, a `run` block that calls Docker and a
`docker` block that does not are errors, so the runbook cannot drift from what CI runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
MARKER = re.compile(r"^<!-- runbook: (run|settings|docker|journey|not-run: (?P<why>.+?)) -->$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
# Fences of these languages hold commands an operator types; other languages (nginx, json, ini)
# are files or answers, not commands.
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}
DOCKER = re.compile(r"\bdocker(-compose)?\b")
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=")


class RunbookError(ValueError):
    """The runbook's markers and blocks disagree; the message names the line."""


@dataclass(frozen=True)
class Block:
    kind: str  # run, settings, docker, not-run, journey (journey has no text)
    line: int  # the fence's line (the marker's for journey), 1-based
    section: str  # the last "## " heading before it
    text: str = ""
    reason: str = ""  # a not-run block's

    @property
    def names(self) -> list[str]:
        """A settings block's names, in order."""
        return [m.group(1) for m in map(ASSIGNMENT.match, self.text.splitlines()) if m]


def blocks(markdown: str, *, source: str = "docs/operations.md") -> list[Block]:
    """Every marked block and journey point of `markdown`, in order."""
    found: list[Block] = []
    lines = markdown.splitlines()
    section = ""
    pending: tuple[str, str, int] | None = None  # kind, reason, the marker's line
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if line.startswith("## "):
            section = line.removeprefix("## ").strip()
        marker = MARKER.match(line.strip())
        fence = FENCE.match(line)
        if marker:
            if pending:
                raise RunbookError(f"{source}:{pending[2]}: a runbook marker without its block")
            kind = "not-run" if marker.group("why") else marker.group(1)
            if kind == "journey":
                found.append(Block("journey", number, section))
            else:
                pending = (kind, (marker.group("why") or "").strip(), number)
        elif line.lstrip().startswith("<!-- runbook"):
            raise RunbookError(f"{source}:{number}: a runbook marker this reader does not know")
        elif fence:
            end = _closing(lines, index, fence.group("fence"), source)
            text = "\n".join(lines[index + 1 : end]) + "\n"
            shell = fence.group("lang") in SHELL_LANGUAGES
            if pending:
                kind, reason, marked_at = pending
                if not shell or marked_at != number - 1:
                    raise RunbookError(
                        f"{source}:{marked_at}: a runbook marker must be the line just before "
                        "a shell block"
                    )
                found.append(_checked(Block(kind, number, section, text, reason), source))
                pending = None
            elif shell:
                raise RunbookError(
                    f"{source}:{number}: a shell block without a runbook marker (run, settings, "
                    "docker, or not-run: why) on the line before it"
                )
            index = end
        elif pending and line.strip():
            raise RunbookError(f"{source}:{pending[2]}: a runbook marker without its block")
        index += 1
    if pending:
        raise RunbookError(f"{source}:{pending[2]}: a runbook marker without its block")
    return found


def _closing(lines: list[str], start: int, fence: str, source: str) -> int:
    for index in range(start + 1, len(lines)):
        if lines[index].strip() == fence:
            return index
    raise RunbookError(f"{source}:{start + 1}: a code block that is never closed")


def _checked(block: Block, source: str) -> Block:
    where = f"{source}:{block.line}"
    calls_docker = any(DOCKER.search(line.split("#")[0]) for line in block.text.splitlines())
    if block.kind == "run" and calls_docker:
        raise RunbookError(f"{where}: a run block calls Docker; mark it docker and give the host's")
    if block.kind == "docker" and not calls_docker:
        raise RunbookError(f"{where}: a docker block that does not call Docker")
    if block.kind == "settings":
        code = [x for x in block.text.splitlines() if x.strip() and not x.lstrip().startswith("#")]
        if len(code) != len(block.names):
            raise RunbookError(f"{where}: a settings block holds only NAME=value lines")
    return block


def runbook_blocks() -> list[Block]:
    return blocks(RUNBOOK.read_text())
