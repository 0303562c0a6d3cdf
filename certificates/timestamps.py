"""RFC 3161 time-stamping clients: the configured authority (TSA_URL), or an in-process one.

Every signature carries a timestamp token from a time-stamping authority (PAdES B-T and up):
it proves when the document was signed, so that a certificate signed before its agency's key
was revoked stays valid after the revocation.

The development TSA answers in-process with a key of the development CA, so that `make run`
needs no other service. pyHanko's own DummyTimeStamper is RSA-only and loads its key again on
every token (about 36 ms for RSA-2048); this one signs with an ECDSA P-256 key loaded once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from asn1crypto import algos, cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class DevelopmentTimeStamper(DummyTimeStamper):
    """An in-process TSA signing with an ECDSA key of the development CA."""

    def __init__(
        self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, ca: x509.Certificate
    ) -> None:
        key_info = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        super().__init__(tsa_cert=_asn1(cert), tsa_key=key_info, certs_to_embed=[_asn1(ca)])
        self._key = key

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        # The same signed attributes as the parent's, signed with our ECDSA key, not RSA.
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": dt.astimezone(UTC)})),
                simple_cms_attribute(
                    "signing_certificate_v2", as_signing_certificate_v2(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._key.sign(
            signed_attrs.dump(), ec.ECDSA(get_pyca_cryptography_hash(md_algorithm))
        )
        return signature, signed_attrs

    def _build_signed_data(
        self,
        tst_info_data: bytes,
        md_algorithm: str,
        signature: bytes,
        signed_attrs: cms.CMSAttributes,
    ) -> dict:
        signed_data = super()._build_signed_data(
            tst_info_data, md_algorithm, signature, signed_attrs
        )
        signer_info = signed_data["signer_infos"][0]
        signer_info["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": f"{md_algorithm}_ecdsa"}
        )
        return signed_data


def http_timestamper(*, url: str, username: str, password: str, timeout: int) -> TimeStamper:
    """A client of the TSA at `url`, with HTTP basic credentials if given."""
    auth = aiohttp.BasicAuth(username, password) if username else None
    return HTTPTimeStamper(url, timeout=timeout, auth=auth)
