"""What the portal adds around every request: no-store for signed-in users, timing headers for `make
bench`, and a JSON log line per request for production."""

import datetime
import json
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import connections
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, empty

CONNECTION_SETUP_SQL = "SELECT oid, typarray FROM pg_type WHERE typname"

request_log = logging.getLogger("portal.requests")


class QueryCount:
    """The statements run while it is installed (`counted_queries`), less the type look-ups
    django.contrib.postgres makes once on each new connection: they say when a process connected, not
    what the page needs."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith(CONNECTION_SETUP_SQL):
            self.queries += 1
        return execute(sql, params, many, context)


@contextmanager
def counted_queries() -> Iterator[QueryCount]:
    """Count the queries on every configured database (a read replica's too) inside the block, without
    DEBUG: the one way both the timing headers and the request log count them."""
    count = QueryCount()
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(count))
        yield count


class ServerTimingMiddleware:
    """Add `Server-Timing: app;dur=<ms>` and `X-Query-Count: <n>` to every response.

    It exists for `make bench` (tooling/bench.py), which reads both headers from a real server, and is
    installed first in MIDDLEWARE only when PORTAL_TIMING_HEADERS=true, so the numbers cover every other
    middleware too (sessions, authentication). Queries are counted by `counted_queries`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        with counted_queries() as count:
            response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        response["X-Query-Count"] = str(count.queries)
        return response


class RequestLogMiddleware:
    """One JSON line per request on the logger `portal.requests` (installed when PORTAL_JSON_LOGS=true).

    The line holds what an operator needs to find slow or failing pages and who met them, and nothing a
    person typed: the URL's route pattern (`/cases/<int:pk>/`) and name, never the path as sent nor its
    query string (a search's name or phone travels there), the status, the user's id (never the username
    or name), the time in milliseconds and the query count. A URL that resolves to no view is logged
    without a path. Its handler still masks ID numbers and phones (common.logging), as every handler does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        with counted_queries() as count:
            response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        match = getattr(request, "resolver_match", None)
        line = {
            "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "method": request.method,
            "path": f"/{match.route}" if match else None,
            "view": match.view_name if match else None,
            "status": response.status_code,
            "user": _user_id(request),
            "queries": count.queries,
            "ms": round(elapsed_ms, 1),
        }
        request_log.info(json.dumps(line))
        return response


def _user_id(request) -> int | None:
    """The signed-in user's id, if the request already read its user.

    Every request that gets as far as the session lifetime middleware has read it. One that failed before
    (its session could not be loaded, the database being down) is logged without one: reading the user
    here would cost queries after the response, and fail again.
    """
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None


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
