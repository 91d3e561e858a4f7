"""Invoicing pages: the provider's visits and invoices, finance's review, payments and board.

Thin: check the role, fetch what this user may see (404 otherwise), call one
selector or service, render. Lists are filtered, paginated and downloadable as CSV.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from core.errors import Conflict
from core.formats import pounds_text
from core.pages import paginate, wants_csv
from core.permissions import require_role
from core.tables import table_csv
from packages.permissions import packages_for
from packages.selectors import with_schedule

from . import ecm, exports, selectors, services
from .filters import DeliveredVisitFilter, InvoiceFilter
from .forms import (
    CreditNoteForm,
    DisputeForm,
    InvoiceForm,
    LineDisputeForm,
    PaymentForm,
    PaymentRunForm,
    PlannedVisitsForm,
    ReceivedInvoiceForm,
    RemittanceForm,
    VisitUploadForm,
    show_service_errors,
)
from .models import Invoice, InvoiceStatus, LineKind
from .permissions import (
    DELIVERY_READERS,
    FINANCE,
    INVOICE_BUILDERS,
    READERS,
    VISIT_RECORDERS,
    invoices_for,
    jobs_for,
    payment_runs_for,
    recordable_packages_for,
    sees_every_visit,
    visits_for,
)


def allow(*roles):
    """Signed in (else the login page) and holding one of `roles` (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _posted(request, files=False):
    """Form arguments: bound to what was posted (even nothing), unbound on GET."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


@allow(*READERS)
def visit_list(request):
    visits = DeliveredVisitFilter(
        request.GET, queryset=selectors.visit_list(visits_for(request.user))
    )
    if wants_csv(request):
        return table_csv(
            "delivered-visits", exports.VISIT_COLUMNS, visits.qs.iterator(chunk_size=2000)
        )
    # Every visit, unfiltered: their number is kept (nationally millions to count).
    listed = visits.qs
    everything = visits.form.is_valid() and not any(visits.form.cleaned_data.values())
    count = selectors.visit_count() if everything and sees_every_visit(request.user) else None
    page, query = paginate(request, listed, count=count)
    return render(
        request,
        "invoicing/visit_list.html",
        {
            "filter": visits,
            "page": page,
            "query": query,
            "upload_form": VisitUploadForm() if request.user.role in VISIT_RECORDERS else None,
        },
    )


@allow(*VISIT_RECORDERS)
def planned_visits(request):
    """The planned visits of a period not yet recorded, as a CSV to fill in and upload."""
    form = PlannedVisitsForm(request.GET)
    if not form.is_valid():
        context = {"form": VisitUploadForm(), "planned_form": form}
        return render(request, "invoicing/visit_upload.html", context, status=400)
    first, last = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    occurrences = selectors.planned_visits_to_record(
        recordable_packages_for(request.user), first, last
    )
    return table_csv(f"planned-visits-{first}-to-{last}", exports.PLANNED_COLUMNS, occurrences)


def _next_period(user):
    """What a provider records and invoices next: the days since its last invoice."""
    first, last = selectors.uninvoiced_period(invoices_for(user))
    return {"period_start": first, "period_end": last}


@allow(*VISIT_RECORDERS)
def visit_upload(request):
    form = VisitUploadForm(*_posted(request, files=True))
    planned_form = PlannedVisitsForm(initial=_next_period(request.user))
    rows = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            records = ecm.read_csv(upload)
            if len(records) > services.jobs.INLINE_ROWS:
                upload.seek(0)
                job = services.queue_visits_import(
                    by=request.user, content=upload.read(), rows=len(records)
                )
                return redirect("invoicing:job", pk=job.pk)
            imported = services.import_visits(by=request.user, records=records)
        except services.VisitImportRejected as rejected:
            rows = rejected.rows
            form.add_error("file", f"{len(rows)} rows have problems: nothing was imported.")
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, f"{imported.imported} delivered visits imported.")
            return redirect("invoicing:visits")
    context = {"form": form, "planned_form": planned_form, "rows": rows}
    return render(request, "invoicing/visit_upload.html", context)


@allow(*READERS)
def invoice_list(request):
    invoices = InvoiceFilter(
        request.GET, queryset=selectors.with_deadlines(invoices_for(request.user))
    )
    if wants_csv(request):
        return table_csv("invoices", exports.INVOICE_COLUMNS, invoices.qs.iterator(chunk_size=2000))
    page, query = paginate(request, invoices.qs.order_by("-received_on", "-pk"))
    return render(
        request,
        "invoicing/invoice_list.html",
        {"filter": invoices, "page": page, "query": query},
    )


@allow(*INVOICE_BUILDERS)
def invoice_new(request):
    """Preview first: the lines the invoice would have, the visits not yet recorded apart
    from those missed. Only the preview's "Send" (`confirm`) builds it."""
    by_post = request.user.role != Role.PROVIDER
    form = (ReceivedInvoiceForm if by_post else InvoiceForm)(
        *_posted(request), initial=None if by_post else _next_period(request.user)
    )
    context = {"form": form, "by_post": by_post}
    if request.method == "POST" and form.is_valid():
        confirmed = "confirm" in request.POST
        if confirmed and _large_invoice(request.user, form.cleaned_data):
            job = services.queue_invoice_build(by=request.user, **form.cleaned_data)
            return redirect("invoicing:job", pk=job.pk)
        service = services.build_invoice if confirmed else services.preview_invoice
        try:
            result = service(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            context["nothing_recorded"] = _nothing_recorded(error)
            if not context["nothing_recorded"]:
                show_service_errors(form, error)
        else:
            if service is services.preview_invoice:
                context["draft"] = result
                context["confirm_fields"] = _as_sent(form.cleaned_data)
            else:
                messages.success(request, f"Invoice {result.reference} sent: £{result.total:,.2f}.")
                return redirect("invoicing:detail", pk=result.pk)
    return render(request, "invoicing/invoice_new.html", context)


def _as_sent(data) -> dict:
    """The previewed form's answers as one string each, for the Send form to post again:
    dates as YYYY-MM-DD (which the three-box date fields read), the provider by its code."""
    return {name: _sent(value) for name, value in data.items() if value is not None}


def _sent(value) -> str:
    if hasattr(value, "code"):
        return value.code
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _nothing_recorded(error) -> bool:
    """The period has no visit to invoice: a warning to record them first, not a mistake."""
    return getattr(error, "message_dict", {}).get("non_field_errors") == [services.NOTHING_NEW]


@require_POST
@allow(*INVOICE_BUILDERS)
def invoice_withdraw(request, pk):
    invoice = get_object_or_404(invoices_for(request.user), pk=pk)
    try:
        services.withdraw_invoice(invoice_id=invoice.pk, by=request.user)
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect("invoicing:detail", pk=invoice.pk)
    messages.success(
        request, f"Invoice {invoice.reference} withdrawn: its visits can go on another."
    )
    return redirect("invoicing:list")


def _large_invoice(user, data):
    """Whether the invoice would hold too many visits to build within the request."""
    provider = user.provider if user.role == Role.PROVIDER else data.get("provider")
    if provider is None:
        return False
    count = selectors.uninvoiced_visit_count(provider, data["period_start"], data["period_end"])
    return count > services.jobs.INLINE_VISITS


@login_required
def job_detail(request, pk):
    """How far a large import or invoice build has got; htmx asks again every second until
    it has finished."""
    job = get_object_or_404(jobs_for(request.user), pk=pk)
    context = {"job": job, "problems": _job_problems(job), "invoice": _job_invoice(request, job)}
    template = "invoicing/job_detail.html"
    if request.htmx:
        template = "invoicing/includes/job_progress.html"
    return render(request, template, context)


def _job_problems(job):
    """The error summary's entries for a job that did nothing."""
    messages_ = [
        message for field, found in job.errors.items() if field != "rows" for message in found
    ]
    href = "#rows" if job.errors.get("rows") else "#next"
    return [{"href": href, "message": message} for message in messages_]


def _job_invoice(request, job):
    invoice_id = job.result.get("invoice")
    if invoice_id is None:
        return None
    return invoices_for(request.user).filter(pk=invoice_id).first()


@allow(*READERS)
def invoice_detail(request, pk):
    invoice = _invoice_or_404(request, pk)
    if wants_csv(request):
        return table_csv(f"invoice-{invoice.pk}-lines", exports.LINE_COLUMNS, invoice.lines.all())
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "may_review": request.user.role in FINANCE,
            "actions": services.allowed_actions(invoice),
            "left_to_pay": services.outstanding(invoice),
            "may_withdraw": request.user.role in INVOICE_BUILDERS
            and invoice.status in services.WITHDRAWABLE,
        },
    )


