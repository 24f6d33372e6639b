"""站内通知: what happened to a user's cases and grids, and the 紧急 visits the desk must acknowledge.

Event notifications are rows, written by notifications.receivers in the transaction of the action that
causes them. Time-based reminders (a case 临期 or overdue, follow-ups due, care households overdue) are not
stored: notifications.selectors derives them when the bell or the list is read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Grid, served_grids
from visits.models import Visit


class Kind(models.TextChoices):
    """What happened. Who is told of each: notifications.services."""

    DISPATCHED = "dispatched", _("新派工单")
    RETURNED = "returned", _("工单被退回")
    HANDED_BACK = "handed_back", _("街道回派")
    URGED = "urged", _("督办")
    ESCALATED = "escalated", _("上报街道")
    URGENT_VISIT = "urgent_visit", _("紧急走访")
    NEW_REQUEST = "new_request", _("新诉求待受理")  # from residents' own pages or the 12345 platform
    SUPPLEMENTED = "supplemented", _("诉求人已补充材料")
    RATED = "rated", _("诉求人已评价")


class NotificationQuerySet(models.QuerySet):
    def of(self, user) -> "NotificationQuerySet":
        """A user's own notifications: nobody reads another's (404)."""
        return self.filter(recipient_id=user.pk)

    def visible_to(self, user) -> "NotificationQuerySet":
        """The user's own, about cases and visits still in their grids (a user moved to other grids no
        longer reads what happened in the old ones)."""
        grids = served_grids(user)
        return self.of(user).filter(Q(case__grid__in=grids) | Q(visit__household__grid__in=grids))

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing one user is told, about one case or one visit.

    A row is complete in itself (recipient, kind, the object, a short text, when), so an outbound channel
    (a WeCom robot, SMS) can later deliver the same rows: see ARCHITECTURE.md, "Notifications".
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    # What it is about: a case or a visit (two nullable keys, not a generic relation, so a list joins both
    # in its one query).
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("工单")
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("走访记录")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    text = models.CharField(_("内容"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list: a user's notifications, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The bell: a user's unread ones (most rows are read; the partial index holds only the rest).
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, visit__isnull=True)
                | Q(case__isnull=True, visit__isnull=False),
                name="notification_about_one_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} · {self.kind}"


class VisitAlert(models.Model):
    """A 紧急 visit, shown on the desk of its community until someone there acknowledges it (确认已知悉):
    one row for the whole desk, so one acknowledgement handles it for all of them."""

    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="+", verbose_name=_("走访记录")
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="+", verbose_name=_("网格"))
    raised_at = models.DateTimeField(_("提醒时间"), default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("紧急走访提醒")
        verbose_name_plural = _("紧急走访提醒")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["grid"], condition=Q(acknowledged_at__isnull=True), name="visit_alert_open")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False),
                name="visit_alert_acknowledged_by_someone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.raised_at:%Y-%m-%d %H:%M}"
