"""Requests (诉求) and their cases (工单): the category catalogue, the case with its clocks and outcome,
its timeline, attachments and consultation meetings (协商议事); community deliberations (居民议事), whose
meetings are the same Meeting rows.

The workflow's states and who may move a case between them are in cases/workflow.py; every move goes
through cases.services.case_transition.
"""

import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.submissions import submission_token_column
from grids.models import Building, Community, Grid
from residents.identity import mask_phone
from residents.models import Household, Resident
from visits.models import PatrolFinding, Visit


class Urgency(models.TextChoices):
    """紧急程度; the time limits of each level (DOMAIN.md, after Beijing's 12345 standard) are in clock.py."""

    EMERGENCY = "emergency", _("紧急（危及生命财产）")
    URGENT = "urgent", _("急办（水电气暖）")
    GENERAL = "general", _("一般")
    COMPLEX = "complex", _("复杂")


class Category(models.Model):
    """事项清单: one kind of request with its time limits. Managed by staff in the admin."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("服务清单")
        ASSISTANCE = "assistance", _("救助申请")
        PROBLEM = "problem", _("问题类")

    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind)
    default_urgency = models.CharField(_("默认紧急程度"), max_length=12, choices=Urgency)
    response_hours = models.PositiveIntegerField(
        _("响应时限（小时）"), help_text=_("受理后多少小时内须有网格员接单。")
    )
    resolution_hours = models.PositiveIntegerField(
        _("办结时限（小时）"), help_text=_("受理后多少小时内须办结。")
    )
    active = models.BooleanField(_("启用"), default=True)
    # The catalogue's resident-facing part: what a resident may raise on the residents' pages (线上).
    for_residents = models.BooleanField(
        _("居民可自助提交"), default=True, help_text=_("居民扫码反映诉求时可选的类别。")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("事项类别")
        verbose_name_plural = _("事项清单")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_hours__gte=1) & Q(resolution_hours__gte=models.F("response_hours")),
                name="category_limits_sensible",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    VISIT = "visit", _("走访")
    WALK_IN = "walk_in", _("来访")
    PHONE = "phone", _("来电")
    HOTLINE = "hotline", _("12345热线")
    PATROL = "patrol", _("网格巡查")
    ONLINE = "online", _("线上")


class Status(models.TextChoices):
    """DOMAIN.md's states, in the order a case moves through them."""

    SUBMITTED = "submitted", _("待受理")
    DISPATCHED = "dispatched", _("待接单")
    IN_PROGRESS = "in_progress", _("办理中")
    ESCALATED = "escalated", _("已上报街道")
    IN_CONSULTATION = "in_consultation", _("协商中")
    RESOLVED = "resolved", _("已办结，待回访")
    CLOSED = "closed", _("已归档")


# States whose resolution clock runs (the response clock runs while the case waits in dispatched).
HANDLING_STATUSES = frozenset({Status.IN_PROGRESS, Status.ESCALATED, Status.IN_CONSULTATION})


class Action(models.TextChoices):
    """What can happen to a case: the lines of its timeline. Where and by whom: cases/workflow.py."""

    REGISTER = "register", _("登记")
    ACCEPT = "accept", _("受理派单")
    REJECT = "reject", _("不予受理")
    MERGE = "merge", _("合并")
    DISPATCH = "dispatch", _("改派")
    TAKE = "take", _("接单")
    RETURN = "return", _("退单")
    ESCALATE = "escalate", _("上报街道")
    HAND_BACK = "hand_back", _("街道回派")
    OPEN_CONSULTATION = "open_consultation", _("发起协商")
    RECORD_MEETING = "record_meeting", _("记录协商会议")
    PAUSE = "pause", _("暂停计时")
    RESUME = "resume", _("恢复计时")
    RESOLVE = "resolve", _("办结")
    FOLLOW_UP = "follow_up", _("回访")
    REOPEN = "reopen", _("重办")
    CLOSE = "close", _("归档")
    URGE = "urge", _("督办")
    MERGED_FROM = "merged_from", _("并入工单")
    # The requester's own moves, through the case's tracking link (the residents' pages).
    WITHDRAW = "withdraw", _("诉求人撤回")
    SUPPLEMENT = "supplement", _("诉求人补充材料")