def _invoice_or_404(request, pk):
    try:
        return selectors.invoice_page(invoices_for(request.user), pk)
    except Invoice.DoesNotExist:
        raise Http404 from None


@allow(*READERS)
def line_detail(request, pk, line_pk):
    invoice = get_object_or_404(selectors.with_deadlines(invoices_for(request.user)), pk=pk)
    line = get_object_or_404(
        invoice.lines.filter(kind=LineKind.CARE).select_related("package__zone"), pk=line_pk
    )
    visits = selectors.line_visits(line)
    if wants_csv(request):
        return table_csv(
            f"invoice-{invoice.pk}-package-{line.package_id}",
            exports.VISIT_COLUMNS,
            visits.iterator(chunk_size=2000),
        )
    page, query = paginate(request, visits)
    return render(
        request,
        "invoicing/line_detail.html",
        {"invoice": invoice, "line": line, "page": page, "query": query},
    )


@require_POST
@allow(*FINANCE)
def invoice_approve(request, pk):
    invoice = get_object_or_404(invoices_for(request.user), pk=pk)
    try:
        services.approve_invoice(invoice_id=invoice.pk, by=request.user)
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, f"Invoice {invoice.reference} approved.")
    return redirect("invoicing:detail", pk=invoice.pk)


@allow(*FINANCE)
def invoice_dispute(request, pk):
    return _review(
        request,
        pk,
        DisputeForm,
        services.dispute_invoice,
        "disputed",
        "invoicing/invoice_dispute.html",
    )


