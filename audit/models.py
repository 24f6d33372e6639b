"""The audit store: a history row for every write to the registry's records, and the application events
(reveals, exports, logins, refused access) beside it.

Record history is kept by database triggers (django-pghistory over django-pgtrigger): a trigger on each
tracked table copies the row on insert, update and delete, so bulk_update, QuerySet.update(), raw SQL and
COPY are recorded as surely as save(). The request's user and URL (or a command's label) reach the trigger
through pghistory's context. Triggers exist only on PostgreSQL: on SQLite (the demo) there is no record
history, and the audit page says so. Nothing here is ever updated or deleted: on PostgreSQL a protection
trigger refuses both on every audit table, and the admin offers neither.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import AgreementTerm, Case, Deliberation, Meeting
from grids.models import Assignment, Community, Grid
from projects.models import Need, Project
from residents.models import CareEnrolment, Household, LiaisonLink, Resident
from shops.models import Shop, ShopPledge
from visits.models import Patrol, PatrolFinding, Visit, VisitPlan
from volunteers.models import ActivitySignUp, ReportingMember, Volunteer

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def _history_of(model: type[models.Model]) -> type[models.Model]:
    """The abstract history model of `model`, placed in this app so the domain apps keep only the triggers."""
    return pghistory.create_event_model(
        model,
        # Inserts, updates that change a value, and deletes (with the row as it was).
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        app_label="audit",
        obj_field=pghistory.ObjForeignKey(related_name="history"),
        append_only=True,
        meta={"indexes": [models.Index(fields=["pgh_created_at"], name=f"{model._meta.model_name}_h_at")]},
    )


class HouseholdHistory(_history_of(Household)):
    """Each version of a household (户)."""


class ResidentHistory(_history_of(Resident)):
    """Each version of a resident (居民)."""


class CareEnrolmentHistory(_history_of(CareEnrolment)):
    """Each version of a care enrolment (关爱对象登记)."""


class LiaisonLinkHistory(_history_of(LiaisonLink)):
    """Each version of a Party member's liaison link (党员联户)."""


class VisitPlanHistory(_history_of(VisitPlan)):
    """Each version of a household's visit plan (走访计划)."""


class VisitHistory(_history_of(Visit)):
    """Each version of a visit (走访记录)."""


class PatrolHistory(_history_of(Patrol)):
    """Each version of a patrol (巡查记录)."""


class PatrolFindingHistory(_history_of(PatrolFinding)):
    """Each version of a patrol finding (巡查发现)."""


class CaseHistory(_history_of(Case)):
    """Each version of a case (工单)."""


class MeetingHistory(_history_of(Meeting)):
    """Each version of a consultation meeting (协商会议)."""


class AgreementTermHistory(_history_of(AgreementTerm)):
    """Each version of an agreement term (协议条款): who marked it done, and when."""


class DeliberationHistory(_history_of(Deliberation)):
    """Each version of a community deliberation (居民议事): its state, decision and report-back."""


class AssignmentHistory(_history_of(Assignment)):
    """Each version of an assignment (岗位分配)."""


class ShopHistory(_history_of(Shop)):
    """Each version of a shop or unit (实有单位)."""


class ShopPledgeHistory(_history_of(ShopPledge)):
    """Each version of a 门前三包 pledge (门前三包责任书)."""


class ReportingMemberHistory(_history_of(ReportingMember)):
    """Each version of a reporting Party member's record (在职党员双报到)."""


class VolunteerHistory(_history_of(Volunteer)):
    """Each version of a volunteer's record (志愿者)."""


class ActivitySignUpHistory(_history_of(ActivitySignUp)):
    """Each version of a sign-up: attendance and the hours credited (活动报名与服务时长)."""


class NeedHistory(_history_of(Need)):
    """Each version of a need (需求清单): its origin, state and how it was closed."""


class ProjectHistory(_history_of(Project)):
    """Each version of a project (项目清单): claimant, owner, deadline, result, state."""


HISTORY_MODELS = (
    HouseholdHistory,
    ResidentHistory,
    CareEnrolmentHistory,
    LiaisonLinkHistory,
    VisitPlanHistory,
    VisitHistory,
    PatrolHistory,
    PatrolFindingHistory,
    CaseHistory,
    MeetingHistory,
    AgreementTermHistory,
    DeliberationHistory,
    AssignmentHistory,
    ShopHistory,
    ShopPledgeHistory,
    ReportingMemberHistory,
    VolunteerHistory,
    ActivitySignUpHistory,
    NeedHistory,
    ProjectHistory,
)


class AuditEvent(models.Model):
    """One application event: a reveal, an export, a login or its failure, a logout, a refused request."""

    class Kind(models.TextChoices):
        REVEAL = "reveal", _("查看完整信息")
        EXPORT = "export", _("导出")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出")
        REFUSED = "refused", _("拒绝访问")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("用户"),
    )
    # What was typed at a failed login (never the password); the account may not exist.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    path = models.CharField(_("网址"), max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    # The record the event is about (a revealed resident), as "app_label.model" and its id.
    record_model = models.CharField(_("记录类型"), max_length=64, blank=True)
    record_id = models.BigIntegerField(_("记录编号"), null=True, blank=True)
    # Where the event belongs, for the leaders' scope; events without a grid are for superusers only.
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("网格"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("社区"),
    )
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("操作事件")
        verbose_name_plural = _("操作事件")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_event_latest"),
            models.Index(fields=["user", "-at"], name="audit_event_user"),
            models.Index(fields=["record_model", "record_id"], name="audit_event_record"),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"
