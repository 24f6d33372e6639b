"""Reads of the 12345 side: the key check and throttle, the requests a key may read, the desk's updates."""

import datetime
import hmac
from dataclasses import dataclass
from decimal import Decimal

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
    return WorkOrder.objects.filter(client=client)


@dataclass(frozen=True, slots=True)
class RequestRow:
    """What a GeoReport request shows of a work order and its case, read as plain values: building the
    five model instances of each row cost two thirds of a 200-row answer."""

    received_at: datetime.datetime
    address_id: str
    lat: Decimal | None
    long: Decimal | None
    number: str
    status: str
    description: str
    category_id: int
    category_name: str
    community_name: str
    address: str
    building_address: str | None
    resolution: str
    outcome: str
    resolution_due: datetime.datetime | None
    created_at: datetime.datetime
    accepted_at: datetime.datetime | None
    taken_at: datetime.datetime | None
    escalated_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    followed_up_at: datetime.datetime | None
    closed_at: datetime.datetime | None

    @property
    def place(self) -> str:
        """As Case.place: the address written at intake, else its building's."""
        return self.address or self.building_address or ""


_ROW_COLUMNS = (
    "received_at",
    "address_id",
    "lat",
    "long",
    "case__number",
    "case__status",
    "case__description",
    "case__category_id",
    "case__category__name",
    "case__grid__community__name",
    "case__address",
    "case__building__address",
    "case__resolution",
    "case__outcome",
    "case__resolution_due",
    "case__created_at",
    "case__accepted_at",
    "case__taken_at",
    "case__escalated_at",
    "case__resolved_at",
    "case__followed_up_at",
    "case__closed_at",
)


def request_rows(orders: QuerySet[WorkOrder], limit: int = REQUESTS_CAP) -> list[RequestRow]:
    """The work orders' rows for the API, newest first, in one query."""
    rows = orders.order_by("-received_at", "-id").values_list(*_ROW_COLUMNS)[:limit]
    return [RequestRow(*row) for row in rows]


def updates_for_desk(user) -> QuerySet[Update]:
    """The updates owed for the work orders in the grids of the user's desk, newest first."""
    return (
        Update.objects.filter(work_order__case__grid__in=desk_grids(user))
        .select_related("work_order__case", "work_order__client")
        .order_by("-created_at", "-id")
    )


def updates_of_case(case_id: int) -> QuerySet[Update]:
    return Update.objects.filter(work_order__case_id=case_id).order_by("created_at", "id")
