"""Who made each write (the history triggers' context) and which records a user was refused."""

import pghistory.middleware
from django.db import connection
from django.urls import Resolver404, resolve

from . import services


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's middleware (the request's user and URL on every history row), on PostgreSQL only.

    Its context travels as `set_config()` before each write statement, which SQLite (the demo) lacks;
    there are no triggers to read it on SQLite anyway.
    """

    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)


class RefusedAccessMiddleware:
    """Record a logged-in user refused a record: any 403, and a 404 on a URL that names a record.

    A 404 on a URL naming no record (a mistyped address) says nothing about anyone's data and is not kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404) and request.user.is_authenticated:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if response.status_code == 403 or (match is not None and match.kwargs):
                services.refused_access_record(
                    user=request.user,
                    path=request.path,
                    status=response.status_code,
                    address=request.META.get("REMOTE_ADDR"),
                    view=match.view_name if match else "",
                )
        return response
