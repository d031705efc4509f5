"""Console pages of the sync app: trigger and watch runs, validation, the retry queue."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from memoryadmin.exceptions import ApplicationError
from memoryadmin.http import HtmxHttpRequest
from memoryadmin.redirects import redirect_next
from memoryadmin.roles import admin_required, operator_required
from sync import selectors, services
from sync.forms import FailedActionForm, FailedFilterForm, SyncNowForm, VerifyForm
from sync.models import SyncRun, ValidationReport
from sync.models.runs import ACTIVE
from sync.selectors import FailedItemFilters, SyncRunFilters


def _eta(run: SyncRun) -> float | None:
    if not run.items_per_second or not run.progress_total:
        return None
    return max(run.progress_total - run.progress_done, 0) / run.items_per_second


@require_GET
@operator_required
def sync_dashboard(request: HtmxHttpRequest) -> HttpResponse:
    active = selectors.sync_run_active()
    context = {
        "form": SyncNowForm(),
        "verify_form": VerifyForm(),
        "active": active,
        "eta": _eta(active) if active else None,
        "runs": selectors.sync_run_list(filters=SyncRunFilters(), limit=30),
        "freshness": selectors.cache_freshness(),
    }
    return render(request, "sync/dashboard.html", context)


@require_POST
@operator_required
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    form = SyncNowForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not started: {form.errors.as_text()}")
        return redirect("sync:sync_dashboard")
    run = services.sync_run_start(**form.cleaned_data, trigger="manual", user=request.user)
    if run.pk is None:
        messages.error(request, f"Sync skipped: {'; '.join(run.warnings) or run.error}")
    elif run.status in ACTIVE and services.sync_enqueue(run):
        messages.success(request, f"Sync run #{run.pk} queued.")
    else:
        messages.info(request, f"Sync run #{run.pk} is already {run.status}.")
    return redirect("sync:sync_dashboard")


@require_POST
@operator_required
def verify_now(request: HtmxHttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST)
    full = form.is_valid() and form.cleaned_data["full"]
    try:
        report = services.sync_verify(full=full)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("sync:sync_dashboard")
    messages.success(
        request, f"Verification #{report.pk} {'passed' if report.passed else 'FAILED'}."
    )
    return redirect("sync:validation_detail", report_id=report.pk)


@require_POST
@admin_required
def rebuild_now(request: HtmxHttpRequest) -> HttpResponse:
    services.cache_rebuild_enqueue(user_id=request.user.pk)
    messages.success(request, "Cache rebuild queued: readers use the database until it is done.")
    return redirect("sync:sync_dashboard")


@require_GET
@operator_required
def run_progress(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """The progress fragment polled every second; polling stops when the run ends."""
    run = selectors.sync_run_get(run_id=run_id)
    response = render(request, "sync/_progress.html", {"run": run, "eta": _eta(run)})
    if run.status not in ACTIVE and request.htmx:
        stop = HttpResponseStopPolling(response.content)
        return stop
    return response


@require_GET
@operator_required
def run_detail(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.sync_run_get(run_id=run_id)
    context = {
        "run": run,
        "eta": _eta(run),
        "summary": selectors.sync_run_summary(run),
        "failures": selectors.failed_item_list(
            namespace_id=None, filters=FailedItemFilters(run_id=run.pk), limit=100
        ),
        "validations": run.validations.order_by("-created_at")[:5],
    }
    return render(request, "sync/run_detail.html", context)


@require_GET
@operator_required
def validation_list(request: HtmxHttpRequest) -> HttpResponse:
    reports = ValidationReport.objects.select_related("run").order_by("-created_at", "-pk")[:100]
    return render(request, "sync/validation_list.html", {"reports": reports})


@require_GET
@operator_required
def validation_detail(request: HtmxHttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(ValidationReport, pk=report_id)
    return render(
        request, "sync/validation_detail.html", {"report": report, "checks": report.checks.all()}
    )


@require_GET
@admin_required
def retry_queue(request: HtmxHttpRequest) -> HttpResponse:
    form = FailedFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = FailedItemFilters(
        state=data.get("state") or None,
        kind=data.get("kind") or None,
        error_class=data.get("error_type") or None,
        open_only=not data.get("state"),
    )
    context = {
        "form": form,
        # An admin page: admins act in every namespace, and items whose source row is
        # gone belong to none any more, so the queue is the deployment's whole queue.
        "items": selectors.failed_item_list(namespace_id=None, filters=filters, limit=200),
        "groups": selectors.failed_item_groups(),
        "counts": selectors.failed_item_counts(),
    }
    template = "sync/retry_queue.html" + ("#failed-table" if request.htmx else "")
    return render(request, template, context)


@require_POST
@admin_required
def retry_queue_action(request: HtmxHttpRequest) -> HttpResponse:
    data = request.POST.copy()
    if one := data.get("retry_one"):  # the per-row button retries just that item
        data.setlist("item_ids", [one])
        data["action"] = "retry"
    back = redirect_next(request, "sync:retry_queue")
    form = FailedActionForm(data)
    if not form.is_valid():
        messages.error(request, f"Nothing changed: {form.errors.as_text()}")
        return back
    done, refused = 0, []
    for item_id in form.cleaned_data["item_ids"]:
        try:
            if form.cleaned_data["action"] == "retry":
                services.failed_item_retry(item_id=item_id, namespace_id=None, user=request.user)
            else:
                services.failed_item_dismiss(item_id=item_id, namespace_id=None, user=request.user)
            done += 1
        except ApplicationError as exc:
            refused.append(f"#{item_id}: {exc.message}")
    verb = "Retried" if form.cleaned_data["action"] == "retry" else "Dismissed"
    messages.success(request, f"{verb} {done} of {len(form.cleaned_data['item_ids'])} items.")
    for reason in refused[:5]:
        messages.warning(request, reason)
    return back
