"""The 400 page: one template (templates/errors/400.html), rendered by handler400."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import RequestFactory

from coo_portal.views import bad_request


def test_a_bad_request_renders_the_one_400_template(db):
    response = bad_request(RequestFactory().get("/"))
    assert response.status_code == 400
    assert b"<html" in response.content.lower()


def test_there_is_no_second_400_template_beside_errors():
    templates = Path(settings.BASE_DIR) / "templates"
    assert (templates / "errors" / "400.html").is_file()
    assert not (templates / "400.html").exists()
