from __future__ import annotations

from django.urls import path

from . import goods_views, gst_views, payment_views, views, wallet_views

app_name = "applications"

ref = "<str:reference>/"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("hs-codes/", goods_views.hs_lookup, name="hs-lookup"),
    path("payments/sandbox/<str:order_id>/", views.payment_sandbox, name="payment-sandbox"),
    path("payments/return/", views.payment_return, name="payment-return"),
    path("payments/notify/", views.payment_notify, name="payment-notify"),
    path(
        "payments/checkout/<str:order_id>/",
        payment_views.payment_checkout,
        name="payment-checkout",
    ),
    path(
        "payments/checkout/<str:order_id>/return/",
        payment_views.payment_checkout_return,
        name="payment-checkout-return",
    ),
    path(
        "payments/razorpay/<str:agency_code>/webhook/",
        payment_views.payment_webhook,
        name="payment-webhook",
    ),
    # The agency's accounts: GST register, GSTR-1 tables, daily settlement report.
    path(
        "agency/gst/<int:year>-<int:month>/register.csv",
        gst_views.gst_register_csv,
        name="gst-register",
    ),
    path(
        "agency/gst/<int:year>-<int:month>/gstr1-<str:section>.csv",
        gst_views.gstr1_csv,
        name="gstr1",
    ),
    path(
        "agency/settlement/<str:day>.csv",
        gst_views.settlement_csv,
        name="settlement-report",
    ),
    # The fee wallet and tax invoices (before the reference patterns, which would take them).
    path("wallet/", wallet_views.wallet_home, name="wallet"),
    path("wallet/top-up/", wallet_views.wallet_top_up, name="wallet-top-up"),
    path(
        "wallet/top-ups/<str:topup_order_id>/pay/",
        wallet_views.wallet_top_up_sandbox,
        name="wallet-top-up-sandbox",
    ),
    path("wallet/top-ups/return/", wallet_views.wallet_top_up_return, name="wallet-top-up-return"),
    path("wallet/top-ups/notify/", wallet_views.wallet_top_up_notify, name="wallet-top-up-notify"),
    path("wallet/statement.csv", wallet_views.wallet_statement_csv, name="wallet-statement"),
    path("wallet/gstin/", wallet_views.wallet_gstin, name="wallet-gstin"),
    path(
        "tax-invoices/<int:tax_invoice_id>/",
        wallet_views.tax_invoice_download,
        name="tax-invoice",
    ),
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
    path(ref + "declaration/sign/", views.declaration_sign, name="declaration-sign"),
    path(ref + "invoices/", views.application_invoices, name="invoices"),
    path(ref + "invoices/<int:invoice_id>/remove/", views.invoice_remove, name="invoice-remove"),
    path(ref + "goods/", goods_views.goods, name="goods"),
    path(ref + "goods/add/", goods_views.item_edit, name="item-add"),
    path(ref + "goods/<int:item_id>/", goods_views.item_edit, name="item-edit"),
    path(ref + "goods/<int:item_id>/remove/", goods_views.item_remove, name="item-remove"),
    path(ref + "goods/<int:item_id>/cost-sheet/", goods_views.cost_sheet, name="cost-sheet"),
    path(ref + "goods/upload/", goods_views.goods_upload, name="goods-upload"),
    path(ref + "goods/template.csv", goods_views.goods_template, name="goods-template"),
    path(ref + "documents/", views.documents, name="documents"),
    path(
        ref + "documents/checking/<int:check_id>/",
        views.upload_check_status,
        name="upload-check",
    ),
    path(ref + "documents/<int:document_id>/", views.document_view, name="document"),
    path(
        ref + "documents/<int:document_id>/remove/", views.document_remove, name="document-remove"
    ),
    path(ref + "check/", views.application_check, name="check"),
    path(ref + "pay/", views.payment_start, name="pay"),
    path(ref + "receipt/", views.payment_receipt, name="receipt"),
    path(ref + "pay/wallet/", wallet_views.pay_from_wallet, name="pay-wallet"),
    path(ref + "submit/", views.application_submit, name="submit"),
    path(
        ref + "ready-for-signature/",
        views.application_request_signature,
        name="request-signature",
    ),
    path(ref + "acknowledgement/", wallet_views.acknowledgement, name="acknowledgement"),
    path(
        ref + "acknowledgement.pdf",
        wallet_views.acknowledgement_download,
        name="acknowledgement-pdf",
    ),
    path(ref + "confirmation/", views.application_confirmation, name="confirmation"),
    path(ref + "withdraw/", views.application_withdraw, name="withdraw"),
    path(ref + "copy/", views.application_copy, name="copy"),
]
