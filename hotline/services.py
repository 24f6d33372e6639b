"""Every write of the 12345 side: keys, the call log, work orders received, updates owed and delivered."""

import datetime
import json
import secrets
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import Action, Case, CaseEvent, Category, Channel, Outcome, Status, Urgency
from grids.models import Building, Community, Grid, Street

from .models import (
    MAX_ATTEMPTS,
    ApiCall,
    ApiClient,
    CaseState,
    Update,
    WorkOrder,
    key_digest,
    open311_status,
    platform_status,
    retry_wait,
)
from .permissions import can_manage_client_scope, can_retry_update

KEY_PREFIX_LENGTH = 10  # "hl" and 8 hex digits: names the key, tells nothing of the secret after it


class WorkOrderRefused(ValueError):
    """A work order that cannot become a case (unknown service, place outside the key's scope...); the API
    answers 400 with this message."""


# --- keys -------------------------------------------------------------------------------------------


def new_key() -> str:
    """A fresh key: a visible prefix, a dot, and 256 bits of secret."""
    return f"hl{secrets.token_hex(4)}.{secrets.token_urlsafe(32)}"


def key_prefix(key: str) -> str:
    """The part of a presented key that may be stored and shown (printable ASCII only, at most 10)."""
    head = key.split(".", 1)[0][:KEY_PREFIX_LENGTH]
    return "".join(c for c in head if c.isascii() and c.isalnum())


@transaction.atomic
def client_create(
    *,
    name: str,
    street: Street | None = None,
    community: Community | None = None,
    callback_url: str = "",
    by=None,
    key: str | None = None,
) -> tuple[ApiClient, str]:
    """Make a calling system's key; return the client and the key, which is never stored nor shown again.

    `key` is for the demo's published key only; everything else gets a new random one. `by` None is the
    management command (run by whoever holds the server)."""
    if (street is None) == (community is None):
        raise ValidationError(_("请选择一个街道或一个社区作为密钥的范围。"))
    if by is not None and not can_manage_client_scope(by, street=street, community=community):
        raise PermissionDenied
    key = key or new_key()
    prefix = key_prefix(key)
    client = ApiClient(
        name=name.strip(),
        key_prefix=prefix,
        key_hash=key_digest(key),
        street=street,
        community=community,
        callback_url=callback_url,
        created_by=by,
    )
    client.full_clean(exclude=["actor"])
    # Its own account, named by the prefix (unique), recorded as the actor of its work orders.
    client.actor = case_services.outside_actor(f"channel-api-{prefix}", name.strip() or prefix)
    client.save()
    return client, key


