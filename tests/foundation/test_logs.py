"""Issue 27: JSON log lines with a request id (carried into Celery tasks) and a time with its
offset; error reports scrubbed of codes, OTPs, passwords and keys."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from coo_portal import errors, logs


def json_line(message: str, *args: Any, **extra: Any) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *args, extra=extra)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_a_json_line_has_its_time_with_offset_level_logger_message_and_request_id():
    token = logs.request_id.set("req-12345678")
    try:
        line = json_line("issued %s", "EIC/2026/MUM/0000001", reason="none")
    finally:
        logs.request_id.reset(token)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d", line["time"])
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.json"
    assert line["message"] == "issued EIC/2026/MUM/0000001"
    assert line["request_id"] == "req-12345678"
    assert line["reason"] == "none"


@pytest.mark.django_db
def test_each_response_carries_a_request_id_and_keeps_a_proxys_own(client):
    made = client.get("/verify/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/verify/")["X-Request-ID"] != made
    given = client.get("/verify/", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")
    assert given["X-Request-ID"] == "nginx-0123456789abcdef"
    # Anything else is not echoed into the logs: a new id is made.
    odd = client.get("/verify/", HTTP_X_REQUEST_ID="<script>")
    assert odd["X-Request-ID"] != "<script>"


def test_the_request_id_travels_in_the_task_message_and_is_set_around_the_task():
    headers: dict[str, Any] = {}
    token = logs.request_id.set("req-abcdef12")
    try:
        logs._carry_request_id(headers=headers)
    finally:
        logs.request_id.reset(token)
    assert headers["request_id"] == "req-abcdef12"

    class Request:
        is_eager = False
        request_id = "req-abcdef12"

    class Task:
        request = Request()

    logs._restore_request_id(task=Task())
    assert logs.request_id.get() == "req-abcdef12"
    logs._forget_request_id(task=Task())
    assert logs.request_id.get() == "-"


PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----"


def test_the_scrubber_removes_codes_otps_passwords_and_keys_at_any_depth():
    event = {
        "request": {
            "url": "https://coo.example.gov.in/verify/EIC/2026/MUM/0000001/",
            "query_string": "number=EIC%2F2026&code=K7QP9X2M",
            "data": {"password": "hunter2hunter2", "otp": "482913", "iec": "0123456789"},
            "headers": [["Authorization", "Token abc"], ["User-Agent", "curl"]],
            "cookies": {"sessionid": "s3ss10n"},
        },
        "exception": {
            "values": [
                {
                    "stacktrace": {
                        "frames": [
                            {"vars": {"verification_code": "K7QP9X2M", "key_pem": PEM, "n": 3}}
                        ]
                    }
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"loaded {PEM}"}]},
    }
    scrubbed = json.dumps(errors.scrub_event(event))
    for secret in ("K7QP9X2M", "hunter2hunter2", "482913", "abc", "s3ss10n", "MIGHAgEAMBMG"):
        assert secret not in scrubbed, secret
    kept = errors.scrub_event(event)
    assert kept["request"]["data"]["iec"] == "0123456789"
    assert kept["request"]["headers"][1] == ["User-Agent", "curl"]
    assert kept["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["n"] == 3


class Captured(Transport):
    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.envelopes: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.envelopes.append(envelope)


def test_an_error_reported_through_sentry_sdk_arrives_scrubbed(monkeypatch):
    transport = Captured()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=transport,
        before_send=errors.scrub_event,
        default_integrations=False,
    )
    try:
        otp = "".join(["9055", "11"])  # a local variable (not in the source lines sent)
        try:
            raise ValueError(f"OTP check failed for otp={otp}")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    sent = "".join(
        item.payload.get_bytes().decode() for env in transport.envelopes for item in env.items
    )
    assert "OTP check failed" in sent
    assert otp not in sent
