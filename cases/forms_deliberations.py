"""Forms of the community deliberation (居民议事) pages: the list's filters, a new topic, an action's note.

They check shape only; the table (cases/deliberation_workflow.py) and its service check the rules.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import PlainSelect, StyledFormMixin, SubmissionTokenField
from grids.models import Community, Grid

from .deliberation_workflow import STEPS
from .models import DeliberationStatus
from .selectors_deliberations import DeliberationFilters


class DeliberationFilterForm(StyledFormMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=_("社区"), queryset=Community.objects.none(), required=False, empty_label=_("全部社区")
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("", _("全部状态")),
            ("settled", _("已形成决议（含执行、公示）")),
            *DeliberationStatus.choices,
        ],
    )
    q = forms.CharField(
        label=_("议题或说明"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("如：小巷、花园、停车")}),
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            communities if communities is not None else Community.objects.none()
        )

    def filters(self) -> DeliberationFilters | None:
        """The filters asked for; None when one of them is not a real choice (the page says so)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return DeliberationFilters(community=data["community"], status=data["status"], q=data["q"].strip())


class TopicForm(StyledFormMixin, forms.Form):
    """征集议题: a topic residents raised, where it came from."""

    community = forms.ModelChoiceField(
        label=_("社区"), queryset=Community.objects.none(), empty_label=None, widget=PlainSelect
    )
    grid = forms.ModelChoiceField(
        label=_("网格（可选）"),
        queryset=Grid.objects.none(),
        required=False,
        empty_label=_("全社区"),
        widget=PlainSelect,
    )
    title = forms.CharField(
        label=_("议题"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("如：靖远路小巷改造成特色小巷")}),
    )
    description = forms.CharField(
        label=_("居民反映的问题"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("现状如何、居民希望怎样")}),
    )
    suggestions = forms.CharField(
        label=_("居民意见来源"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("每行一条，如：3号楼居民代表 王阿姨：小巷晚上太黑")}
        ),
    )
    submission_token = SubmissionTokenField()

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["grid"].queryset = Grid.objects.filter(community__in=communities).order_by("code")


class DeliberationActionForm(StyledFormMixin, forms.Form):
    """One action of the table on a deliberation's page: its note and the state the page showed."""

    note = forms.CharField(
        label=_("说明"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_status = forms.ChoiceField(choices=DeliberationStatus.choices, widget=forms.HiddenInput)

    def __init__(self, *args, action: str, **kwargs):
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["note"].label = STEPS[action].note_label