class Outcome(models.TextChoices):
    """How a case was archived. Only RESOLVED counts toward the resolution rate."""

    RESOLVED = "resolved", _("已解决")
    UNRESOLVED = "unresolved", _("未解决")
    MERGED = "merged", _("已合并")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")  # by the requester, before it was accepted


class UnresolvedReason(models.TextChoices):
    OUTSIDE_POWER = "outside_power", _("超出社区职权")
    UNREACHABLE = "unreachable", _("无法联系诉求人")
    WITHDRAWN = "withdrawn", _("诉求人撤回")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


def case_number(day: datetime.date, pk: int) -> str:
    """工单编号: the local date the case came in and its row id, unique without a counter to lock."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}{pk:06d}"  # not strftime: 10x slower


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Cases in the user's grids (the same scope as households; 404 outside it)."""
        return self.filter(grid__in=Grid.objects.visible_to(user))

    def open(self) -> Self:
        return self.exclude(status=Status.CLOSED)


# What the measures read from each (grid, date) index besides the date, so that PostgreSQL answers from
# the index alone: each measure's conditions over the cases with its date in the period (the drill-down
# lists' counts; cases.measures.counted_by_grid, which the stored days are held to, counts each date's
# measures in one query over that date's entries), and the dashboard's categories and states. A street's
# month is some 6,000 cases a date; read from the table they were pages visited at random (all dates'
# cases together, 80-97 ms at 500,000 households), from the indexes alone 3-5 ms each.
_INDEX_COLUMNS = {
    "created_at": ["id", "category", "status"],
    "accepted_at": ["id", "first_taken_at", "closed_at", "response_limit"],
    "first_taken_at": ["id", "accepted_at"],
    "resolved_at": ["id", "resolution_due", "accepted_at"],
    "followed_up_at": ["id", "follow_up_resolved", "satisfaction"],
    "closed_at": ["id", "outcome", "escalated_at", "resolved_at"],
}


# Case.place in SQL, for a list that shows the place without loading each case's building.
PLACE = Coalesce(NullIf(F("address"), Value("")), F("building__address"), Value(""))


def display_name(user: str) -> Coalesce:
    """In SQL, the name a page shows for the user behind the relation `user`: the first name, else the
    username (as the templates' `first_name|default:username`)."""
    return Coalesce(NullIf(F(f"{user}__first_name"), Value("")), F(f"{user}__username"))


