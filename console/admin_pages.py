"""Admin-only console pages: API keys and the audit log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from memoryadmin.apikeys.models import Scope
from memoryadmin.apikeys.selectors import api_key_list
from memoryadmin.apikeys.services import api_key_create, api_key_revoke
from memoryadmin.audit.models import AuditEvent
from memoryadmin.exceptions import ApplicationError
from memoryadmin.http import HtmxHttpRequest
from memoryadmin.namespaces.console import console_namespace_id
from memoryadmin.namespaces.selectors import namespace_slug_of
from memoryadmin.roles import admin_required, is_admin


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ]
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=40)
    actor = forms.CharField(required=False, max_length=200)


@require_http_methods(["GET", "POST"])
@admin_required
def api_keys(request: HtmxHttpRequest) -> HttpResponse:
    """List keys; POST creates one and shows its secret on this response only."""
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            new_key = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,  # type: ignore[arg-type]
                # Bound to the namespace the admin is working in (the switcher).
                namespace=namespace_slug_of(namespace_id=console_namespace_id(request)),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiKeyForm()
    status = 400 if request.method == "POST" and new_key is None else 200
    keys = api_key_list(
        namespace_id=console_namespace_id(request), with_all_namespace_keys=is_admin(request.user)
    )
    context = {"form": form, "keys": keys, "new_key": new_key}
    return render(request, "console/api_keys.html", context, status=status)


@require_POST
@admin_required
def api_key_revoke_view(request: HtmxHttpRequest, key_id: int) -> HttpResponse:
    try:
        key = api_key_revoke(
            api_key_id=key_id,
            namespace_id=console_namespace_id(request),
            all_namespaces=is_admin(request.user),
            user=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Key {key.prefix}… ({key.name}) revoked; it stops working now.")
    return redirect("console:api_keys")


@require_GET
@admin_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    events = AuditEvent.objects.select_related("actor")
    if form.is_valid():
        if action := form.cleaned_data.get("action"):
            events = events.filter(action__startswith=action)
        if actor := form.cleaned_data.get("actor"):
            events = events.filter(actor_label__icontains=actor)
    template = "console/audit_log.html" + ("#audit-table" if request.htmx else "")
    return render(request, template, {"form": form, "events": events[:300]})
