"""Long work off the web request: a large visits import, or a large invoice build, as an
InvoicingJob that a Celery worker runs (invoicing.tasks.run_invoicing_job) while its page
shows how far it has got.

The work is the same service as in the request (`import_visits`, `build_invoice`), in one
transaction with the job's own end: all or nothing, and a job is done exactly when its
work is committed. Progress is written from a connection of its own, so the page sees it
while the work's transaction is still open. A job is claimed by one guarded update, so
a task delivered twice runs it once; a job whose worker was lost (running longer than
a task may) is claimed again, its work having been rolled back with the worker, and the
sweep (`requeue_stalled_jobs`) queues again jobs whose task never arrived.
"""

import dataclasses
import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q

from core import clock, jobs
from core.errors import Conflict
from providers.models import Provider

from .. import ecm
from ..models import InvoicingJob, JobKind, JobStatus
from ..permissions import INVOICE_BUILDERS, VISIT_RECORDERS
from .invoices import build_invoice
from .visits import VisitImportRejected, import_visits

logger = logging.getLogger(__name__)

# A file of more rows than this is imported by a worker; smaller ones at once.
INLINE_ROWS = 2_000
# An invoice of more recorded visits than this is built by a worker; smaller ones at once.
INLINE_VISITS = 5_000
# A job running this long has lost its worker (the task's hard time limit, and a minute).
STALLED_AFTER = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
# A job queued this long never had its task delivered (the broker was down).
UNDELIVERED_AFTER = datetime.timedelta(minutes=2)
FILE_NAME = "visits.csv"


def queue_visits_import(*, by, content: bytes, rows: int) -> InvoicingJob:
    """A job importing `content` (a CSV file already read once, of `rows` rows) for `by`."""
    if not (by and by.is_authenticated and by.role in VISIT_RECORDERS):
        raise PermissionDenied
    return _queue(by, JobKind.VISITS_IMPORT, file=content, total=rows)


def queue_invoice_build(
    *,
    by,
    period_start: datetime.date,
    period_end: datetime.date,
    reference: str,
    provider: Provider | None = None,
    received_on: datetime.date | None = None,
) -> InvoicingJob:
    """A job building the invoice `build_invoice` would build with these arguments."""
    if not (by and by.is_authenticated and by.role in INVOICE_BUILDERS):
        raise PermissionDenied
    arguments = {
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "reference": reference,
        "provider": provider.pk if provider else None,
        "received_on": received_on.isoformat() if received_on else None,
    }
    return _queue(by, JobKind.INVOICE_BUILD, arguments=arguments)


def _queue(by, kind, **fields):
    from ..tasks import run_invoicing_job

    with transaction.atomic():
        job = InvoicingJob.objects.create(
            kind=kind, created_by=by, created_at=clock.now(), **fields
        )
        jobs.after_commit(run_invoicing_job, job.pk)
    return job


def run_job(job_id: int) -> bool:
    """Run the job if no one else is (or did): whether this call ran it."""
    job = _claim(job_id)
    if job is None:
        return False
    progress = Progress(job.pk)
    try:
        with transaction.atomic():
            result = RUNNERS[job.kind](job, progress)
            _finish(job, JobStatus.DONE, result=result)
    except VisitImportRejected as rejected:
        count = len(rejected.rows)
        _finish(
            job, JobStatus.FAILED, errors={"file": [_rows_message(count)], "rows": rejected.rows}
        )
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {}
        _finish(job, JobStatus.FAILED, errors=errors or {"non_field_errors": error.messages})
    except (Conflict, PermissionDenied) as error:
        message = str(error) or "You may no longer do this."
        _finish(job, JobStatus.FAILED, errors={"non_field_errors": [message]})
    except Exception:
        # Failed, not left running: the sweep would otherwise run it again and again.
        message = "Something went wrong and nothing was saved: try again, or ask for help."
        _finish(job, JobStatus.FAILED, errors={"non_field_errors": [message]})
        raise
    finally:
        progress.close()
    return True


def _rows_message(count):
    return f"{count} rows have problems: nothing was imported."


def _claim(job_id):
    now = clock.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(
        status=JobStatus.RUNNING, started_at__lt=now - STALLED_AFTER
    )
    claimed = InvoicingJob.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING, started_at=now
    )
    if not claimed:
        return None
    return InvoicingJob.objects.select_related("created_by__provider").get(pk=job_id)


def _finish(job, status, *, result=None, errors=None):
    InvoicingJob.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=clock.now(),
        file=None,  # kept only until the job has run
        result=result or {},
        errors=errors or {},
    )


def _import(job, progress):
    upload = ContentFile(bytes(job.file), name=FILE_NAME)
    records = ecm.read_csv(upload)
    imported = import_visits(by=job.created_by, records=records, progress=progress)
    return dataclasses.asdict(imported)


def _build(job, progress):
    arguments = job.arguments
    provider = arguments.get("provider")
    progress("built", 0, 0)
    invoice = build_invoice(
        by=job.created_by,
        period_start=datetime.date.fromisoformat(arguments["period_start"]),
        period_end=datetime.date.fromisoformat(arguments["period_end"]),
        reference=arguments["reference"],
        provider=Provider.objects.get(pk=provider) if provider else None,
        received_on=_date(arguments.get("received_on")),
    )
    return {"invoice": invoice.pk, "reference": invoice.reference, "total": str(invoice.total)}


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


RUNNERS = {JobKind.VISITS_IMPORT: _import, JobKind.INVOICE_BUILD: _build}


class Progress:
    """progress(stage, done, total): written at once through a connection of its own.

    SQLite (`make run` on a laptop) lets one connection write at a time, and the job's
    transaction is writing: there the page shows the job running, without its counts.
    """

    def __init__(self, job_id):
        self.job_id = job_id
        self.side = None
        if connection.vendor != "sqlite":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.side is None:
            return
        table = self.side.ops.quote_name(InvoicingJob._meta.db_table)
        try:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET stage = %s, done = %s, total = %s WHERE id = %s",
                    [stage, done, total, self.job_id],
                )
        except DatabaseError:
            # Progress is for showing: the work goes on without it.
            logger.warning("could not write the progress of job %s", self.job_id, exc_info=True)

    def close(self):
        if self.side is not None:
            self.side.close()


def requeue_stalled_jobs() -> int:
    """Queue again the jobs whose task never arrived or whose worker was lost; how many."""
    from ..tasks import run_invoicing_job

    now = clock.now()
    stalled = InvoicingJob.objects.filter(
        Q(status=JobStatus.QUEUED, created_at__lt=now - UNDELIVERED_AFTER)
        | Q(status=JobStatus.RUNNING, started_at__lt=now - STALLED_AFTER)
    ).values_list("pk", flat=True)
    ids = list(stalled)
    for job_id in ids:
        jobs.after_commit(run_invoicing_job, job_id)
    return len(ids)
