"""The applications' events, for the apps above them (review orchestrates approve -> issue).

Sent inside the transition's transaction with Signal.send: a receiver's failure rolls the
transition back.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender=Application, application=the approved application (status APPROVED, not committed yet)
application_approved = Signal()
