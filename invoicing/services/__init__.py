"""Everything that changes delivered visits, invoices and payments: one transaction each,
taking the acting user as `by`. Split by subject: visits (ECM records), invoices (building,
reviewing, paying, payment runs) and deadlines (warning finance)."""

from .deadlines import check_invoice_deadlines
from .invoices import (
    allowed_actions,
    approve_invoice,
    build_invoice,
    dispute_invoice,
    pay_invoice,
    run_payments,
)
from .visits import VisitImportRejected, import_visits, record_visit

__all__ = [
    "VisitImportRejected",
    "allowed_actions",
    "approve_invoice",
    "build_invoice",
    "check_invoice_deadlines",
    "dispute_invoice",
    "import_visits",
    "pay_invoice",
    "record_visit",
    "run_payments",
]
