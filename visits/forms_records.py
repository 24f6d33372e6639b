"""Forms of the visit records pages: the visits list's filters and the patrol record with its findings.

They check shape only; the rules of a patrol (not in the future, ending after it starts, who may patrol
which grid) live in visits.services.patrol_log.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.dates import local_now_to_the_minute
from common.forms import (
    DateInput,
    DateRangeMixin,
    DateTimeInput,
    PlainSelect,
    StyledFormMixin,
    SubmissionTokenField,
)
from grids.forms import PlaceFilterForm, grid_label
from grids.models import Grid
from grids.selectors import users_serving
from shops.models import Shop
from shops.selectors import shops_for_patrol

from .models import Visit
from .selectors import VisitFilters
from .services import Finding

MAX_FINDINGS = 30


def visitors_in(grids: QuerySet[Grid]) -> QuerySet:
    """People who may have visited in these grids: everyone serving them, for the visitor filter."""
    return users_serving(grids).order_by("first_name", "username")


class VisitFilterForm(DateRangeMixin, StyledFormMixin, PlaceFilterForm):
    place_dependents = ("visitor",)

    kind = forms.ChoiceField(
        label=_("走访类型"), required=False, choices=[("", _("全部类型")), *Visit.Kind.choices]
    )
    condition = forms.ChoiceField(
        label=_("居民状况"), required=False, choices=[("", _("全部状况")), *Visit.Condition.choices]
    )
    visitor = forms.ModelChoiceField(
        label=_("走访人员"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("全部人员"),
        widget=PlainSelect,
    )
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    q = forms.CharField(
        label=_("地址或居民姓名"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("如：靖远路9号、王芳")}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["visitor"].queryset = visitors_in(self._grids)

    def narrow_to_place(self, grids):
        """List the people serving the chosen community or grid; a whole district's would be thousands."""
        field = self.fields["visitor"]
        people = list(visitors_in(grids)) if grids is not None else []
        chosen = self.cleaned_data.get("visitor") if hasattr(self, "cleaned_data") else None
        if chosen is not None and chosen not in people:
            people.insert(0, chosen)
        field.widget.choices = [
            ("", field.empty_label if people else _("请先选择社区")),
            *((person.pk, person.first_name or person.get_username()) for person in people),
        ]
        if not people:
            field.widget.attrs["disabled"] = True

    def filters(self) -> VisitFilters | None:
        """The filters to apply, or None while any of them is wrong (the page then shows the errors)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return VisitFilters(
            street=data["street"],
            community=data["community"],
            grid=data["grid"],
            kind=data["kind"],
            condition=data["condition"],
            visitor=data["visitor"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            q=data["q"].strip(),
        )


class PatrolForm(StyledFormMixin, forms.Form):
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none())
    started_at = forms.DateTimeField(
        label=_("开始时间"), initial=local_now_to_the_minute, widget=DateTimeInput()
    )
    ended_at = forms.DateTimeField(
        label=_("结束时间"), required=False, widget=DateTimeInput(), help_text=_("巡查还没结束可以留空。")
    )
    route = forms.CharField(
        label=_("巡查路线"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("如：靖远路9号—11号—草场街口")}),
    )
    notes = forms.CharField(label=_("巡查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    submission_token = SubmissionTokenField()

    def __init__(self, *args, grids: QuerySet[Grid], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids.order_by("code")
        self.fields["grid"].label_from_instance = grid_label
        if "grid" not in self.initial and len(self.fields["grid"].queryset) == 1:
            self.initial["grid"] = self.fields["grid"].queryset[0]


# The shop picker lists the open shops of the grids the patroller walks; past this many grids (a superuser)
# it would list a district's shops in every row, so it is left out.
SHOP_PICKER_MAX_GRIDS = 10


class FindingForm(StyledFormMixin, forms.Form):
    """One thing the patrol found; a row left blank is ignored."""

    shop = forms.ModelChoiceField(
        label=_("涉及单位（门前三包）"),
        queryset=Shop.objects.none(),
        required=False,
        empty_label=_("（不涉及）"),
    )

    location = forms.CharField(
        label=_("位置"), max_length=200, widget=forms.TextInput(attrs={"placeholder": _("如：靖远路9号东侧")})
    )
    description = forms.CharField(
        label=_("发现的问题"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：下水道堵塞，污水外溢")}),
    )

    field_order = ["location", "description", "shop"]

    def __init__(self, *args, shops: QuerySet[Shop] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if shops is None:
            del self.fields["shop"]
        else:
            self.fields["shop"].queryset = shops
            self.fields["shop"].label_from_instance = lambda shop: f"{shop.name} · {shop.grid.name}"

    def has_changed(self) -> bool:
        """A row with only a shop chosen is still a blank row: the shop alone says nothing was found."""
        return any(name in self.changed_data for name in ("location", "description"))


FindingFormSet = forms.formset_factory(
    FindingForm, extra=3, max_num=MAX_FINDINGS, absolute_max=MAX_FINDINGS, validate_max=True
)


def finding_formset(data, grids: QuerySet[Grid]):
    """The findings rows, each offering the open shops of these grids (none past SHOP_PICKER_MAX_GRIDS)."""
    shops = shops_for_patrol(grids) if grids.count() <= SHOP_PICKER_MAX_GRIDS else None
    return FindingFormSet(data, prefix="findings", form_kwargs={"shops": shops})


def findings_of(formset) -> list[Finding]:
    """The filled rows of a valid findings formset, in the order they were written."""
    return [
        Finding(
            location=form.cleaned_data["location"],
            description=form.cleaned_data["description"],
            shop=form.cleaned_data.get("shop"),
        )
        for form in formset.forms
        if form.has_changed() and form.cleaned_data
    ]
