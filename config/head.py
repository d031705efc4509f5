"""HEAD on the JSON API: answered as the GET it asks about, without the body.

ninja dispatches by method, and a HEAD twin per GET operation would be a second
operation (and URL pattern) of each; turning the request into a GET before
routing keeps one operation, one schema entry and the same auth, scopes and
rate limits. The body is dropped here, with the Content-Length the GET had.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

API_PREFIX = "/api/v1/"


class ApiHeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        if isinstance(response, HttpResponse):
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
