from __future__ import annotations

from django.urls import path

from . import officer_admin, report_views, verification_views
from . import views as officer_views

app_name = "officer"
urlpatterns = [
    path("", officer_views.queue, name="queue"),
    path("dashboard/", officer_views.dashboard, name="dashboard"),
    path("applications/<str:reference>/", officer_views.review, name="review"),
    path(
        "applications/<str:reference>/start-review/",
        officer_views.start_review,
        name="start-review",
    ),
    path("applications/<str:reference>/release/", officer_views.release, name="release"),
    path("applications/<str:reference>/reassign/", officer_views.reassign, name="reassign"),
    path("applications/<str:reference>/approve/", officer_views.approve, name="approve"),
    path("applications/<str:reference>/reject/", officer_views.reject, name="reject"),
    path("applications/<str:reference>/clarify/", officer_views.clarify, name="clarify"),
    # Verification requests from importing customs (issue 32).
    path("verification-requests/", verification_views.request_queue, name="verification-requests"),
    path(
        "verification-requests/<int:request_id>/",
        verification_views.request_detail,
        name="verification-request",
    ),
    path(
        "verification-requests/<int:request_id>/assign/",
        verification_views.request_assign,
        name="verification-request-assign",
    ),
    path(
        "verification-requests/<int:request_id>/finding/",
        verification_views.request_decide,
        name="verification-request-decide",
    ),
    # Reports (issue 31): agency administrators and platform staff.
    path("reports/", report_views.report_index, name="reports"),
    path("reports/<slug:report>/", report_views.report_page, name="report"),
    path(
        "reports/exports/<uuid:export_id>/",
        report_views.report_export,
        name="report-export",
    ),
    path(
        "reports/exports/<uuid:export_id>/download/",
        report_views.report_export_download,
        name="report-export-download",
    ),
    # The agency administrator's officers (issue 31).
    path("officers/", officer_admin.officer_list, name="officers"),
    path("officers/<int:officer_id>/", officer_admin.officer_detail, name="officer"),
    path(
        "officers/<int:officer_id>/offices/",
        officer_admin.officer_other_offices,
        name="officer-offices",
    ),
    path(
        "officers/<int:officer_id>/deactivate/",
        officer_admin.officer_deactivate,
        name="officer-deactivate",
    ),
    path(
        "officers/<int:officer_id>/reactivate/",
        officer_admin.officer_reactivate,
        name="officer-reactivate",
    ),
    path(
        "officers/<int:officer_id>/reset-authenticator/",
        officer_admin.officer_authenticator_reset,
        name="officer-reset-authenticator",
    ),
]
