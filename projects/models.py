"""三项清单: what residents need (Need), what partner units and teams can give (Resource), and the projects
that match one with the other (Project), with the project's timeline (ProjectEvent).

A need never drops silently: it is open, matched in a live project, or closed either because its project
was confirmed done or with a written reason (check constraints below). A project's states and moves are
one table, projects/workflow.py; projects.services.project_transition is the only code that moves one.
"""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Deliberation
from common.submissions import submission_token_column
from grids.models import Community, Grid
from visits.models import Visit
from volunteers.models import PartnerUnit, VolunteerTeam

# --- needs (需求清单) -------------------------------------------------------------------------------------


class NeedKind(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("为老服务")
    DISABILITY = "disability", _("助残服务")
    ENVIRONMENT = "environment", _("环境整治")
    FACILITIES = "facilities", _("设施维修")
    LEGAL = "legal", _("法律服务")
    CULTURE = "culture", _("文体活动")
    CHILDREN = "children", _("儿童关爱")
    OTHER = "other", _("其他")


class NeedOrigin(models.TextChoices):
    """Where a need was found. Each origin but `direct` names its record (the check constraint below)."""

    VISIT = "visit", _("走访发现")
    CASE = "case", _("诉求工单")
    DELIBERATION = "deliberation", _("居民议事")
    DIRECT = "direct", _("直接登记")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待匹配")
    MATCHED = "matched", _("已匹配")
    CLOSED = "closed", _("已关闭")


class NeedClosure(models.TextChoices):
    """How a need was closed: its project confirmed done, or without a match and with a reason."""

    DONE = "done", _("项目已完成")
    UNMATCHED = "unmatched", _("未匹配关闭")


class NeedQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The needs of the user's communities (404 outside them)."""
        return self.filter(community__in=Community.objects.visible_to(user))


class Need(models.Model):
    """需求: something residents need that the community means to meet with a partner's help."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="needs", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="needs", verbose_name=_("网格")
    )
    title = models.CharField(_("需求"), max_length=100)
    description = models.TextField(_("需求说明"), blank=True)
    kind = models.CharField(_("类别"), max_length=20, choices=NeedKind, default=NeedKind.OTHER)
    origin = models.CharField(_("来源"), max_length=12, choices=NeedOrigin, default=NeedOrigin.DIRECT)
    origin_visit = models.ForeignKey(
        Visit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("来源走访"),
    )
    origin_case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("来源工单"),
    )
    origin_deliberation = models.ForeignKey(
        Deliberation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("来源议事"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=NeedStatus, default=NeedStatus.OPEN)
    closure = models.CharField(_("关闭方式"), max_length=12, choices=NeedClosure, blank=True)
    close_reason = models.TextField(_("关闭原因"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="needs_registered",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    submission_token = submission_token_column()

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status", "-created_at"], name="need_community_status")]
        constraints = [
            # The origin names its record, and only that one.
            models.CheckConstraint(
                condition=(
                    Q(origin="visit", origin_visit__isnull=False)
                    & Q(origin_case__isnull=True, origin_deliberation__isnull=True)
                    | Q(origin="case", origin_case__isnull=False)
                    & Q(origin_visit__isnull=True, origin_deliberation__isnull=True)
                    | Q(origin="deliberation", origin_deliberation__isnull=False)
                    & Q(origin_visit__isnull=True, origin_case__isnull=True)
                    | Q(origin="direct")
                    & Q(origin_visit__isnull=True, origin_case__isnull=True, origin_deliberation__isnull=True)
                ),
                name="need_origin_names_its_record",
            ),
            # Closed means a closure and a time; open or matched means neither.
            models.CheckConstraint(
                condition=(
                    Q(status="closed", closed_at__isnull=False) & ~Q(closure="")
                    | ~Q(status="closed") & Q(closure="", closed_at__isnull=True)
                ),
                name="need_closed_has_closure",
            ),
            # A need closed without a match says why.
            models.CheckConstraint(
                condition=~Q(closure="unmatched") | ~Q(close_reason=""),
                name="need_unmatched_close_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# --- resources (资源清单) ---------------------------------------------------------------------------------


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("场地")
    FUNDS = "funds", _("资金")
    LEGAL = "legal", _("法律咨询")
    REPAIR = "repair", _("维修")
    ESCORT = "escort", _("陪护")
    OTHER = "other", _("其他")


class ResourceQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        return self.filter(community__in=Community.objects.visible_to(user))


class Resource(models.Model):
    """资源: what a partner unit or a volunteer team offers the community (exactly one of them)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="resources", verbose_name=_("社区")
    )
    partner_unit = models.ForeignKey(
        PartnerUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("共建单位"),
    )
    team = models.ForeignKey(
        VolunteerTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("志愿服务队"),
    )
    kind = models.CharField(_("资源类别"), max_length=12, choices=ResourceKind, default=ResourceKind.OTHER)
    title = models.CharField(_("资源"), max_length=100)
    description = models.TextField(_("资源说明"), blank=True)
    available = models.BooleanField(_("可提供"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    submission_token = submission_token_column()

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("资源")
        verbose_name_plural = _("资源清单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "-created_at"], name="resource_community_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner_unit__isnull=False, team__isnull=True)
                | Q(partner_unit__isnull=True, team__isnull=False),
                name="resource_offered_by_one",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def provider(self):
        return self.partner_unit or self.team


# --- projects (项目清单) ----------------------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("待认领")
    CLAIMED = "claimed", _("已认领")
    IN_PROGRESS = "in_progress", _("实施中")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待确认")
    CONFIRMED = "confirmed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


LIVE_PROJECT_STATES = [
    ProjectStatus.PROPOSED,
    ProjectStatus.CLAIMED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.AWAITING_CONFIRMATION,
]
CLAIMED_STATES = [
    ProjectStatus.CLAIMED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.AWAITING_CONFIRMATION,
    ProjectStatus.CONFIRMED,
]


class ProjectAction(models.TextChoices):
    MATCH = "match", _("匹配资源")
    CLAIM = "claim", _("认领")
    START = "start", _("开始实施")
    PROGRESS = "progress", _("记录进展")
    SUBMIT = "submit", _("提交结果")
    RETURN = "return", _("退回补做")
    CONFIRM = "confirm", _("社区确认")
    CANCEL = "cancel", _("撤销")


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        return self.filter(community__in=Community.objects.visible_to(user))


class Project(models.Model):
    """项目: a need matched with a resource, claimed by a unit or team, carried out and confirmed."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="projects", verbose_name=_("社区")
    )  # the need's, stored so the list is scoped by one indexed column
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="projects", verbose_name=_("需求"))
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="projects", verbose_name=_("资源")
    )
    title = models.CharField(_("项目名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=24, choices=ProjectStatus, default=ProjectStatus.PROPOSED)
    claimant_unit = models.ForeignKey(
        PartnerUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects_claimed",
        verbose_name=_("认领单位"),
    )
    claimant_team = models.ForeignKey(
        VolunteerTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects_claimed",
        verbose_name=_("认领队伍"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects_owned",
        verbose_name=_("负责人（平台用户）"),
    )
    owner_name = models.CharField(_("负责人"), max_length=50, blank=True)
    deadline = models.DateField(_("完成期限"), null=True, blank=True)
    result = models.TextField(_("实施结果"), blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("撤销原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("匹配人")
    )
    created_at = models.DateTimeField(_("匹配时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submission_token = submission_token_column()

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目清单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "-created_at"], name="project_community_status")
        ]
        constraints = [
            # One live project per need: a cancelled one frees the need for another match.
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status__in=LIVE_PROJECT_STATES),
                name="project_one_live_per_need",
            ),
            models.CheckConstraint(
                condition=Q(claimant_unit__isnull=True) | Q(claimant_team__isnull=True),
                name="project_claimed_by_one",
            ),
            # Claimed means a claimant, an owner (a user or a named person) and a deadline.
            models.CheckConstraint(
                condition=~Q(status__in=CLAIMED_STATES)
                | (
                    (Q(claimant_unit__isnull=False) | Q(claimant_team__isnull=False))
                    & (Q(owner__isnull=False) | ~Q(owner_name=""))
                    & Q(deadline__isnull=False)
                ),
                name="project_claimed_has_claimant_owner_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["awaiting_confirmation", "confirmed"]) | ~Q(result=""),
                name="project_result_before_confirmation",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="project_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="project_cancelled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def claimant(self):
        return self.claimant_unit or self.claimant_team

    @property
    def owner_label(self) -> str:
        if self.owner is not None:
            return self.owner.first_name or self.owner.get_username()
        return self.owner_name


class ProjectEvent(models.Model):
    """One line of a project's timeline: a move of the table, or a progress note (no move)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=12, choices=ProjectAction)
    from_status = models.CharField(_("原状态"), max_length=24, choices=ProjectStatus, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, choices=ProjectStatus)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["project", "at"], name="project_event_at")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action}"
