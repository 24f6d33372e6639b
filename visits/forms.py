"""Forms for logging a visit on a phone, correcting it and setting a household's visit plan.

They check shape only; who may visit, whom they may meet and what a gift must carry are rules of
visits.services, whose errors the views put back on these fields.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.dates import local_now_to_the_minute
from common.forms import LOCAL_MINUTE, DateTimeInput, StyledFormMixin, SubmissionTokenField
from grids.models import LEVEL_GRID, Assignment, Grid, WorkTeamMember
from grids.selectors import users_serving
from residents.models import Household, Resident
from residents.selectors import number_query
from volunteers.models import Volunteer

from .models import Visit
from .services import MAX_INTERVAL_DAYS

# A superuser offered as a visitor without a role over the grid.
LEVEL_NONE = 3


def visitors_for(grid: Grid, user) -> QuerySet:
    """Active users serving the grid (grids.selectors.users_serving), the current user first.

    Each carries `level` (where their nearest role over the grid is held: grid, community or street) for
    grouping the checklist. A superuser without a role over the grid is offered too, as the visit rules
    allow.
    """
    serving = Q(pk__in=users_serving(grid).values("pk"))
    if user.is_superuser:
        serving |= Q(pk=user.pk)
    nearest = (
        Assignment.objects.filter(user=OuterRef("pk"))
        .serving(grid)
        .with_level()
        .order_by("level")
        .values("level")[:1]
    )
    return (
        get_user_model()
        .objects.filter(serving, is_active=True)
        .annotate(
            level=Coalesce(Subquery(nearest), Value(LEVEL_NONE)),
            is_me=Case(When(pk=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("is_me", "level", "first_name", "username")
    )


class VisitForm(StyledFormMixin, forms.Form):
    """What a visitor writes down at the door; the gifts come in GiftFormSet beside it."""

    visited_at = forms.DateTimeField(label=_("走访时间"), widget=DateTimeInput())
    kind = forms.ChoiceField(label=_("走访类型"), choices=Visit.Kind.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label=_("走访结果"),
        choices=Visit.Outcome.choices,
        widget=forms.RadioSelect,
        # A form drawn before this field existed (a page left open) sends none: it recorded a visit.
        required=False,
        help_text=_("无人应答的敲门也会记录，但不算完成走访：该户仍在应访之列。"),
    )
    condition = forms.ChoiceField(
        label=_("居民状况"), choices=Visit.Condition.choices, widget=forms.RadioSelect
    )
    residents_met = forms.ModelMultipleChoiceField(
        label=_("见到的居民"),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("见到的居民须是本户成员。")},
    )
    visitors = forms.ModelMultipleChoiceField(
        label=_("走访人员"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一名走访人员。"),
            "invalid_choice": _("所选走访人员不在本网格的工作人员名册中。"),
        },
    )
    team_members = forms.ModelMultipleChoiceField(
        label=_("同行工作队员"),
        queryset=WorkTeamMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选工作队员不是本社区的工作队成员。")},
    )
    volunteers = forms.ModelMultipleChoiceField(
        label=_("同行志愿者"),
        queryset=Volunteer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选志愿者不是本社区的志愿者。")},
    )
    notes = forms.CharField(
        label=_("走访情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("身体、生活、居住情况，老人说了什么")}),
    )
    submission_token = SubmissionTokenField()
    needs_found = forms.CharField(
        label=_("发现的诉求"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("需要社区帮忙办的事，如下水不通、需要陪同就医")}
        ),
    )

    def __init__(self, *args, household: Household, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residents_met"].queryset = household.members.current().order_by("id")
        self.fields["visitors"].queryset = visitors_for(household.grid, user)
        self.fields["team_members"].queryset = (
            WorkTeamMember.objects.filter(grid__community_id=household.grid.community_id)
            .select_related("team", "grid")
            .order_by("team__name", "name")
        )
        self.fields["volunteers"].queryset = Volunteer.objects.filter(
            community_id=household.grid.community_id, active=True
        ).order_by("name", "id")
        self.fields["residents_met"].label_from_instance = lambda r: (
            f"{r.name} · {r.get_relation_to_head_display()}"
        )
        self.fields["visitors"].label_from_instance = lambda u: u.first_name or u.username
        self.fields["team_members"].label_from_instance = lambda m: f"{m.name} · {m.get_kind_display()}"
        self.fields["visited_at"].widget.attrs["max"] = local_now_to_the_minute().strftime(LOCAL_MINUTE)

    def clean_outcome(self) -> str:
        return self.cleaned_data["outcome"] or Visit.Outcome.MET

    def visitor_groups(self) -> dict:
        """The checklist of visitors split in two: me and the grid's own people, then everyone else
        serving it from the community or the street (folded away unless one of them is ticked)."""
        main, others = [], []
        for choice in self["visitors"]:
            person = choice.data["value"].instance
            (main if person.is_me == 0 or person.level == LEVEL_GRID else others).append(choice)
        return {"main": main, "others": others, "others_open": any(c.data["selected"] for c in others)}

    def team_members_open(self) -> bool:
        return any(choice.data["selected"] for choice in self["team_members"])

    def volunteers_open(self) -> bool:
        return any(choice.data["selected"] for choice in self["volunteers"])

    @staticmethod
    def initial_for_new(user) -> dict:
        """Sensible defaults: now, me, a caring visit, someone answered, all well. Nobody is ticked as
        met: the worker ticks whom they saw, so a record never claims a meeting that did not happen."""
        return {
            "visited_at": local_now_to_the_minute(),
            "kind": Visit.Kind.WELLBEING,
            "outcome": Visit.Outcome.MET,
            "condition": Visit.Condition.NORMAL,
            "visitors": [user.pk],
        }

    @staticmethod
    def initial_from(visit: Visit) -> dict:
        return {
            "visited_at": timezone.localtime(visit.visited_at).replace(second=0, microsecond=0),
            "kind": visit.kind,
            "outcome": visit.outcome,
            "condition": visit.condition,
            "notes": visit.notes,
            "needs_found": visit.needs_found,
            "residents_met": [r.pk for r in visit.residents_met.all()],
            "visitors": [u.pk for u in visit.visitors.all()],
            "team_members": [m.pk for m in visit.team_members.all()],
            "volunteers": [v.pk for v in visit.volunteers.all()],
        }


class GiftForm(StyledFormMixin, forms.Form):
    """One 慰问品 row. A blank row is skipped; quantity and value limits are checked by the service."""

    item = forms.CharField(label=_("物品"), max_length=100, required=False)
    quantity = forms.IntegerField(
        label=_("数量"),
        required=False,
        max_value=9999,  # the column is an integer; no gift comes in tens of thousands
        error_messages={"max_value": _("数量最多 %(limit_value)s。")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    value = forms.DecimalField(
        label=_("价值（元）"),
        max_digits=9,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        # A row left half-filled (or a saved gift whose row was emptied in part) names what is missing.
        if not (data.get("item") or "").strip():
            self.add_error("item", _("请填写慰问品名称。"))
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("请填写数量。"))
        if data.get("value") is None and "value" not in self.errors:
            self.add_error("value", _("请填写价值。"))
        return data

    def is_blank(self) -> bool:
        """Nothing typed into the row, or the row not sent at all (the gifts section was hidden)."""
        return not any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)


GiftFormSet = forms.formset_factory(GiftForm, extra=3, max_num=10)


class CorrectionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("更正说明"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("写明哪里记错了、正确的是什么")}),
        error_messages={"required": _("请写明更正内容。")},
    )


class VisitPlanForm(StyledFormMixin, forms.Form):
    interval_override_days = forms.IntegerField(
        label=_("本户走访间隔（天）"),
        required=False,
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        error_messages={
            "min_value": _("走访间隔至少 1 天。"),
            "max_value": _("走访间隔最多 %(limit_value)s 天。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("留空则按关爱类别的走访频次。如每周三次送物资填 2。"),
    )
    override_reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class DueSearchForm(StyledFormMixin, forms.Form):
    # A GET form: a whole phone or ID number would travel in the URL (and the server log). The browser
    # refuses to send seven digits in a row (pattern), and the server finds nobody by them (clean_q).
    q = forms.CharField(
        label=_("查找住户"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("姓名、地址或电话尾号"),
                "type": "search",
                "pattern": "(?![\\s\\S]*[0-9]{7})[\\s\\S]*",
                "title": _("请按姓名、地址或号码后四位查找；完整号码请在“居民查询”中查找。"),
            }
        ),
    )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        number = number_query(q)
        if number is not None and number.kind != "tail":
            raise forms.ValidationError(_("请按姓名、地址或号码后四位查找；完整号码请在“居民查询”中查找。"))
        return q
