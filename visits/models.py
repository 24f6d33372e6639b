"""Door-knock visits (敲门行动), the visit schedule of care-group households, and grid patrols (巡查)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.submissions import submission_token_column
from grids.models import Community, Grid, WorkTeamMember
from residents.models import CareCategory, Household, Resident
from shops.models import Shop
from volunteers.models import Volunteer

# Visit-interval rules (DOMAIN.md, 走访频次). Keys are care categories, plus one for severe disability,
# which DOMAIN.md schedules more often than other disability grades.
SEVERE_DISABILITY = "disabled_severe"
SEVERE_DISABILITY_MAX_GRADE = 2
# DOMAIN.md's defaults (走访频次); VisitInterval rows, editable by staff, take precedence over them.
DEFAULT_INTERVAL_DAYS = {
    CareCategory.ELDERLY_LIVING_ALONE: 7,
    CareCategory.VERY_OLD: 7,
    CareCategory.EMPTY_NEST_ELDERLY: 14,
    CareCategory.BEREAVED_PARENTS: 14,
    SEVERE_DISABILITY: 14,
    CareCategory.DISABLED: 30,
    CareCategory.MINIMUM_ALLOWANCE: 30,
    CareCategory.EXTREME_POVERTY_SUPPORT: 30,
    CareCategory.PARTY_MEMBER_IN_HARDSHIP: 30,
}
INTERVAL_RULE_CHOICES = [
    *CareCategory.choices[:4],
    (SEVERE_DISABILITY, _("残疾人（一、二级）")),
    (CareCategory.DISABLED.value, _("残疾人（三、四级）")),
    *CareCategory.choices[5:],
]


class VisitInterval(models.Model):
    """How often a care group must be visited; DOMAIN.md's defaults (migration 0002), editable in admin."""

    rule = models.CharField(_("关爱类别"), max_length=32, choices=INTERVAL_RULE_CHOICES, unique=True)
    days = models.PositiveSmallIntegerField(_("走访间隔（天）"))

    class Meta:
        verbose_name = _("走访频次")
        verbose_name_plural = _("走访频次")
        ordering = ["days", "rule"]
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="visit_interval_positive")]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.days}"


class VisitPlan(models.Model):
    """A household's own visit arrangement, and its schedule as last computed.

    The rule is visits.selectors.care_schedule. Its result is kept here by visits.services.schedule_refresh
    whenever a visit, an enrolment or the override changes, so the district-wide due and overdue lists
    read one indexed date instead of recomputing tens of thousands of households per page. Enrolments
    also start and end by date alone: `schedule_valid_until` is the first such day, and every selector or
    measure that reads a schedule first refreshes the plans whose day has come (visits.measures.
    read_schedules, calling services.schedule_refresh_stale).
    """

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="visit_plan", verbose_name=_("户")
    )
    interval_override_days = models.PositiveSmallIntegerField(
        _("本户走访间隔（天）"),
        null=True,
        blank=True,
        help_text=_("填写后优先于关爱类别的走访频次，如每周三次送物资填 2。"),
    )
    override_reason = models.CharField(_("原因"), max_length=200, blank=True)
    last_visited_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("走访间隔（天）"), null=True, blank=True)
    next_due = models.DateField(_("下次应访"), null=True, blank=True)
    schedule_valid_until = models.DateField(_("计划有效至"), null=True, blank=True)

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        indexes = [
            models.Index(fields=["next_due"], condition=Q(next_due__isnull=False), name="visit_plan_due"),
            models.Index(
                fields=["schedule_valid_until"],
                condition=Q(schedule_valid_until__isnull=False),
                name="visit_plan_valid_until",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_override_days__isnull=True) | Q(interval_override_days__gte=1),
                name="visit_plan_override_positive",
            )
        ]

    def __str__(self) -> str:
        return str(self.household)


class DueTally(models.Model):
    """How many care-group households (visits.measures.SCHEDULED: registered, with a schedule) of a grid
    are next due on a day: the stored schedules counted once, so the district's coverage and overdue
    figures add up a few thousand rows instead of joining every household to its plan.

    Kept by the database itself, in the same transaction as the write: triggers on VisitPlan (its next
    due date) and on Household (its status and grid) add and take away one (migration
    0010_duetally). Nothing in Python writes it; `visits.measures.coverage_by` reads it, and
    tests/test_due_tally.py checks it against counting the households directly.
    """

    # No database constraint and nothing done on delete: a deleted grid's households take their counts
    # down to zero as they go, through the same triggers.
    grid = models.ForeignKey(Grid, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    next_due = models.DateField()
    households = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "next_due"], name="due_tally_grid_day")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.next_due}: {self.households}"


class CommunityDueTally(models.Model):
    """DueTally added up per community: how many care-group households of a community are next due on a
    day. The overdue overview of a street or a district reads a few rows per community instead of every
    grid's, so its cost does not grow with the number of grids.

    Kept by the database in the same transaction as the write: triggers on DueTally (each change of a
    grid's count) and on Grid (a grid moved to another community) (migration 0012_communityduetally).
    `visits.measures.coverage_by_community` reads it; tests/test_due_tally.py and `manage.py
    check_invariants` check it against adding up DueTally.
    """

    community = models.ForeignKey(
        Community, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    next_due = models.DateField()
    households = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "next_due"], name="community_due_tally_day")
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.next_due}: {self.households}"


