"""`Application.status` changes only in applications/workflow.py.

A scan of the project's Python source (tests, migrations and factories aside) for every way to
write the field: attribute assignment, setattr, update()/create()/get_or_create() keywords,
bulk_update field lists, and forms or admin classes that expose it for editing."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "applications",
    "certificates",
    "verification",
    "review",
    "reference",
    "coo_portal",
]
ALLOWED = {Path("applications/workflow.py")}


def source_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in ALLOWED:
                continue
            files.append(relative)
    return files


def status_writes(tree: ast.AST) -> list[int]:
    """Line numbers where something writes a field named `status` of an Application."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    lines.append(node.lineno)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                lines.append(node.lineno)
            if name in {"update", "update_or_create", "bulk_update"}:
                keywords = {k.arg for k in node.keywords}
                strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)}
                if "status" in keywords or (name == "bulk_update" and "status" in strings):
                    lines.append(node.lineno)
    return lines


def application_modules(path: Path) -> bool:
    text = (ROOT / path).read_text()
    return "Application" in text or "applications" in text


def test_the_scan_finds_the_writes_it_looks_for():
    sample = ast.parse(
        "a.status = 'x'\n"
        "setattr(a, 'status', 'x')\n"
        "Application.objects.filter(pk=1).update(status='x')\n"
        "Application.objects.bulk_update(rows, ['status'])\n"
        "Application.objects.update_or_create(pk=1, defaults={}, status='x')\n"
    )
    assert status_writes(sample) == [1, 2, 3, 4, 5]


def test_only_the_workflow_writes_application_status():
    offenders = []
    for path in source_files():
        if not application_modules(path):
            continue
        text = (ROOT / path).read_text()
        for line in status_writes(ast.parse(text)):
            source = text.splitlines()[line - 1]
            # Other models have a status of their own (IEC records, certificates, payments);
            # a write counts when the line names an application.
            if "application" in source.lower() or "Application" in text.splitlines()[line - 2]:
                offenders.append(f"{path}:{line}: {source.strip()}")
    assert offenders == [], "Application.status must change only in applications/workflow.py"


def test_the_workflow_really_is_where_status_changes():
    tree = ast.parse((ROOT / "applications/workflow.py").read_text())
    assert status_writes(tree), "the scan no longer recognises the workflow's own write"


def test_no_form_or_admin_lets_status_be_edited():
    from django.contrib import admin
    from django.forms import ModelForm
    from django.test import RequestFactory

    from applications.models import Application
    from tests.factories import UserFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True)
    model_admin = admin.site._registry.get(Application)
    if model_admin is not None and model_admin.has_change_permission(request):
        assert "status" in model_admin.get_readonly_fields(request), (
            "the admin must show Application.status read-only"
        )
    import applications.forms as exporter_forms
    import review.forms as officer_forms

    for module in (exporter_forms, officer_forms):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ModelForm)
                and value._meta.model is Application
            ):
                assert "status" not in value.base_fields, value
