from __future__ import annotations

from django.urls import path

from . import views

app_name = "applications"

ref = "<str:reference>/"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("hs-codes/", views.hs_lookup, name="hs-lookup"),
    path("payments/sandbox/<str:order_id>/", views.payment_sandbox, name="payment-sandbox"),
    path("payments/return/", views.payment_return, name="payment-return"),
    path("payments/notify/", views.payment_notify, name="payment-notify"),
    path(ref, views.application_detail, name="detail"),
    path(ref + "tasks/", views.application_tasks, name="tasks"),
    path(ref + "parties/", views.application_section, {"section": "parties"}, name="parties"),
    path(ref + "transport/", views.application_section, {"section": "transport"}, name="transport"),
    path(
        ref + "declaration/",
        views.application_section,
        {"section": "declaration"},
        name="declaration",
    ),
    path(ref + "invoices/", views.application_invoices, name="invoices"),
    path(ref + "invoices/<int:invoice_id>/remove/", views.invoice_remove, name="invoice-remove"),
    path(ref + "goods/", views.goods, name="goods"),
    path(ref + "goods/add/", views.item_edit, name="item-add"),
    path(ref + "goods/<int:item_id>/", views.item_edit, name="item-edit"),
    path(ref + "goods/<int:item_id>/remove/", views.item_remove, name="item-remove"),
    path(ref + "goods/upload/", views.goods_upload, name="goods-upload"),
    path(ref + "goods/template.csv", views.goods_template, name="goods-template"),
    path(ref + "documents/", views.documents, name="documents"),
    path(ref + "documents/<int:document_id>/", views.document_view, name="document"),
    path(
        ref + "documents/<int:document_id>/remove/", views.document_remove, name="document-remove"
    ),
    path(ref + "check/", views.application_check, name="check"),
    path(ref + "pay/", views.payment_start, name="pay"),
    path(ref + "receipt/", views.payment_receipt, name="receipt"),
    path(ref + "submit/", views.application_submit, name="submit"),
    path(ref + "confirmation/", views.application_confirmation, name="confirmation"),
    path(ref + "withdraw/", views.application_withdraw, name="withdraw"),
    path(ref + "copy/", views.application_copy, name="copy"),
]
