"""The certificates' events, for the apps above (verification) that must hear of them.

certificate_changed is sent inside the transaction of every service that issues, supersedes or
revokes a certificate, with the certificate's number. It is sent with Signal.send, not
send_robust: a receiver that cannot take the change in raises, the exception reaches the
service, and the change is rolled back. A receiver that refuses on purpose raises
CertificateChangeRefused (or a subclass), which the revocation turns into its own message.
"""

from __future__ import annotations

from django.dispatch import Signal

certificate_changed = Signal()


class CertificateChangeRefusedError(Exception):
    """A listener could not take in a certificate's change: the change must not commit."""


def certificate_changed_send(*, number: str) -> None:
    certificate_changed.send(sender=certificate_changed_send, number=number)
