"""Response headers with the server time and SQL query count of each request, for `make bench`."""

import time

from django.db import connection

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