@transaction.atomic
def client_revoke(*, client: ApiClient, by) -> ApiClient:
    """吊销: the key is refused from now on (403), its work orders and their updates stay."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.revoked_by = by
        client.save(update_fields=["revoked_at", "revoked_by"])
    return client


def call_record(
    *,
    client: ApiClient | None,
    key_prefix: str,
    method: str,
    path: str,
    status: int,
    remote_addr: str | None,
) -> ApiCall:
    """Log one call (the throttle counts these rows)."""
    return ApiCall.objects.create(
        client=client,
        key_prefix=key_prefix[:16],
        method=method[:8],
        path=path[:300],
        status=status,
        remote_addr=remote_addr or None,
    )


# --- work orders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRequest:
    """A work order as the API received it, shape already checked (hotline/api.py)."""

    order_id: str
    service_code: str
    address_id: str
    description: str
    address_string: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    urgency: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    media_url: str = ""


def has_control_characters(text: str) -> bool:
    """Control characters (other than line breaks and tabs) and unpaired surrogates: never stored."""
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\r\t" for c in text)


def place_for(client: ApiClient, address_id: str) -> tuple[Grid, Building | None]:
    """Where a work order is: `address_id` is a grid's code (网格编号) in the key's scope, or a grid's code,
    a colon and the id of one of its buildings (JCG-01:17)."""
    code, _sep, building_id = address_id.partition(":")
    grid = client.grids().filter(code=code).select_related("community").first()
    if grid is None:
        raise WorkOrderRefused(_("address_id 不是本密钥范围内的网格编号。"))
    building = None
    if building_id:
        if not building_id.isascii() or not building_id.isdigit() or len(building_id) > 18:
            raise WorkOrderRefused(_("address_id 中的楼栋编号应为数字。"))
        building = Building.objects.filter(grid=grid, pk=int(building_id)).first()
        if building is None:
            raise WorkOrderRefused(_("address_id 中的楼栋不在该网格内。"))
    return grid, building


def service_for(code: str) -> Category:
    """The active category a service code names (its id)."""
    if not code.isascii() or not code.isdigit() or len(code) > 18:
        raise WorkOrderRefused(_("未知的 service_code。"))
    category = Category.objects.filter(pk=int(code), active=True).first()
    if category is None:
        raise WorkOrderRefused(_("未知的 service_code。"))
    return category


@transaction.atomic
def work_order_receive(
    *, client: ApiClient, order: OrderRequest, now: datetime.datetime | None = None
) -> tuple[WorkOrder, bool]:
    """A work order from the platform becomes a case (channel 12345, 待受理), its order id kept; an order
    id the key sent before returns that order's case, not a second one. Returns (order, created).

    `now` is when it arrived (the demo's orders arrived earlier)."""
    existing = WorkOrder.objects.filter(client=client, order_id=order.order_id).select_related("case").first()
    if existing is not None:
        return existing, False
    category = service_for(order.service_code)
    grid, building = place_for(client, order.address_id)
    urgency = order.urgency or category.default_urgency
    if urgency not in Urgency.values:
        raise WorkOrderRefused(_("attribute[urgency] 不是可选的紧急程度。"))
    name = f"{order.last_name.strip()}{order.first_name.strip()}"[:50]
    phone = order.phone.strip()
    if phone and not name:
        name = _("12345来电人")
    requester = case_services.Requester(name=name, phone=phone, anonymous=not name)
    intake = case_services.Intake(
        channel=Channel.HOTLINE,
        grid=grid,
        category=category,
        urgency=urgency,
        description=order.description,
        requester=requester,
        building=building,
        address=order.address_string[:200],
    )
    try:
        with transaction.atomic():  # a savepoint: the same order id sent twice at once makes one case
            case = case_services.case_register_outside(intake=intake, actor=client.actor, now=now)
            work_order = WorkOrder.objects.create(
                client=client,
                order_id=order.order_id,
                case=case,
                address_id=order.address_id,
                lat=order.lat,
                long=order.long,
                received_at=case.created_at,
            )
    except IntegrityError:
        return WorkOrder.objects.select_related("case").get(client=client, order_id=order.order_id), False
    except ValidationError as error:
        raise WorkOrderRefused(" ".join(error.messages)) from None
    return work_order, True


# --- updates owed to the platform (the outbox) ----------------------------------------------------------


def update_kind(event: CaseEvent) -> str | None:
    """Which update a timeline line owes the platform, if any: taken, resolved, followed up, closed."""
    if event.action == Action.TAKE:
        return Update.Kind.TAKEN
    if event.action == Action.FOLLOW_UP:
        return Update.Kind.FOLLOWED_UP
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        return Update.Kind.CLOSED
    if event.to_status == Status.RESOLVED and event.from_status != Status.RESOLVED:
        return Update.Kind.RESOLVED
    return None


# The lines update_kind gives an update for, as a filter: the invariant check (portal.invariants) asks the
# whole database at once which lines of a work order's case lack theirs. Change both together.
OWES_UPDATE = (
    Q(action__in=[Action.TAKE, Action.FOLLOW_UP])
    | Q(to_status=Status.CLOSED) & ~Q(from_status=Status.CLOSED)
    | Q(to_status=Status.RESOLVED) & ~Q(from_status=Status.RESOLVED)
)


def status_notes(case: CaseState) -> str:
    """What the platform reads of the case's progress: its state in the platform's words and, once resolved,
    the community's reply (办理结果). No names or phones are written here by the portal."""
    notes = str(platform_status(case).label)
    if case.status == Status.CLOSED and case.outcome:  # 已解决, 未解决, 已合并, 不予受理, 已撤回
        notes = f"{notes}（{Outcome(case.outcome).label}）"
    if case.status in (Status.RESOLVED, Status.CLOSED) and case.resolution:
        notes = f"{notes}：{case.resolution}"
    return notes[:1000]


def update_record(*, case: Case, event: CaseEvent) -> Update | None:
    """Write the update a move owes the platform, in the move's transaction (called from the
    case_transitioned receiver); the worker is asked to deliver it once the move commits."""
    if case.channel != Channel.HOTLINE:
        return None  # no query for the cases that did not come from the platform
    kind = update_kind(event)
    if kind is None:
        return None
    work_order = WorkOrder.objects.filter(case=case).first()
    if work_order is None:
        return None  # a hotline case written at the desk (来电记录), not sent by the API
    update = Update.objects.create(
        work_order=work_order,
        event=event,
        kind=kind,
        created_at=event.at,
        next_attempt_at=event.at,
        payload={},
    )
    update.payload = {
        "update_id": update.pk,
        "service_request_id": case.number,
        "order_id": work_order.order_id,
        "event": kind,
        "status": open311_status(case),
        "platform_status": str(platform_status(case).label),
        "status_notes": status_notes(case),
        "updated_datetime": timezone.localtime(event.at).isoformat(),
    }
    update.save(update_fields=["payload"])
    _enqueue_on_commit(update)
    return update


def _enqueue_on_commit(update: Update, run_after: datetime.datetime | None = None) -> None:
    from . import tasks  # the task module imports this one

    pk = update.pk
    transaction.on_commit(lambda: tasks.enqueue_delivery(pk, run_after=run_after))


DELIVERY_TIMEOUT_SECONDS = 10


def _post(url: str, payload: dict) -> None:
    """POST the update as JSON; raises on anything but a 2xx answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read(1024)


def _error_text(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        return f"{type(error).__name__}: {error.reason}"[:300]
    return f"{type(error).__name__}: {error}"[:300]


def update_deliver(*, update_id: int, now: datetime.datetime | None = None) -> Update | None:
    """Try to deliver one update to its platform's callback URL: delivered, or the failure kept with the
    time of the next try (backoff) until MAX_ATTEMPTS. Returns the update, None if already delivered.

    No lock is held while the platform answers (up to DELIVERY_TIMEOUT_SECONDS; on SQLite a write
    transaction would stop the whole portal meanwhile): a try that overlaps another may deliver twice, so
    the payload carries `update_id` for the platform to recognise a repeat."""
    update = Update.objects.select_related("work_order__client").filter(pk=update_id).first()
    if update is None or update.delivered_at is not None:
        return None
    url = update.work_order.client.callback_url
    error_text = ""
    try:
        if not url:
            raise ValueError(_("未配置回传地址"))
        _post(url, update.payload)
    except Exception as error:  # any failure of the platform is recorded, never raised to the worker
        error_text = _error_text(error) or type(error).__name__
    now = now or timezone.now()
    with transaction.atomic():
        update = Update.objects.select_for_update().get(pk=update_id)
        if update.delivered_at is not None:
            return update
        update.attempts += 1
        if error_text:
            update.last_error = error_text
            update.next_attempt_at = (
                now + retry_wait(update.attempts) if update.attempts < MAX_ATTEMPTS else None
            )
        else:
            update.delivered_at = now
            update.last_error = ""
            update.next_attempt_at = None
        update.save(update_fields=["attempts", "last_error", "next_attempt_at", "delivered_at"])
    return update


@transaction.atomic
def update_retry(*, update: Update, by) -> Update:
    """重新推送: try a failing (or given-up) update again now."""
    update = Update.objects.select_for_update().get(pk=update.pk)
    if not can_retry_update(by, update):
        raise PermissionDenied
    if update.delivered_at is not None:
        raise ValidationError(_("该反馈已送达。"))
    update.next_attempt_at = timezone.now()
    update.save(update_fields=["next_attempt_at"])
    _enqueue_on_commit(update)
    return update