class Case(models.Model):
    """工单: one request from intake to its archived outcome."""

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    channel = models.CharField(_("来源渠道"), max_length=12, choices=Channel)
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.SUBMITTED)

    # The requester: a resident of the registry, a named outsider, or anonymous (nothing).
    requester = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("诉求人（居民）"),
    )
    requester_name = models.CharField(_("诉求人姓名"), max_length=50, blank=True)
    requester_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="cases", verbose_name=_("网格"))
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("楼栋"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("户")
    )
    address = models.CharField(_("地点"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("事项类别")
    )
    urgency = models.CharField(_("紧急程度"), max_length=12, choices=Urgency)
    description = models.TextField(_("诉求内容"))

    origin_visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("来源走访"),
    )
    origin_finding = models.ForeignKey(
        PatrolFinding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("来源巡查发现"),
    )

    # Dispatch: the grid (any of its workers may take it) or one worker; then who took it.
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_assigned",
        verbose_name=_("指派网格员"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_handled",
        verbose_name=_("承办人"),
    )
    # The worker who returned it (退单) and why, until the desk sends it again or someone takes it: the
    # desk shows it as returned, and that worker may not take it back meanwhile (workflow's guard).
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("退单人"),
    )
    return_reason = models.CharField(_("退单理由"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases_registered",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)

    # Clocks, fixed at acceptance (cases.clock). A pause moves the due times on by its length when it ends.
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    response_limit = models.DurationField(_("响应时限"), null=True, blank=True)
    resolution_limit = models.DurationField(_("办结时限"), null=True, blank=True)
    response_due = models.DateTimeField(_("接单期限"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("办结期限"), null=True, blank=True)
    # The clock that runs now (response while waiting to be taken, resolution while handled); empty when
    # none runs (before acceptance, while paused, after resolution). Overdue is derived from it at read.
    clock_warn_at = models.DateTimeField(_("临期时间"), null=True, blank=True)
    clock_due_at = models.DateTimeField(_("当前期限"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    pause_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)

    first_taken_at = models.DateTimeField(_("首次接单时间"), null=True, blank=True)
    taken_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    follow_up_resolved = models.BooleanField(_("回访确认已解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    last_urged_at = models.DateTimeField(_("最近督办"), null=True, blank=True)

    closed_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    outcome = models.CharField(_("办理结论"), max_length=12, choices=Outcome, blank=True)
    unresolved_reason = models.CharField(_("未解决原因"), max_length=16, choices=UnresolvedReason, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("合并至"),
    )

    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "status", "clock_due_at"], name="case_grid_status_due"),
            models.Index(fields=["handler", "status"], name="case_handler_status"),
            models.Index(fields=["-created_at", "-id"], name="case_latest"),
            models.Index(fields=["grid", "category", "-created_at"], name="case_grid_category"),
            # The dashboard's measures each count the cases whose own date falls in the period.
            *(
                models.Index(fields=[f], condition=Q(**{f"{f}__isnull": False}), name=f"case_{f}")
                for f in ("accepted_at", "first_taken_at", "resolved_at", "followed_up_at", "closed_at")
            ),
            # ... over a scope's grids (a street's five hundred, a community's): each date again after the
            # grid, so the period's cases of those grids are read, not every case the grids ever had; each
            # carries what the dashboard reads with its date (_INDEX_COLUMNS).
            *(
                models.Index(
                    fields=["grid", f],
                    condition=Q(**{f"{f}__isnull": False}),
                    include=_INDEX_COLUMNS[f],
                    name=f"case_grid_{f}",
                )
                for f in ("accepted_at", "first_taken_at", "resolved_at", "followed_up_at", "closed_at")
            ),
            models.Index(
                fields=["grid", "created_at"],
                include=_INDEX_COLUMNS["created_at"],
                name="case_grid_created_at",
            ),
            # ... and the open cases not yet taken, for the trend and the measures (CaseWeekTally,
            # CaseDayTally: whether their time to be taken has run out depends on the hour of asking), a few
            # hundred in a district.
            models.Index(
                fields=["grid", "accepted_at"],
                condition=Q(accepted_at__isnull=False, first_taken_at__isnull=True, closed_at__isnull=True),
                include=["response_limit"],
                name="case_grid_untaken",
            ),
            # ... and the cases archived resolved after going up to the street, whose timeline says whether
            # the street resolved them (STREET's hit, not stored in CaseDayTally): dozens a street's month.
            models.Index(
                fields=["grid", "closed_at"],
                condition=Q(escalated_at__isnull=False, outcome=Outcome.RESOLVED),
                include=["resolved_at"],
                name="case_grid_street_closed",
            ),
            # ... and the open cases overdue now, across a street's grids.
            models.Index(fields=["clock_due_at"], condition=~Q(status=Status.CLOSED), name="case_open_clock"),
            # ... and the street's inbox: the few cases escalated now, whatever the district's size.
            models.Index(
                fields=["clock_due_at"], condition=Q(status=Status.ESCALATED), name="case_escalated"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False)
                | Q(requester__isnull=True, requester_name="", requester_phone=""),
                name="case_anonymous_has_no_requester",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.SUBMITTED) | Q(status=Status.CLOSED) | Q(accepted_at__isnull=False),
                name="case_accepted_once_dispatched",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=sorted(HANDLING_STATUSES)) | Q(handler__isnull=False),
                name="case_handled_has_handler",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | Q(resolved_at__isnull=False),
                name="case_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False) & ~Q(outcome="")
                | ~Q(status=Status.CLOSED) & Q(closed_at__isnull=True, outcome=""),
                name="case_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(outcome=Outcome.MERGED, merged_into__isnull=False)
                | ~Q(outcome=Outcome.MERGED) & Q(merged_into__isnull=True),
                name="case_merged_names_target",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.UNRESOLVED) | ~Q(unresolved_reason=""),
                name="case_unresolved_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.category}"

    @property
    def requester_label(self) -> str:
        if self.anonymous:
            return str(_("匿名"))
        if self.requester_id:
            return self.requester.name
        return self.requester_name

    @property
    def requester_phone_full(self) -> str:
        """The number to call the requester on: the registry's for a resident, else the one written down."""
        if self.anonymous:
            return ""
        if self.requester_id:
            return self.requester.phone or ""
        return self.requester_phone

    @property
    def requester_phone_masked(self) -> str:
        return mask_phone(self.requester_phone_full)

    @property
    def place(self) -> str:
        """Where the request is: the address written at intake, else its building's (never both).
        `PLACE` is the same rule in SQL."""
        if self.address:
            return self.address
        return self.building.address if self.building_id else ""

    def clock_state(self, now: datetime.datetime) -> str:
        """ "overdue", "warning" (past 80% of the limit), "paused", "running" or "" (no clock)."""
        if self.paused_at is not None:
            return "paused"
        if self.clock_due_at is None:
            return ""
        if now >= self.clock_due_at:
            return "overdue"
        if now >= self.clock_warn_at:
            return "warning"
        return "running"


class CaseEvent(models.Model):
    """One line of a case's timeline: who did what, when, the move it made and the note they wrote."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("工单"))
    # The case's grid when the line was written (set by `save`): a worker's lines count in the grid they
    # worked in, and the workload reads a street's lines of a period by grid (case_event_grid_action).
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("网格")
    )
    action = models.CharField(_("操作"), max_length=20, choices=Action)
    # Indexed with its action and time (case_event_actor_action), which serves a lookup by actor alone too.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
        db_index=False,
    )
    at = models.DateTimeField(_("时间"))
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status)
    note = models.TextField(_("说明"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="case_event_timeline"),
            # The reopens of a period, with their cases (read from the index alone on PostgreSQL).
            models.Index(fields=["action", "at"], include=["case"], name="case_event_action_at"),
            models.Index(fields=["grid", "action", "at"], name="case_event_grid_action"),
            # A page of the workload table: its fifty workers' take and resolve lines of a period, with
            # their cases and grids, from the index alone (not every line of theirs ANDed with every line
            # of the district's month: 14 ms at 500,000 households).
            models.Index(
                fields=["actor", "action", "at"], include=["case", "grid"], name="case_event_actor_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.action}"

    def save(self, *args, **kwargs):
        if self.grid_id is None:
            self.grid_id = self.case.grid_id
        super().save(*args, **kwargs)


class RequesterReveal(models.Model):
    """Each time someone saw the full phone of a requester who is not in the registry (a named outsider),
    to call them back: who, which case, when. A registry resident's phone is revealed as any resident's
    (residents.RevealRecord). The audit copies both when they are saved (audit/signals.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("查看人")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="requester_reveals", verbose_name=_("工单")
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("诉求人电话查看记录")
        verbose_name_plural = _("诉求人电话查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.user_id}"


def attachment_path(instance: "CaseAttachment", filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    """A photo attached to a case (checked for type and size by cases.services.attachment_check)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("工单")
    )
    file = models.FileField(_("文件"), upload_to=attachment_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class DeliberationStatus(models.TextChoices):
    """居民议事's steps (DOMAIN.md: 征集 → 确定议题 → 议事 → 形成决议 → 执行 → 公示反馈), or 不予立项.

    Who moves a deliberation between them is cases/deliberation_workflow.py.
    """

    GATHERED = "gathered", _("征集中")
    FIXED = "fixed", _("已确定议题")
    DELIBERATED = "deliberated", _("议事中")
    DECIDED = "decided", _("已形成决议")
    CARRIED_OUT = "carried_out", _("已执行")
    REPORTED_BACK = "reported_back", _("已公示反馈")
    DROPPED = "dropped", _("不予立项")


# A deliberation that reached a decision has settled its question (the seed's "解决10余个…问题").
SETTLED_STATUSES = frozenset(
    {DeliberationStatus.DECIDED, DeliberationStatus.CARRIED_OUT, DeliberationStatus.REPORTED_BACK}
)


class DeliberationAction(models.TextChoices):
    """What can happen to a deliberation: the lines of its timeline (where and by whom: the workflow)."""

    GATHER = "gather", _("征集议题")
    FIX = "fix", _("确定议题")
    RECORD_MEETING = "record_meeting", _("召开议事会")
    DECIDE = "decide", _("形成决议")
    CARRY_OUT = "carry_out", _("执行完毕")
    REPORT_BACK = "report_back", _("公示反馈")
    DROP = "drop", _("不予立项")


class DeliberationQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Deliberations of the user's communities (a topic is community-wide; 404 outside)."""
        return self.filter(community__in=Community.objects.visible_to(user))


class Deliberation(models.Model):
    """居民议事: a community-wide topic from residents' suggestions to the decision reported back to them."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="deliberations", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliberations",
        verbose_name=_("网格"),
        help_text=_("可选：议题只涉及一个网格时填写。"),
    )
    title = models.CharField(_("议题"), max_length=100)
    description = models.TextField(_("议题说明"))
    suggestions = models.TextField(
        _("居民意见来源"), blank=True, help_text=_("每行一条：谁、在哪里、提了什么。")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliberationStatus, default=DeliberationStatus.GATHERED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("征集人")
    )
    # When each step was reached (set by the workflow's moves).
    gathered_at = models.DateTimeField(_("征集时间"), default=timezone.now)
    fixed_at = models.DateTimeField(_("确定议题时间"), null=True, blank=True)
    deliberated_at = models.DateTimeField(_("首次议事时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("形成决议时间"), null=True, blank=True)
    carried_out_at = models.DateTimeField(_("执行完毕时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("公示反馈时间"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("不予立项时间"), null=True, blank=True)
    # What each step wrote.
    decision = models.TextField(_("决议"), blank=True)
    carried_out_note = models.TextField(_("执行情况"), blank=True)
    report_back = models.TextField(_("公示反馈"), blank=True)
    drop_reason = models.TextField(_("不予立项理由"), blank=True)
    submission_token = submission_token_column()

    objects = DeliberationQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民议事")
        verbose_name_plural = _("居民议事")
        ordering = ["-gathered_at", "-id"]
        indexes = [
            models.Index(fields=["community", "-gathered_at", "-id"], name="deliberation_recent"),
            models.Index(fields=["community", "status", "-gathered_at"], name="deliberation_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["gathered", "dropped"]) | Q(fixed_at__isnull=False),
                name="deliberation_fixed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["decided", "carried_out", "reported_back"])
                | (Q(decided_at__isnull=False) & ~Q(decision="")),
                name="deliberation_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["carried_out", "reported_back"]) | Q(carried_out_at__isnull=False),
                name="deliberation_carried_out_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="reported_back") | (Q(reported_at__isnull=False) & ~Q(report_back="")),
                name="deliberation_reported_has_text",
            ),
            models.CheckConstraint(
                condition=~Q(status="dropped") | (Q(dropped_at__isnull=False) & ~Q(drop_reason="")),
                name="deliberation_dropped_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def settled(self) -> bool:
        return self.status in SETTLED_STATUSES


class DeliberationEvent(models.Model):
    """One line of a deliberation's timeline: who did what, when, the move it made and the note written."""

    deliberation = models.ForeignKey(
        Deliberation, on_delete=models.CASCADE, related_name="events", verbose_name=_("居民议事")
    )
    action = models.CharField(_("操作"), max_length=20, choices=DeliberationAction)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("时间"))
    from_status = models.CharField(_("原状态"), max_length=16, choices=DeliberationStatus, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=DeliberationStatus)
    note = models.TextField(_("说明"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("议事记录")
        verbose_name_plural = _("议事记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deliberation", "at"], name="deliberation_event_timeline")]

    def __str__(self) -> str:
        return f"{self.deliberation_id} · {self.action}"


class Meeting(models.Model):
    """协商议事 / 调解: one round of a consultation about a case, or one meeting of a community
    deliberation (居民议事): the same record, chair, participants, minutes, outcome and agreed terms."""

    class Outcome(models.TextChoices):
        AGREEMENT = "agreement", _("达成协议")
        PARTIAL = "partial", _("部分达成")
        NONE = "none", _("未达成")
        ADJOURNED = "adjourned", _("休会待续")

    # Exactly one of the two (meeting_of_case_or_deliberation).
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="meetings", verbose_name=_("工单")
    )
    deliberation = models.ForeignKey(
        Deliberation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("居民议事"),
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    held_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=200)
    chair = models.CharField(_("主持人"), max_length=50)
    question = models.TextField(_("议题"))
    minutes = models.TextField(_("会议记录"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now, editable=False)
    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    class Meta:
        verbose_name = _("协商会议")
        verbose_name_plural = _("协商会议")
        ordering = ["case", "round"]
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="meeting_unique_round"),
            models.UniqueConstraint(
                fields=["deliberation", "round"], name="meeting_unique_round_in_deliberation"
            ),
            models.CheckConstraint(condition=Q(round__gte=1), name="meeting_round_positive"),
            models.CheckConstraint(
                condition=Q(case__isnull=False, deliberation__isnull=True)
                | Q(case__isnull=True, deliberation__isnull=False),
                name="meeting_of_case_or_deliberation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.round}"

    @property
    def reference(self) -> str:
        """What the meeting is about: the case's number, or the deliberation's topic."""
        return self.case.number if self.case is not None else self.deliberation.title

    @property
    def community(self) -> Community:
        """The community whose name heads the agreement (a case's through its grid)."""
        return self.case.grid.community if self.case is not None else self.deliberation.community


class Participant(models.Model):
    """Someone at a meeting: a resident of the registry, a portal user, or a named outsider."""

    class Role(models.TextChoices):
        REQUESTER = "requester", _("诉求人")
        OTHER_PARTY = "other_party", _("对方当事人")
        VOLUNTEER_LAWYER = "volunteer_lawyer", _("志愿律师")
        MEDIATOR = "mediator", _("人民调解员")
        PARTY_MEMBER = "party_member", _("党员")
        RESIDENT_REPRESENTATIVE = "resident_representative", _("居民代表")
        PARTNER_UNIT = "partner_unit", _("共建单位")
        STAFF = "staff", _("社区工作人员")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name=_("会议")
    )
    role = models.CharField(_("身份"), max_length=24, choices=Role)
    name = models.CharField(_("姓名"), max_length=50)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("居民")
    )
    # A volunteer of the community taking part (volunteers.Volunteer): the meeting joins their service record.
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_participations",
        verbose_name=_("志愿者"),
    )

    class Meta:
        verbose_name = _("参会人")
        verbose_name_plural = _("参会人")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_role_display()}"


