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
from typing import Any

import aiohttp
from asn1crypto import algos, cms, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

# Under 2.999, the arc ITU-T X.660 reserves for examples: the development TSA's tokens assert
# no real policy, and must not borrow another organisation's.
DEVELOPMENT_TSA_POLICY = "2.999.1.1"


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class DevelopmentTimeStamper(DummyTimeStamper):
    """An in-process TSA signing with an ECDSA key of the development CA.

    The parts of a token that depend only on the TSA's certificate (its name, the signer
    identifier, the signing-certificate attribute) are encoded once: asn1crypto re-encodes a
    certificate's names on every use, which made each token cost about 50 ms.
    """

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
        super().__init__(tsa_cert=_asn1(cert), tsa_key=key_info, certs_to_embed=[_asn1(ca)])  # type: ignore[arg-type]  # pyHanko iterates it; a list is what its own tests pass
        self._key = key
        self._tsa_name = _Encoded(
            asn1_x509.GeneralName(name="directory_name", value=self.tsa_cert.subject)
        )
        self._signer_id = _Encoded(
            cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {
                            "issuer": self.tsa_cert.issuer,
                            "serial_number": self.tsa_cert.serial_number,
                        }
                    )
                }
            )
        )
        self._signing_certificate = _Encoded(
            simple_cms_attribute(  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
                "signing_certificate_v2", as_signing_certificate_v2(self.tsa_cert)
            )
        )
        self._certificates = [_Encoded(c) for c in [self.tsa_cert, *self.certs_to_embed]]

    def _build_tst_info(
        self, message_imprint: tsp.MessageImprint, dt: datetime, req: tsp.TimeStampReq
    ) -> tsp.TSTInfo:
        tst_info = {
            "version": "v1",
            "policy": tsp.ObjectIdentifier(DEVELOPMENT_TSA_POLICY),
            "message_imprint": message_imprint,
            "serial_number": get_nonce(),  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
            "gen_time": dt,
            "tsa": self._tsa_name.copy(),
        }
        if req["nonce"].native is not None:
            tst_info["nonce"] = req["nonce"]
        return tsp.TSTInfo(tst_info)

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
                simple_cms_attribute(  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
                    "signing_time", cms.Time({"utc_time": dt.astimezone(UTC)})
                ),
                self._signing_certificate.copy(),
                simple_cms_attribute("message_digest", digest.finalize()),  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
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
    ) -> dict[str, Any]:
        digest_algorithm = algos.DigestAlgorithm({"algorithm": md_algorithm})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": self._signer_id.copy(),
                "digest_algorithm": digest_algorithm,
                "signature_algorithm": algos.SignedDigestAlgorithm(
                    {"algorithm": f"{md_algorithm}_ecdsa"}
                ),
                "signed_attrs": signed_attrs,
                "signature": signature,
            }
        )
        return {
            "version": "v3",
            "digest_algorithms": cms.DigestAlgorithms((digest_algorithm,)),
            "encap_content_info": cms.EncapsulatedContentInfo(
                {
                    "content_type": cms.ContentType("tst_info"),
                    "content": cms.ParsableOctetString(tst_info_data),
                }
            ),
            "certificates": [c.copy() for c in self._certificates],
            "signer_infos": [signer_info],
        }


class _Encoded:
    """An ASN.1 value encoded once; copy() gives a fresh, unparsed object from its bytes,
    which asn1crypto places in a new structure without re-encoding it."""

    def __init__(self, value: Any) -> None:
        self._type = type(value)
        self._der = value.dump()

    def copy(self) -> Any:
        return self._type.load(self._der)


def http_timestamper(*, url: str, username: str, password: str, timeout: int) -> TimeStamper:
    """A client of the TSA at `url`, with HTTP basic credentials if given."""
    auth = aiohttp.BasicAuth(username, password) if username else None
    return HTTPTimeStamper(url, timeout=timeout, auth=auth)