@allow(*FINANCE)
def invoice_pay(request, pk):
    # The message names what this payment paid: less than the total once a line is held.
    return _review(
        request,
        pk,
        PaymentForm,
        services.pay_invoice,
        lambda left_to_pay: f"paid: {pounds_text(left_to_pay)}",
        "invoicing/invoice_pay.html",
    )


def _review(request, pk, form_class, service, done, template):
    invoice = get_object_or_404(selectors.with_deadlines(invoices_for(request.user)), pk=pk)
    left_to_pay = services.outstanding(invoice)
    form = form_class(*_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            service(invoice_id=invoice.pk, by=request.user, **form.cleaned_data)
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("invoicing:detail", pk=invoice.pk)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            done = done(left_to_pay) if callable(done) else done
            messages.success(request, f"Invoice {invoice.reference} {done}.")
            return redirect("invoicing:detail", pk=invoice.pk)
    return render(request, template, {"invoice": invoice, "form": form, "left_to_pay": left_to_pay})


@allow(*FINANCE)
def line_dispute(request, pk, line_pk):
    invoice = get_object_or_404(invoices_for(request.user).select_related("provider"), pk=pk)
    line = get_object_or_404(invoice.lines.all(), pk=line_pk)
    form = LineDisputeForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.dispute_line(
                invoice_id=invoice.pk, line_id=line.pk, by=request.user, **form.cleaned_data
            )
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("invoicing:detail", pk=invoice.pk)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, f"Package {line.package_id}'s line is held.")
            return redirect("invoicing:detail", pk=invoice.pk)
    context = {"invoice": invoice, "line": line, "form": form}
    return render(request, "invoicing/line_dispute.html", context)


@require_POST
@allow(*FINANCE)
def line_release(request, pk, line_pk):
    invoice = get_object_or_404(invoices_for(request.user), pk=pk)
    line = get_object_or_404(invoice.lines.all(), pk=line_pk)
    try:
        services.release_line(invoice_id=invoice.pk, line_id=line.pk, by=request.user)
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, f"Package {line.package_id}'s line is released: pay it next.")
    return redirect("invoicing:detail", pk=invoice.pk)