class VisitTally(models.Model):
    """How many visits each user went on in a grid on a day (local time): a visit counts once for each of
    its visitors, in the grid of its household. The workload's visits column over a street's month adds up
    these rows instead of joining each of the month's visits to its household and its visitors.

    Kept by the database itself, in the same transaction as the write, like DueTally: triggers on the
    visitors of a visit (added, removed), on Visit (its time or household changed) and on Household (its
    grid changed) add and take away (migration 0011_visittally). `visits.measures.visits_by_visitor` reads
    it; tests/test_visit_tally.py and `manage.py check_invariants` check it against counting the visits.
    """

    grid = models.ForeignKey(Grid, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    # Indexed with the day (visit_tally_visitor_day), which serves a lookup by visitor alone too.
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    visits = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid", "day", "visitor"], name="visit_tally_grid_day")
        ]
        indexes = [
            # A page of the workload table: its fifty workers' counts of a period, from the index alone.
            models.Index(
                fields=["visitor", "day"], include=["grid", "visits"], name="visit_tally_visitor_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.day} {self.visitor_id}: {self.visits}"


class VisitQuerySet(models.QuerySet):
    def counted(self) -> "VisitQuerySet":
        """Visits that count as done: for the schedule (the household's latest visit, so its next due date)
        and for every measure of visits. A knock with nobody home (无人应答) is recorded, with its time
        and who knocked, but leaves the household due; this is the one place that says so."""
        return self.filter(outcome=Visit.Outcome.MET)


class Visit(models.Model):
    """One door-knock visit to a household: when, who went, whom they met, what they found."""

    class Outcome(models.TextChoices):
        MET = "met", _("有人应答")
        NO_ANSWER = "no_answer", _("无人应答")

    class Kind(models.TextChoices):
        WELLBEING = "wellbeing", _("访民问暖")
        NEEDS = "needs", _("访民问需")
        CONDOLENCE = "condolence", _("慰问")
        POLICY_OUTREACH = "policy_outreach", _("政策宣传")
        HOME_SERVICE = "home_service", _("上门服务")

    class Condition(models.TextChoices):
        NORMAL = "normal", _("正常")
        ATTENTION = "attention", _("需关注")
        URGENT = "urgent", _("紧急")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("户")
    )
    visited_at = models.DateTimeField(_("走访时间"))
    kind = models.CharField(_("走访类型"), max_length=20, choices=Kind, default=Kind.WELLBEING)
    # A knock with nobody home is kept (who knocked, when) but does not count: VisitQuerySet.counted.
    outcome = models.CharField(_("走访结果"), max_length=12, choices=Outcome, default=Outcome.MET)
    condition = models.CharField(_("居民状况"), max_length=12, choices=Condition, default=Condition.NORMAL)
    notes = models.TextField(_("走访情况"), blank=True)
    needs_found = models.TextField(_("发现的诉求"), blank=True)
    residents_met = models.ManyToManyField(
        Resident, related_name="visits_met", blank=True, verbose_name=_("见到的居民")
    )
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="visits_made", verbose_name=_("走访人员")
    )
    team_members = models.ManyToManyField(
        WorkTeamMember, related_name="visits_made", blank=True, verbose_name=_("同行工作队员")
    )
    volunteers = models.ManyToManyField(
        Volunteer, related_name="visits", blank=True, verbose_name=_("同行志愿者")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits_logged",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["household", "-visited_at"], name="visit_household_latest"),
            models.Index(fields=["-visited_at", "-id"], name="visit_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.household}"


class VisitGift(models.Model):
    """慰问品 brought on a condolence visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="gifts", verbose_name=_("走访"))
    item = models.CharField(_("物品"), max_length=100)
    quantity = models.PositiveIntegerField(_("数量"))
    value = models.DecimalField(_("价值（元）"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("慰问品")
        verbose_name_plural = _("慰问品")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gift_quantity_positive"),
            models.CheckConstraint(condition=Q(value__gte=0), name="gift_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class VisitRevision(models.Model):
    """The state of a visit before each edit or correction, so its history is never lost."""

    class Kind(models.TextChoices):
        EDIT = "edit", _("修改")
        CORRECTION = "correction", _("更正")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("走访")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("更正说明"), blank=True)
    before = models.JSONField(_("修改前"), default=dict)

    class Meta:
        verbose_name = _("走访修改记录")
        verbose_name_plural = _("走访修改记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.visit_id}"


class Patrol(models.Model):
    """巡查: a grid worker's routine walk of the grid."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("网格"))
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("巡查人")
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    route = models.CharField(_("巡查路线"), max_length=300)
    notes = models.TextField(_("巡查情况"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["grid", "-started_at"], name="patrol_grid_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="patrol_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} · {self.started_at:%Y-%m-%d}"


class PatrolFinding(models.Model):
    """Something a patrol found (a blocked drain, cars parked on the pavement); may become a request."""

    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="findings", verbose_name=_("巡查")
    )
    location = models.CharField(_("位置"), max_length=200)
    description = models.TextField(_("发现的问题"))
    # The shop or unit inspected (门前三包), of the patrol's grid: the finding joins its record.
    shop = models.ForeignKey(
        Shop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("涉及单位"),
    )

    class Meta:
        verbose_name = _("巡查发现")
        verbose_name_plural = _("巡查发现")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.location


def photo_path(instance: "RecordPhoto", filename: str) -> str:
    if instance.visit_id is not None:
        return f"visits/{instance.visit_id}/{filename}"
    return f"patrols/findings/{instance.finding_id}/{filename}"


class RecordPhoto(models.Model):
    """A photo taken on a visit or of a patrol finding (checked and re-encoded by common.photos).

    Served only to users who may see the visit or the patrol (visits.views_photos.photo).
    """

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, null=True, blank=True, related_name="photos", verbose_name=_("走访")
    )
    finding = models.ForeignKey(
        PatrolFinding,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("巡查发现"),
    )
    file = models.FileField(_("文件"), upload_to=photo_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit__isnull=False, finding__isnull=True)
                | Q(visit__isnull=True, finding__isnull=False),
                name="record_photo_of_one_record",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
