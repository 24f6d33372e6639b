"""Shape checks of the volunteers pages; the rules are in services.py and the models."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, DateTimeInput, StyledFormMixin, SubmissionTokenField
from grids.models import Community, Grid
from residents.models import Resident

from .models import Activity, PartnerUnit, ReportingMember, Skill, Volunteer, VolunteerTeam


def _one_community(form, communities: QuerySet[Community]) -> None:
    form.fields["community"].queryset = communities
    if "community" not in form.initial and len(communities) == 1:
        form.initial["community"] = communities[0]


class PartnerUnitForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PartnerUnit
        fields = ["community", "name", "contact_person", "contact_phone", "offers", "active"]
        widgets = {"offers": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, communities: QuerySet[Community], **kwargs):
        super().__init__(*args, **kwargs)
        _one_community(self, communities)
        if self.instance.pk:
            self.fields["community"].disabled = True


class ReportingMemberForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ReportingMember
        fields = ["name", "phone", "unit", "unit_name", "grid", "reported_on"]
        widgets = {"reported_on": DateInput()}

    def __init__(self, *args, grids: QuerySet[Grid], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids.order_by("code")
        self.fields["unit"].queryset = PartnerUnit.objects.filter(
            community__in=grids.values("community"), active=True
        )

    def clean(self):
        data = super().clean()
        if not data.get("unit") and not data.get("unit_name"):
            self.add_error("unit_name", _("请选择成员单位或填写所在单位。"))
        return data


class VolunteerForm(StyledFormMixin, forms.ModelForm):
    """An outsider is named here; a resident or reporting member brings their own name and phone."""

    skills = forms.MultipleChoiceField(
        label=_("特长"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    submission_token = SubmissionTokenField()

    class Meta:
        model = Volunteer
        fields = ["community", "resident", "reporting_member", "name", "phone", "skills", "teams", "active"]
        widgets = {"teams": forms.CheckboxSelectMultiple}
        help_texts = {"name": _("社会志愿者填写；居民或在职党员取其登记的姓名。")}

    def __init__(self, *args, communities: QuerySet[Community], **kwargs):
        super().__init__(*args, **kwargs)
        _one_community(self, communities)
        self.fields["name"].required = False
        self.fields["teams"].queryset = VolunteerTeam.objects.filter(community__in=communities)
        self.fields["reporting_member"].queryset = ReportingMember.objects.filter(
            grid__community__in=communities
        )
        self.fields["resident"].queryset = Resident.objects.filter(grid__community__in=communities)
        # A resident is chosen by their ID in the registry (a select of a whole community would be huge).
        self.fields["resident"].widget = forms.NumberInput(attrs={"placeholder": _("居民编号（可选）")})
        self.fields["resident"].help_text = _("本社区居民的编号，见居民档案页地址。")
        if self.instance.pk:
            self.fields["community"].disabled = True
            if self.instance.resident_id or self.instance.reporting_member_id:
                self.fields["phone"].disabled = True
            self.fields["phone"].initial = ""
            self.initial["phone"] = self.instance.masked_phone
            self.fields["phone"].help_text = _("显示为掩码；不修改则保留原号码。")

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        if self.instance.pk and phone == self.instance.masked_phone:
            return self.instance.phone
        return phone

    def clean(self):
        data = super().clean()
        chosen = [bool(data.get("resident")), bool(data.get("reporting_member"))]
        if all(chosen):
            self.add_error("reporting_member", _("志愿者只能是居民、在职党员或社会志愿者中的一种。"))
        if not any(chosen) and not data.get("name"):
            self.add_error("name", _("社会志愿者须填写姓名。"))
        return data


class TeamForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = VolunteerTeam
        fields = ["community", "name", "leader", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, communities: QuerySet[Community], **kwargs):
        super().__init__(*args, **kwargs)
        _one_community(self, communities)
        self.fields["leader"].queryset = Volunteer.objects.filter(community__in=communities, active=True)
        if self.instance.pk:
            self.fields["community"].disabled = True


class ActivityForm(StyledFormMixin, forms.ModelForm):
    submission_token = SubmissionTokenField()

    class Meta:
        model = Activity
        fields = [
            "community",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "grid",
            "team",
            "partner_units",
            "capacity",
            "description",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "partner_units": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, communities: QuerySet[Community], grids: QuerySet[Grid], **kwargs):
        super().__init__(*args, **kwargs)
        _one_community(self, communities)
        self.fields["grid"].queryset = grids.order_by("code")
        self.fields["team"].queryset = VolunteerTeam.objects.filter(community__in=communities)
        self.fields["partner_units"].queryset = PartnerUnit.objects.filter(
            community__in=communities, active=True
        )
        if self.instance.pk:
            self.fields["community"].disabled = True

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间须晚于开始时间。"))
        return data


class SignUpForm(StyledFormMixin, forms.Form):
    volunteer = forms.ModelChoiceField(label=_("志愿者"), queryset=Volunteer.objects.none())

    def __init__(self, *args, volunteers: QuerySet[Volunteer], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers


class ReportForm(StyledFormMixin, forms.Form):
    report = forms.CharField(
        label=_("活动总结"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class VolunteerFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("姓名"), max_length=50, required=False)
    skill = forms.ChoiceField(label=_("特长"), choices=[("", _("全部特长")), *Skill.choices], required=False)


class ActivityFilterForm(StyledFormMixin, forms.Form):
    when = forms.ChoiceField(
        label=_("时间"),
        choices=[("upcoming", _("即将开展")), ("past", _("已结束")), ("", _("全部"))],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("类别"), choices=[("", _("全部类别")), *Activity.Kind.choices], required=False
    )
    q = forms.CharField(label=_("名称或地点"), max_length=50, required=False)
