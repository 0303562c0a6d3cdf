"""A staging RFC 3161 time-stamping authority: `openssl ts -reply` behind a small HTTP server.

    python deploy/staging_tsa.py --bind 0.0.0.0:3180 --keys /run/tsa

--keys names a folder with tsa.key and tsa.pem (a certificate with extendedKeyUsage
timeStamping, issued by a CA listed in SIGNING_TRUST_ROOTS) and ca.pem (that CA). Staging only:
production uses an accredited TSA (docs/operations.md). `make prod-smoke` and
`make prod-cluster` run this same server (tests/e2e/prod_smoke.py).
"""

from __future__ import annotations

import argparse
import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

CONFIG = """[tsa]
default_tsa = staging_tsa
[staging_tsa]
serial = {d}/tsaserial
signer_cert = {d}/tsa.pem
certs = {d}/ca.pem
signer_key = {d}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.311.99.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
"""


def make_server(keys: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """The server, not yet serving. Its working folder (the serial file) is a copy of `keys`:
    the mounted one may be read-only."""
    work = Path(tempfile.mkdtemp(prefix="staging-tsa-"))
    for name in ("tsa.key", "tsa.pem", "ca.pem"):
        shutil.copy(keys / name, work / name)
    (work / "tsa.cnf").write_text(CONFIG.format(d=work))
    (work / "tsaserial").write_text("01\n")
    openssl = shutil.which("openssl") or "openssl"
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:  # one serial file, one answer at a time
                (work / "query.tsq").write_bytes(query)
                subprocess.run(  # noqa: S603 - openssl with fixed arguments
                    [openssl, "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq",
                     "-out", "reply.tsr"],
                    cwd=work, check=True, capture_output=True,
                )  # fmt: skip
                reply = (work / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            with (work / "tsa.log").open("a") as out:
                out.write(format % args + "\n")

    return http.server.ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:3180", help="HOST:PORT")
    parser.add_argument(
        "--keys", type=Path, required=True, help="folder of tsa.key, tsa.pem, ca.pem"
    )
    options = parser.parse_args()
    host, _, port = options.bind.rpartition(":")
    make_server(options.keys, host, int(port)).serve_forever()


if __name__ == "__main__":
    main()
