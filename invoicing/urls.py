"""Invoicing pages under /invoices/."""

from django.urls import path

from . import views

app_name = "invoicing"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_new, name="new"),
    path("board/", views.board, name="board"),
    path("remittance/", views.remittance, name="remittance"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/upload/", views.visit_upload, name="visits_upload"),
    path("visits/planned/", views.planned_visits, name="planned_visits"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("payment-runs/", views.payment_run_list, name="payment_runs"),
    path("payment-runs/new/", views.payment_run_new, name="payment_run_new"),
    path("payment-runs/<int:pk>/", views.payment_run_detail, name="payment_run"),
    path("packages/<int:package_id>/delivery/", views.package_delivery, name="package_delivery"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/lines/<int:line_pk>/", views.line_detail, name="line"),
    path("<int:pk>/approve/", views.invoice_approve, name="approve"),
    path("<int:pk>/dispute/", views.invoice_dispute, name="dispute"),
    path("<int:pk>/pay/", views.invoice_pay, name="pay"),
    path("<int:pk>/withdraw/", views.invoice_withdraw, name="withdraw"),
    path("<int:pk>/credit-notes/new/", views.credit_note_new, name="credit_note_new"),
    path("<int:pk>/lines/<int:line_pk>/dispute/", views.line_dispute, name="line_dispute"),
    path("<int:pk>/lines/<int:line_pk>/release/", views.line_release, name="line_release"),
]
