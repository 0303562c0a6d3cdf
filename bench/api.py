"""Filing API latency: create a complete draft, upload its two documents, pay from the wallet
and submit, N times, and print p50/p95/p99 of create and of submit, and of the whole filing.

    python bench/api.py [-n 200]          # the embedded default: SQLite in a temporary folder
    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/api.py -n 200
    python bench/api.py --smoke           # 3 filings: checks that it runs

In-process through Django's test client (the whole middleware stack, the token's auth, the
idempotency record, the forms, services and the outbox), without an HTTP server: the figures
are the portal's own work per call, not the network's. With DATABASE_URL the database is used
dropped and created afresh (give it one of its own).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="coo-bench-api-")
atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["VAR_DIR"] = VAR_DIR
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("API_RATE_WRITE", "100000/m")
os.environ.setdefault("API_RATE_READ", "100000/m")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.api_tokens import api_token_create  # noqa: E402
from accounts.models import ExporterProfile, FirmMember  # noqa: E402
from applications.models import Application  # noqa: E402
from applications.services import upload_check_run  # noqa: E402
from bench import sitting  # noqa: E402
from tests import factories  # noqa: E402
from tests.applications.conftest import tiny_pdf  # noqa: E402
from tests.applications.wallet_helpers import fund  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def body(iec: str, n: int) -> dict:
    today = timezone.localdate()
    return {
        "iec": iec,
        "certificate_type": "non_preferential",
        "destination_country": "US",
        "office": "EIC/MUM",
        "client_reference": f"BENCH-{n}",
        "parties": {
            "consignee_name": "Acme Imports Inc",
            "consignee_address": "1 Harbor Way, Newark NJ",
            "consignee_country": "US",
        },
        "transport": {
            "transport_mode": "sea",
            "vessel_or_flight": "MV Ganga",
            "port_of_loading": "Nhava Sheva",
            "port_of_discharge": "Newark",
            "departure_date": (today + timedelta(days=10)).isoformat(),
        },
        "declaration": {
            "declaration_name": "Bench Signatory",
            "declaration_designation": "Director",
            "declaration_place": "Mumbai",
            "declaration_date": today.isoformat(),
            "declaration_accepted": True,
        },
        "invoices": [{"number": f"INV-{n}", "date": today.isoformat()}],
        "goods": [
            {
                "package_count": 10,
                "package_kind": "cartons",
                "description": "Cotton T-shirts",
                "hs_code": "61091000",
                "quantity": "500",
                "unit": "pcs",
                "gross_weight_kg": "120.5",
                "fob_value": "2500.00",
            }
        ],
    }


def seed(filings: int) -> tuple[str, str]:
    """A firm (its administrator's token) with a wallet for `filings` fees; EIC Mumbai."""
    call_command("migrate", verbosity=0)
    office = factories.OfficeFactory(
        agency=factories.AgencyFactory(code="EIC", name="Export Inspection Council"),
        code="MUM",
        name="EIA Mumbai",
    )
    office.agency.issues_non_preferential = True
    office.agency.save()
    factories.FeeFactory()
    factories.HSCodeFactory()
    user = factories.ExporterFactory(username=f"{int(time.time()) % 10**10:010d}")
    # The declaration is signed with a code sent to a verified mobile (issue 33).
    user.mobile = "+919800000099"
    user.save(update_fields=["mobile"])
    ExporterProfile.objects.filter(user=user).update(mobile_verified_at=timezone.now())
    fund(user, 200 * filings + 200)
    _, raw = api_token_create(user=user, name="bench", scopes=["read", "draft", "submit"], days=1)
    return FirmMember.objects.get(user=user).firm.iec, raw


def sign(reference: str) -> None:
    """The declaration signed as the code sent by SMS would sign it, outside the timed calls:
    the portal sends one code a minute to a person, and the bench files faster than that."""
    factories.declaration_sign(Application.objects.get(reference=reference))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="filings (200)")
    parser.add_argument("--smoke", action="store_true", help="3 filings, to check it runs")
    args = parser.parse_args()
    n = 3 if args.smoke else args.n
    # Its own database, made afresh: a filing bench that starts from an earlier run's firms,
    # wallets and references measures something else (and failed on a reused database).
    state = [sitting.fresh_database(os.environ.get("DATABASE_URL", ""))]
    if os.environ.get("REDIS_URL"):
        state.append(sitting.fresh_redis(os.environ["REDIS_URL"]))
    sitting.begin("; ".join(state))
    iec, raw = seed(n)
    client = Client()
    auth = {"Authorization": f"Bearer {raw}"}
    pdf = tiny_pdf()
    creates: list[float] = []
    submits: list[float] = []
    wholes: list[float] = []
    for i in range(n):
        start = time.perf_counter()
        answer = client.post(
            "/api/v1/applications",
            body(iec, i),
            content_type="application/json",
            headers={**auth, "Idempotency-Key": f"create-{i}"},
        )
        creates.append(time.perf_counter() - start)
        assert answer.status_code == 201, answer.content
        reference = answer.json()["reference"]
        for kind in ("commercial_invoice", "packing_list"):
            upload = SimpleUploadedFile(f"{kind}.pdf", pdf, content_type="application/pdf")
            answer = client.post(
                f"/api/v1/applications/{reference}/documents",
                {"kind": kind, "file": upload},
                headers=auth,
            )
            # 202: checked off the web threads. The worker's part is done here, outside the
            # timed call (without Redis the eager task has already done it: a no-op), then the
            # outcome read from the check's status URL, as a client would.
            assert answer.status_code == 202, answer.content
            upload_check_run(check_id=answer.json()["id"])
            answer = client.get(answer.json()["status_url"], headers=auth)
            assert answer.json()["state"] == "accepted", answer.content
        answer = client.post(f"/api/v1/applications/{reference}/fee/wallet", headers=auth)
        assert answer.status_code == 200, answer.content
        sign(reference)
        before = time.perf_counter()
        answer = client.post(
            f"/api/v1/applications/{reference}/submit",
            headers={**auth, "Idempotency-Key": f"submit-{i}"},
        )
        submits.append(time.perf_counter() - before)
        wholes.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.content
    engine = django.db.connection.vendor
    print(f"{n} filings on {engine}{' with Redis' if os.environ.get('REDIS_URL') else ''}")
    for name, values in (("create", creates), ("submit", submits), ("whole", wholes)):
        ms = [v * 1000 for v in values]
        print(
            f"{name:>7}: p50 {statistics.median(ms):7.1f} ms  p95 {percentile(ms, 95):7.1f} ms"
            f"  p99 {percentile(ms, 99):7.1f} ms"
        )
    sitting.end()


if __name__ == "__main__":
    main()
