"""The invoicing part of /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("visits", api.VisitViewSet, basename="visit")
router.register("invoices", api.InvoiceViewSet, basename="invoice")
router.register("payment-runs", api.PaymentRunViewSet, basename="payment-run")

urlpatterns = [*router.urls]
