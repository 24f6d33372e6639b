"""Response headers the portal adds: no-store for signed-in users, and timing for `make bench`."""

import time

from django.db import connection
from django.utils.cache import add_never_cache_headers

CONNECTION_SETUP_SQL = "SELECT oid, typarray FROM pg_type WHERE typname"


class ServerTimingMiddleware:
    """Add `Server-Timing: app;dur=<ms>` and `X-Query-Count: <n>` to every response.

    It exists for `make bench` (tooling/bench.py), which reads both headers from a real server, and is
    installed first in MIDDLEWARE only when PORTAL_TIMING_HEADERS=true, so the numbers cover every other
    middleware too (sessions, authentication). Queries are those on the default database, less the
    type look-ups django.contrib.postgres makes once on each new connection: they say when a worker
    connected, not what the page needs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count_query(execute, sql, params, many, context):
            nonlocal queries
            if not sql.startswith(CONNECTION_SETUP_SQL):
                queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count_query):
            response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        response["X-Query-Count"] = str(queries)
        return response


class NoStoreForUsersMiddleware:
    """`Cache-Control: no-store` (and the rest of never_cache) on every response to a signed-in user.

    Nearly every page, fragment, export and photo a signed-in user gets holds personal information, so
    the simple rule is the honest one: no browser or proxy keeps any of them (a shared office computer
    would show the last user's pages from its cache). Static files never reach this middleware
    (whitenoise answers them first) and stay cacheable; pages for signed-out visitors (the login page)
    hold nobody's data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
