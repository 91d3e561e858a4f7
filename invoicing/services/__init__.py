"""Everything that changes delivered visits, invoices and payments: one transaction each,
taking the acting user as `by`. Split by subject: visits (ECM records), invoices (building,
reviewing, paying, payment runs), deadlines (warning finance) and jobs (a large import or
invoice run by a worker, with its progress)."""

from .deadlines import check_invoice_deadlines
from .invoices import (
    allowed_actions,
    approve_invoice,
    build_invoice,
    dispute_invoice,
    pay_invoice,
    run_payments,
)
from .jobs import queue_invoice_build, queue_visits_import, requeue_stalled_jobs, run_job
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
    "queue_invoice_build",
    "queue_visits_import",
    "record_visit",
    "requeue_stalled_jobs",
    "run_job",
    "run_payments",
]
