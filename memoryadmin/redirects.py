"""The one place a page honours ``next``: only ever a redirect inside this site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest) -> str | None:
    """The posted (or queried) ``next`` when it is a URL of this site, else None.

    Refused: other hosts (``https://evil.example/``, ``//evil.example/``, ``/\\evil``),
    other schemes (``javascript:``), and control characters (a header cannot carry
    a newline, and browsers drop tabs, so ``/\\t/evil.example`` would leave the site).
    """
    url = request.POST.get("next") or request.GET.get("next") or ""
    if not url or any(ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if allowed else None


def redirect_next(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Redirect to ``next`` when it is safe, else to ``fallback`` (a URL name or path)."""
    return redirect(safe_next(request) or fallback)
