"""Everything that changes delivered visits, invoices and payments: one transaction each,
taking the acting user as `by`. Split by subject: visits (ECM records), invoices (previewing,
building, withdrawing), payments (reviewing, holding lines, paying, payment runs, credit
notes), deadlines (warning finance) and jobs (a large import or invoice run by a worker,
with its progress)."""

from .deadlines import check_invoice_deadlines
from .invoices import (
    NOTHING_NEW,
    WITHDRAWABLE,
    build_invoice,
    preview_invoice,
    withdraw_invoice,
)
from .jobs import queue_invoice_build, queue_visits_import, requeue_stalled_jobs, run_job
from .payments import (
    add_credit_note,
    allowed_actions,
    approve_invoice,
    dispute_invoice,
    dispute_line,
    outstanding,
    pay_invoice,
    release_line,
    run_payments,
)
from .visits import VisitImportRejected, import_visits, record_visit

__all__ = [
    "NOTHING_NEW",
    "WITHDRAWABLE",
    "VisitImportRejected",
    "add_credit_note",
    "allowed_actions",
    "approve_invoice",
    "build_invoice",
    "check_invoice_deadlines",
    "dispute_invoice",
    "dispute_line",
    "import_visits",
    "outstanding",
    "pay_invoice",
    "preview_invoice",
    "queue_invoice_build",
    "queue_visits_import",
    "record_visit",
    "release_line",
    "requeue_stalled_jobs",
    "run_job",
    "run_payments",
    "withdraw_invoice",
]
