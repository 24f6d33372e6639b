"""The 12345 platform's side: the calling systems and their keys, every call they make, the work orders
they sent (each a case) and the updates owed back to them (an outbox, delivered by hotline/tasks.py).

The status mapping (our case states to Open311's open/closed and the platform's 已受理 / 办理中 / 已办结 /
已回访) is `platform_status` and `open311_status` below, the one place it is written.
"""

import datetime
import hashlib
from typing import Protocol, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, Status
from grids.models import Community, Grid, Street

# An update is tried this many times (the first try and its retries) before it is left failing for the
# desk to retry by hand; the waits between tries double from one minute (1, 2, 4 ... 128 minutes: the
# platform may be down for a few hours without an update given up).
MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(minutes=1)


def retry_wait(attempts: int) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failed try before the next one."""
    return FIRST_RETRY * 2 ** (attempts - 1)


def key_digest(key: str) -> str:
    """What is stored of a key: its SHA-256 (a key is a long random secret, so no salt or stretching)."""
    return hashlib.sha256(key.encode()).hexdigest()


class PlatformStatus(models.TextChoices):
    """The states the 12345 platform tracks a work order by (办理反馈)."""

    RECEIVED = "received", _("已受理")
    HANDLING = "handling", _("办理中")
    RESOLVED = "resolved", _("已办结")
    FOLLOWED_UP = "followed_up", _("已回访")


_PLATFORM_BY_STATUS = {
    Status.SUBMITTED: PlatformStatus.RECEIVED,
    Status.DISPATCHED: PlatformStatus.RECEIVED,
    Status.IN_PROGRESS: PlatformStatus.HANDLING,
    Status.ESCALATED: PlatformStatus.HANDLING,
    Status.IN_CONSULTATION: PlatformStatus.HANDLING,
    Status.RESOLVED: PlatformStatus.RESOLVED,
    Status.CLOSED: PlatformStatus.RESOLVED,
}


class CaseState(Protocol):
    """What the mapping reads of a case: a Case, or the API's plain row of one (selectors.RequestRow)."""

    status: str
    resolved_at: datetime.datetime | None
    followed_up_at: datetime.datetime | None
    outcome: str
    resolution: str


def platform_status(case: CaseState) -> PlatformStatus:
    """The platform's state of a case: followed up (回访) once the requester was called back after the
    last resolution, else by the case's state."""
    followed_up = case.followed_up_at is not None and (
        case.resolved_at is None or case.followed_up_at >= case.resolved_at
    )
    if case.status in (Status.RESOLVED, Status.CLOSED) and followed_up:
        return PlatformStatus.FOLLOWED_UP
    return _PLATFORM_BY_STATUS[Status(case.status)]


def open311_status(case: CaseState) -> str:
    """GeoReport v2's status: closed once the case is archived (已归档), open before."""
    return "closed" if case.status == Status.CLOSED else "open"


class ApiClientQuerySet(models.QuerySet):
    def managed_by(self, user) -> Self:
        """The keys a user may see and revoke: all for a superuser; a street leader's street's (scoped to
        the street or to one of its communities); none for anyone else."""
        from grids.roles import Role

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        streets = Street.objects.filter(assignments__user=user, assignments__role=Role.STREET_LEADER)
        return self.filter(Q(street__in=streets) | Q(community__street__in=streets))


class ApiClient(models.Model):
    """A calling system (the city's 12345 platform) with its API key, scoped to one street or community.

    Only the key's SHA-256 is stored; the key is shown once, when it is made. `key_prefix` (the key's
    first characters, not secret) names the key in lists and in the call log."""

    name = models.CharField(_("名称"), max_length=100)
    key_prefix = models.CharField(_("密钥前缀"), max_length=16, unique=True)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True)
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("街道")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("社区")
    )
    # The account recorded as the actor of its work orders (cases.services.outside_actor).
    actor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("对接账户")
    )
    callback_url = models.URLField(
        _("回传地址"), max_length=500, blank=True, help_text=_("办理反馈以 JSON POST 到此地址。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # Empty when revoked by `manage.py hotline_key revoke` (whoever holds the server).
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("吊销人"),
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(street__isnull=False, community__isnull=True)
                | Q(street__isnull=True, community__isnull=False),
                name="hotline_client_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def scope_label(self) -> str:
        return str(self.community or self.street)

    def grids(self) -> models.QuerySet[Grid]:
        """The grids its work orders may name, and whose cases it reaches."""
        if self.community_id is not None:
            return Grid.objects.filter(community_id=self.community_id)
        return Grid.objects.filter(community__street_id=self.street_id)


class ApiCall(models.Model):
    """One call to the API: who (the key, or the prefix of a key that matched none), what, the answer."""

    client = models.ForeignKey(
        ApiClient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("密钥"),
    )
    key_prefix = models.CharField(_("所用密钥前缀"), max_length=16, blank=True)
    method = models.CharField(_("方法"), max_length=8)
    path = models.CharField(_("路径"), max_length=300)
    status = models.PositiveSmallIntegerField(_("响应码"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    remote_addr = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "at"], name="hotline_call_client_at")]  # the throttle

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class WorkOrder(models.Model):
    """A work order (工单) the platform sent: its own order id, kept beside the case it became."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("来源平台")
    )
    order_id = models.CharField(_("平台工单号"), max_length=64)
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="work_order", verbose_name=_("工单")
    )
    address_id = models.CharField(_("地点编码"), max_length=64)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("12345工单")
        verbose_name_plural = _("12345工单")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "order_id"], name="hotline_order_once_per_client")
        ]

    def __str__(self) -> str:
        return self.order_id


class UpdateQuerySet(models.QuerySet):
    def delivered(self) -> Self:
        return self.filter(delivered_at__isnull=False)

    def waiting(self) -> Self:
        """Not delivered, not tried yet or tried and failing with tries left (the worker will retry)."""
        return self.filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS, last_error="")

    def failing(self) -> Self:
        """Not delivered and the last try failed (retried with backoff until MAX_ATTEMPTS, then left)."""
        return self.filter(delivered_at__isnull=True).exclude(last_error="")


class Update(models.Model):
    """An update owed to the platform (办理反馈): written in the transaction of the case's move (taken,
    resolved, followed up, closed), delivered afterwards by the worker; an outbox row."""

    class Kind(models.TextChoices):
        TAKEN = "taken", _("已接单")
        RESOLVED = "resolved", _("已办结")
        FOLLOWED_UP = "followed_up", _("已回访")
        CLOSED = "closed", _("已归档")

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="updates", verbose_name=_("12345工单")
    )
    event = models.OneToOneField(
        CaseEvent, on_delete=models.PROTECT, related_name="hotline_update", verbose_name=_("办理记录")
    )
    kind = models.CharField(_("反馈类型"), max_length=12, choices=Kind)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("生成时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理反馈")
        verbose_name_plural = _("办理反馈")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(delivered_at__isnull=True), name="hotline_update_due"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(last_error=""), name="hotline_delivered_no_error"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} · {self.kind}"

    @property
    def state(self) -> str:
        """delivered / failing / waiting: what the desk sees."""
        if self.delivered_at is not None:
            return "delivered"
        return "failing" if self.last_error else "waiting"

    @property
    def gave_up(self) -> bool:
        return self.delivered_at is None and self.attempts >= MAX_ATTEMPTS
