"""The three lists' forms: shape checks only; the rules are in projects.services and the constraints."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, StyledFormMixin, SubmissionTokenField
from grids.models import Community, Grid
from grids.selectors import users_serving

from . import selectors
from .models import NeedKind, NeedOrigin, NeedStatus, ProjectStatus, Resource, ResourceKind
from .workflow import STEPS


def _any(label):
    return [("", label)]


class _ListFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=50)
    community = forms.ModelChoiceField(
        label=_("社区"), queryset=Community.objects.none(), required=False, empty_label=_("全部社区")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.visible_to(user).order_by("name")

    def filters(self) -> selectors.ListFilters | None:
        if not self.is_valid():
            return None
        data = self.cleaned_data
        available = {"yes": True, "no": False}.get(data.get("available") or "")
        return selectors.ListFilters(
            q=data["q"].strip(),
            community=data["community"],
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            origin=data.get("origin") or "",
            available=available,
        )


class NeedFilterForm(_ListFilterForm):
    status = forms.ChoiceField(
        label=_("状态"), choices=_any(_("全部状态")) + NeedStatus.choices, required=False
    )
    kind = forms.ChoiceField(label=_("类别"), choices=_any(_("全部类别")) + NeedKind.choices, required=False)
    origin = forms.ChoiceField(
        label=_("来源"), choices=_any(_("全部来源")) + NeedOrigin.choices, required=False
    )


class ResourceFilterForm(_ListFilterForm):
    kind = forms.ChoiceField(
        label=_("类别"), choices=_any(_("全部类别")) + ResourceKind.choices, required=False
    )
    available = forms.ChoiceField(
        label=_("可提供"),
        choices=[("", _("全部")), ("yes", _("可提供")), ("no", _("暂不可提供"))],
        required=False,
    )


class ProjectFilterForm(_ListFilterForm):
    status = forms.ChoiceField(
        label=_("状态"), choices=_any(_("全部状态")) + ProjectStatus.choices, required=False
    )


class NeedForm(StyledFormMixin, forms.Form):
    """A need's wording and place. From a visit or a case the place is the origin's (the fields go)."""

    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    grid = forms.ModelChoiceField(label=_("网格（可选）"), queryset=Grid.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("类别"), choices=NeedKind.choices)
    title = forms.CharField(label=_("需求"), max_length=100)
    description = forms.CharField(
        label=_("需求说明"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    submission_token = SubmissionTokenField()

    def __init__(self, *args, user, communities, fixed_place=False, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_place:
            del self.fields["community"], self.fields["grid"]
        else:
            self.fields["community"].queryset = communities
            self.fields["grid"].queryset = Grid.objects.visible_to(user).filter(community__in=communities)
        if not creating:
            del self.fields["submission_token"]

    def clean(self):
        data = super().clean()
        grid, community = data.get("grid"), data.get("community")
        if grid is not None and community is not None and grid.community_id != community.pk:
            self.add_error("grid", _("网格不属于所选社区。"))
        return data


class NeedCloseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("关闭原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("未匹配就关闭的需求须写明原因，如：居民已自行解决、超出社区能力、居民撤回。"),
    )


class ProviderChoiceField(forms.ChoiceField):
    """A partner unit or a volunteer team of the community, as "unit:<id>" / "team:<id>"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.objects: dict[str, object] = {}

    def offer(self, units, teams) -> None:
        self.objects = {f"unit:{u.pk}": u for u in units} | {f"team:{t.pk}": t for t in teams}
        self.choices = [("", "---------")]
        if units:
            self.choices += [(_("共建单位"), [(f"unit:{u.pk}", u.name) for u in units])]
        if teams:
            self.choices += [(_("志愿服务队"), [(f"team:{t.pk}", t.name) for t in teams])]

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


def provider_key(obj) -> str:
    if obj is None:
        return ""
    return f"{'unit' if obj._meta.model_name == 'partnerunit' else 'team'}:{obj.pk}"


class ResourceForm(StyledFormMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none())
    provider = ProviderChoiceField(label=_("提供方"))
    kind = forms.ChoiceField(label=_("资源类别"), choices=ResourceKind.choices)
    title = forms.CharField(label=_("资源"), max_length=100)
    description = forms.CharField(
        label=_("资源说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    available = forms.BooleanField(label=_("目前可提供"), required=False, initial=True)
    submission_token = SubmissionTokenField()

    def __init__(self, *args, communities, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        # The providers of the community chosen (or the only one offered).
        chosen = self.data.get(self.add_prefix("community")) or self.initial.get("community")
        community = communities.filter(pk=chosen if str(chosen).isdigit() else 0).first()
        if community is None and len(communities) == 1:
            community = communities[0]
        units, teams = selectors.providers(community) if community is not None else ([], [])
        self.fields["provider"].offer(units, teams)
        if not creating:
            del self.fields["submission_token"]

    def clean(self):
        data = super().clean()
        provider, community = data.get("provider"), data.get("community")
        if provider is not None and community is not None and provider.community_id != community.pk:
            self.add_error("provider", _("提供方不属于所选社区。"))
        return data


class MatchForm(StyledFormMixin, forms.Form):
    resource = forms.ModelChoiceField(label=_("资源"), queryset=Resource.objects.none())
    title = forms.CharField(label=_("项目名称（可选，默认为需求）"), max_length=100, required=False)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    submission_token = SubmissionTokenField()

    def __init__(self, *args, need, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = selectors.available_resources(need.community)
        self.fields["resource"].label_from_instance = lambda r: (
            f"{r.get_kind_display()} · {r.title}（{r.provider}）"
        )


class ProjectActionForm(StyledFormMixin, forms.Form):
    """One action of the project page; its fields are its step's (projects.workflow.STEPS)."""

    expected_status = forms.CharField(widget=forms.HiddenInput)
    claimant = ProviderChoiceField(label=_("认领方"))
    owner = forms.ModelChoiceField(
        label=_("负责人（平台用户）"), queryset=get_user_model().objects.none(), required=False
    )
    owner_name = forms.CharField(label=_("或负责人姓名"), max_length=50, required=False)
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput())
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, action, project, **kwargs):
        super().__init__(*args, **kwargs)
        step = STEPS[action]
        for name in ("claimant", "owner", "owner_name", "deadline", "note"):
            if name not in step.fields:
                del self.fields[name]
        if "note" in self.fields:
            self.fields["note"].label = step.note_label
        if "claimant" in self.fields:
            units, teams = selectors.providers(project.community)
            self.fields["claimant"].offer(units, teams)
            self.fields["claimant"].initial = provider_key(project.resource.provider)
            self.fields["owner"].queryset = users_serving(project.community.grids.all()).order_by(
                "first_name", "username"
            )
            self.fields["owner"].label_from_instance = lambda u: u.first_name or u.get_username()
        self.initial.setdefault("expected_status", project.status)

    def clean(self):
        data = super().clean()
        if "owner" in self.fields and not data.get("owner") and not (data.get("owner_name") or "").strip():
            self.add_error("owner_name", _("请选择负责人，或填写负责人姓名。"))
        deadline = data.get("deadline")
        if deadline is not None and deadline < timezone.localdate():
            self.add_error("deadline", _("完成期限不能早于今天。"))
        return data

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("expected_status", "note")}
