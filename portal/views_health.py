"""Health endpoints for the load balancer and for monitoring: no login, never cached, one word of answer.

`health` takes an app server out of rotation when it cannot serve: its database does not answer or the
database lacks a migration of the code it runs. `health_worker` adds the task worker, for monitoring
that alerts someone: a stopped worker delays the updates owed to the 12345 platform, but every app server
would fail that check at once, and taking them all out of rotation would stop the portal for a worker's
sake. The answer is `ok` (200) or `unavailable` (503) and nothing else: no error, host or version.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health


def _answer(healthy: bool) -> HttpResponse:
    if healthy:
        return HttpResponse("ok", content_type="text/plain; charset=utf-8")
    return HttpResponse("unavailable", content_type="text/plain; charset=utf-8", status=503)


def _serving() -> bool:
    # The migrations are read only once the database answers: without it they cannot be.
    return health.database_reachable() and health.migrations_applied()


@login_not_required
@never_cache
@require_safe
def health_check(request):
    """200 while this app server can serve requests; 503 when it should be taken out of rotation."""
    return _answer(_serving())


@login_not_required
@never_cache
@require_safe
def health_worker(request):
    """As `health_check`, and 503 also when a task has waited for a worker longer than allowed."""
    return _answer(_serving() and health.worker_keeping_up())
