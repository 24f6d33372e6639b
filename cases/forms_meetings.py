"""Forms for recording a consultation round (协商议事 / 调解) on a phone: the meeting, who came, the terms.
The same forms record a meeting of a community deliberation (居民议事).

They check shape only; the rules of a round (not in the future, at least two participants, terms only
with an agreement) are cases.services.meeting_record's, whose errors the view puts back on these forms.
Rows left blank are skipped, so a few spare rows can always be offered.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.dates import local_now_to_the_minute
from common.forms import LOCAL_MINUTE, DateInput, DateTimeInput, StyledFormMixin, SubmissionTokenField
from volunteers.models import Volunteer

from .models import Meeting, Participant, Status


class MeetingForm(StyledFormMixin, forms.Form):
    """One round of consultation; its participants and terms come in the two formsets beside it."""

    held_at = forms.DateTimeField(label=_("会议时间"), widget=DateTimeInput())
    place = forms.CharField(
        label=_("地点"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如社区议事厅")}),
    )
    chair = forms.CharField(
        label=_("主持人"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("通常是人民调解员或社区书记")}),
    )
    question = forms.CharField(
        label=_("议题"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("这一轮要商量解决的问题")}),
    )
    minutes = forms.CharField(
        label=_("会议记录"),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("各方的说法、调解员的意见、协商的经过")}),
    )
    outcome = forms.ChoiceField(
        label=_("协商结果"),
        choices=Meeting.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择协商结果。")},
    )
    # The case's (or deliberation's) state when the page was drawn: a form posted after it moved on is
    # refused.
    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    submission_token = SubmissionTokenField()

    def __init__(self, *args, statuses=Status.choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_status"].choices = statuses
        self.fields["held_at"].widget.attrs["max"] = local_now_to_the_minute().strftime(LOCAL_MINUTE)


class ParticipantForm(StyledFormMixin, forms.Form):
    """One 参会人 row. A row without a name or unit is skipped, even with its role chosen in advance."""

    role = forms.ChoiceField(label=_("身份"), choices=[("", "—"), *Participant.Role.choices], required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    organisation = forms.CharField(
        label=_("单位"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("单位（可选），如施工方、律师事务所")}),
    )
    volunteer = forms.ModelChoiceField(
        label=_("志愿者"),
        queryset=Volunteer.objects.none(),
        required=False,
        help_text=_("参会人是本社区志愿者时选择，计入其服务记录。"),
    )

    def __init__(self, *args, volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if volunteers is not None:
            self.fields["volunteer"].queryset = volunteers

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("name") and "name" not in self.errors:
            self.add_error("name", _("请填写参会人姓名。"))
        if not data.get("role") and "role" not in self.errors:
            self.add_error("role", _("请选择参会人身份。"))
        return data

    def is_blank(self) -> bool:
        """Neither a name nor a unit typed: the role alone, suggested by the page, is not a person."""
        return not any(
            str(self.data.get(self.add_prefix(name), "")).strip() for name in ("name", "organisation")
        )


class TermForm(StyledFormMixin, forms.Form):
    """One 协议条款 row: who does what by when (without a date: an undertaking). A blank row is skipped."""

    party = forms.CharField(
        label=_("责任方"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如施工方")}),
    )
    action = forms.CharField(
        label=_("事项"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如维修并安装太阳能热水器")}),
    )
    due = forms.DateField(label=_("完成期限"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("party") and "party" not in self.errors:
            self.add_error("party", _("请填写责任方。"))
        if not data.get("action") and "action" not in self.errors:
            self.add_error("action", _("请填写要做的事。"))
        # No deadline: an undertaking (承诺事项), such as "notify the residents before any works".
        return data

    def is_blank(self) -> bool:
        """Nothing typed into the row, or the row not sent at all (the terms section was hidden)."""
        return not any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)


class TermDoneForm(StyledFormMixin, forms.Form):
    """确认完成: what was done, optionally (the term records who confirmed it and when)."""

    note = forms.CharField(
        label=_("完成情况"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("可选，如：已修复并验收")}),
    )


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=2, max_num=30)
TermFormSet = forms.formset_factory(TermForm, extra=3, max_num=20)