class AgreementTermQuerySet(models.QuerySet):
    def in_grids(self, grids) -> Self:
        """Terms of meetings in these grids (ids or a grid queryset): a case's meeting in the case's grid, a
        deliberation's in any grid of its community (a deliberation belongs to the whole community)."""
        communities = Grid.objects.filter(pk__in=grids).values("community_id")
        return self.filter(
            Q(meeting__case__grid__in=grids) | Q(meeting__deliberation__community__in=communities)
        )

    def open(self) -> Self:
        """Terms not yet marked done."""
        return self.filter(done_at__isnull=True)

    def overdue(self, today: datetime.date) -> Self:
        """Open terms whose deadline has passed (an undertaking without a deadline is never overdue)."""
        return self.open().filter(due__lt=today)


class AgreementTerm(models.Model):
    """One term of a meeting's agreement: who does what by when, and whether it has been done.

    The term tracks itself, after the case is archived too: it belongs to its meeting, not to the case, so
    the same terms come from a meeting of a community deliberation (议事) as well as of a case.
    A term without a deadline is an undertaking (承诺事项): open until marked done, never overdue.
    """

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="terms", verbose_name=_("会议")
    )
    party = models.CharField(_("责任方"), max_length=100)
    action = models.CharField(_("事项"), max_length=300)
    due = models.DateField(_("完成期限"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认完成人"),
    )
    done_note = models.CharField(_("完成情况"), max_length=200, blank=True)

    objects = AgreementTermQuerySet.as_manager()

    class Meta:
        verbose_name = _("协议条款")
        verbose_name_plural = _("协议条款")
        ordering = ["id"]
        indexes = [
            # The desk's (and the notifications') open terms by deadline.
            models.Index(fields=["due"], condition=Q(done_at__isnull=True), name="term_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True, done_note="")
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="term_done_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.action}"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.done_at is None and self.due is not None and self.due < today


# The measures' stored counts live in their own module; imported here so Django registers them.
from .tallies import CaseDayTally, CaseWeekTally  # noqa: E402, F401
