"""Console pages of the episodes app: thin views over selectors and services."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from episodes import charts, selectors, services
from episodes.forms import (
    BulkActionForm,
    EpisodeFilterForm,
    HeuristicFilterForm,
    PatternFilterForm,
    RetrievalForm,
)
from episodes.payloads import episode_payload
from episodes.retrieval import context_retrieve
from memoryadmin.exceptions import ApplicationError
from memoryadmin.http import HtmxHttpRequest
from memoryadmin.namespaces.console import console_namespace_id
from memoryadmin.redirects import redirect_next
from memoryadmin.roles import admin_required, operator_required

PAGE = 50


@require_GET
@operator_required
def episode_list(request: HtmxHttpRequest) -> HttpResponse:
    form = EpisodeFilterForm(request.GET)
    try:
        page = selectors.episode_list(
            filters=form.to_filters(namespace_id=console_namespace_id(request)),
            cursor=request.GET.get("cursor") or None,
            limit=PAGE,
            newest_first=form.newest_first,
        )
    except ApplicationError as exc:
        page, form_error = selectors.Page(items=[], next_cursor=None), exc.message
    else:
        form_error = ""
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "form_error": form_error}
    template = "episodes/episode_list.html"
    if request.htmx:
        template += "#episode-table"
    return render(request, template, context)


@require_POST
@admin_required
def episode_bulk(request: HtmxHttpRequest) -> HttpResponse:
    back = redirect_next(request, "episodes:episode_list")
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing changed: {form.errors.as_text()}")
        return back
    ids = form.cleaned_data["episode_ids"]
    action = form.cleaned_data["action"]
    namespace_id = console_namespace_id(request)
    try:  # each bulk service is atomic: a refusal (a 51st tag on one episode) changes none
        if action == "tag":
            changed = services.episodes_bulk_tag(
                episode_ids=ids, namespace_id=namespace_id, add=[form.cleaned_data["tag"]]
            )
            done = "Tagged"
        elif action == "archive":
            changed = services.episodes_bulk_archive(
                episode_ids=ids, namespace_id=namespace_id, user=request.user
            )
            done = "Archived"
        else:
            changed = services.episodes_bulk_delete(
                episode_ids=ids, namespace_id=namespace_id, user=request.user
            )
            done = "Deleted"
    except ApplicationError as exc:
        messages.error(request, f"Nothing changed: {exc.message}")
        return back
    messages.success(request, f"{done} {changed} of {len(ids)} selected episodes.")
    return back


@require_GET
@operator_required
def episode_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    """The filtered (or selected) episodes as JSON Lines, streamed page by page."""
    form = EpisodeFilterForm(request.GET)
    selected = request.GET.getlist("episode_ids")
    filters = form.to_filters(namespace_id=console_namespace_id(request))

    def lines() -> Iterator[str]:
        cursor = None
        while True:
            page = selectors.episode_list(filters=filters, cursor=cursor, limit=200)
            for episode in page.items:
                if not selected or str(episode.pk) in selected:
                    yield json.dumps(episode_payload(episode, episode.steps.all())) + "\n"
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="episodes.jsonl"'
    return response


@require_GET
@operator_required
def episode_detail(request: HtmxHttpRequest, episode_id: str) -> HttpResponse:
    episode = selectors.episode_get(
        episode_id=episode_id, namespace_id=console_namespace_id(request)
    )
    cache_state = selectors.episode_cache_state(episode=episode)
    context = {
        "episode": episode,
        "steps": episode.steps.order_by("step_number"),
        "patterns": episode.patterns.order_by("-occurrence_count")[:20],
        "heuristics": episode.heuristics.order_by("-confidence")[:20],
        "reward_chart": charts.reward_breakdown_chart(episode.reward) if episode.reward else "",
        "cache_state": cache_state,
        "outcome_json": json.dumps(episode.outcome, indent=2) if episode.outcome else "",
    }
    return render(request, "episodes/episode_detail.html", context)


@require_GET
@operator_required
def pattern_list(request: HtmxHttpRequest) -> HttpResponse:
    form = PatternFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    patterns = selectors.pattern_list(
        namespace_id=console_namespace_id(request),
        kind=data.get("kind") or None,
        task_type=data.get("task_type") or None,
        domain=data.get("domain") or None,
        limit=200,
    )
    template = "episodes/pattern_list.html" + ("#pattern-table" if request.htmx else "")
    return render(request, template, {"form": form, "patterns": patterns})


@require_GET
@operator_required
def pattern_detail(request: HtmxHttpRequest, pattern_id: int) -> HttpResponse:
    pattern = selectors.pattern_get(
        pattern_id=pattern_id, namespace_id=console_namespace_id(request)
    )
    evidence = pattern.evidence.filter(deleted_at__isnull=True).order_by("-started_at")[:50]
    return render(
        request, "episodes/pattern_detail.html", {"pattern": pattern, "evidence": evidence}
    )


@require_GET
@operator_required
def heuristic_list(request: HtmxHttpRequest) -> HttpResponse:
    form = HeuristicFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    heuristics = selectors.heuristic_list(
        namespace_id=console_namespace_id(request),
        min_confidence=data.get("min_confidence") or 0.0,
        text=data.get("text") or None,
        limit=200,
    )
    template = "episodes/heuristic_list.html" + ("#heuristic-table" if request.htmx else "")
    return render(request, template, {"form": form, "heuristics": heuristics})


@require_GET
@operator_required
def heuristic_detail(request: HtmxHttpRequest, heuristic_id: int) -> HttpResponse:
    heuristic = selectors.heuristic_get(
        heuristic_id=heuristic_id, namespace_id=console_namespace_id(request)
    )
    evidence = heuristic.evidence.filter(deleted_at__isnull=True).order_by("-started_at")[:50]
    return render(
        request, "episodes/heuristic_detail.html", {"heuristic": heuristic, "evidence": evidence}
    )


@require_GET
@operator_required
def retrieval_playground(request: HtmxHttpRequest) -> HttpResponse:
    form = RetrievalForm(request.GET or None)
    result = None
    if form.is_valid():
        result = context_retrieve(
            namespace_id=console_namespace_id(request),
            description=form.cleaned_data["description"],
            context=form.context(),
            limit=form.cleaned_data.get("limit") or 10,
        )
    template = "episodes/retrieval.html" + ("#retrieval-results" if request.htmx else "")
    return render(request, template, {"form": form, "result": result})