@allow(*FINANCE)
def credit_note_new(request, pk):
    return _review(
        request,
        pk,
        CreditNoteForm,
        services.add_credit_note,
        "credited",
        "invoicing/creditnote_new.html",
    )


@allow(*READERS)
def remittance(request):
    """What was paid to a provider, invoice by invoice and line by line, and the credit notes
    netted: a provider sees its own, finance chooses the provider."""
    form = RemittanceForm(request.GET or None, initial=RemittanceForm.default_period())
    provider = request.user.provider if request.user.role == Role.PROVIDER else None
    rows = None
    if form.is_valid():
        provider = provider or form.cleaned_data.get("provider")
        if provider is None:
            form.add_error("provider", "Enter the provider's code")
        else:
            rows = selectors.remittance(
                invoices_for(request.user).filter(provider=provider),
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
    if rows is not None and wants_csv(request):
        name = (
            f"remittance-{provider.code}-{form.cleaned_data['start']}-to-{form.cleaned_data['end']}"
        )
        return table_csv(name, exports.REMITTANCE_COLUMNS, rows)
    page, query = paginate(request, rows or [])
    context = {
        "form": form,
        "provider": provider,
        "rows": None if rows is None else page.object_list,
        "page": page,
        "query": query,
        "total": sum(row.amount for row in rows or []),
        "choose_provider": request.user.role != Role.PROVIDER,
    }
    return render(request, "invoicing/remittance.html", context)


@allow(*FINANCE)
def board(request):
    board = selectors.payment_board()
    if wants_csv(request):
        return table_csv(
            "payment-board", exports.INVOICE_COLUMNS, board["invoices"].iterator(chunk_size=2000)
        )
    page, query = paginate(request, board["invoices"])
    # A table of the market's providers, paged on its own: nationally 13,000 of them.
    rated, _ = paginate(request, selectors.providers_by_name(), parameter="rates-page")
    rates = selectors.on_time_payment_rates_of(rated.object_list)
    return render(
        request,
        "invoicing/board.html",
        {**board, "page": page, "query": query, "rates": rates, "rated": rated},
    )


@allow(*FINANCE)
def payment_run_list(request):
    page, query = paginate(request, payment_runs_for(request.user).select_related("created_by"))
    return render(request, "invoicing/paymentrun_list.html", {"page": page, "query": query})


@allow(*FINANCE)
def payment_run_new(request):
    form = PaymentRunForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = services.run_payments(
                by=request.user,
                invoice_ids=[invoice.pk for invoice in data["invoices"]],
                paid_on=data["paid_on"],
                reference=data["reference"],
            )
        except Conflict as conflict:
            form.add_error(None, str(conflict))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, f"Payment run {run.reference}: {run.invoices.count()} paid.")
            return redirect("invoicing:payment_run", pk=run.pk)
    approved = selectors.with_deadlines(
        invoices_for(request.user).filter(status=InvoiceStatus.APPROVED)
    ).order_by("due_by", "pk")
    chosen = {str(pk) for pk in form["invoices"].value() or []}
    return render(
        request,
        "invoicing/paymentrun_new.html",
        {"form": form, "approved": approved, "chosen": chosen},
    )


@allow(*FINANCE)
def payment_run_detail(request, pk):
    run = get_object_or_404(payment_runs_for(request.user).select_related("created_by"), pk=pk)
    rows = selectors.payment_run_rows(run)
    if wants_csv(request):
        return table_csv(f"payment-run-{run.reference}", exports.PAYMENT_COLUMNS, rows)
    return render(request, "invoicing/paymentrun_detail.html", {"run": run, "rows": rows})


@allow(*DELIVERY_READERS)
def package_delivery(request, package_id):
    package = get_object_or_404(
        with_schedule(packages_for(request.user).select_related("zone", "provider")),
        pk=package_id,
    )
    context = {
        "package": package,
        "weeks": selectors.planned_against_delivered(package),
        # Brokers see the weeks but not the visit records behind them.
        "may_open_visits": request.user.role in READERS,
    }
    return render(request, "invoicing/package_delivery.html", context)
