"""Reads of the 12345 side: the key check and throttle, the requests a key may read, the desk's updates."""

import datetime
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiCall, ApiClient, Update, WorkOrder, key_digest
from .permissions import desk_grids


@dataclass(frozen=True)
class KeyCheck:
    """What a presented key is: `client` when it names one (revoked or not), else None."""

    client: ApiClient | None

    @property
    def valid(self) -> bool:
        return self.client is not None and self.client.revoked_at is None


def key_check(key: str, prefix: str) -> KeyCheck:
    """The client a key belongs to, found by its prefix and compared by digest in constant time."""
    if not key or not prefix:
        return KeyCheck(None)
    client = ApiClient.objects.select_related("actor").filter(key_prefix=prefix).first()
    if client is None or not hmac.compare_digest(client.key_hash, key_digest(key)):
        return KeyCheck(None)
    return KeyCheck(client)


def throttled(client: ApiClient, now: datetime.datetime | None = None) -> bool:
    """Whether the key has used its calls of the last minute (HOTLINE_CALLS_PER_MINUTE), counted from the
    call log, so every server process sees the same count."""
    now = now or timezone.now()
    since = now - datetime.timedelta(minutes=1)
    limit = settings.HOTLINE_CALLS_PER_MINUTE
    return ApiCall.objects.filter(client=client, at__gt=since).count() >= limit


# How many requests one GET answers at most (GeoReport v2 leaves the cap to the server; newest first).
REQUESTS_CAP = 1000


def work_orders_of(client: ApiClient) -> QuerySet[WorkOrder]:
    """The work orders a key reads: only those it sent itself (not the other cases of its scope: a key is
    one calling system, and the cases raised at the desk or by residents are not the platform's)."""
    return WorkOrder.objects.filter(client=client).select_related(
        "case__category", "case__grid__community", "case__building"
    )


def updates_for_desk(user) -> QuerySet[Update]:
    """The updates owed for the work orders in the grids of the user's desk, newest first."""
    return (
        Update.objects.filter(work_order__case__grid__in=desk_grids(user))
        .select_related("work_order__case", "work_order__client")
        .order_by("-created_at", "-id")
    )


def updates_of_case(case_id: int) -> QuerySet[Update]:
    return Update.objects.filter(work_order__case_id=case_id).order_by("created_at", "id")
