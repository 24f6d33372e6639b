"""Forms of the case pages: intake, the actions on a case, and the case list's filters.

They check shape only; the workflow's rules (who may, which state, reasons required) live in
cases/workflow.py and cases/services.py.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import (
    BIGINT_MAX,
    DateInput,
    DateRangeMixin,
    PlainSelect,
    StyledFormMixin,
    SubmissionTokenField,
)
from grids.forms import PlaceFilterForm, grid_label
from grids.models import Building, Grid
from residents.models import Resident

from . import services
from .measures import MEASURES, PART_NAMES
from .models import Action, Case, Category, Channel, Satisfaction, Status, UnresolvedReason, Urgency
from .selectors import CaseFilters
from .workflow import ACTIONS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos in one input (Django's documented pattern); each is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _user_label(user) -> str:
    return user.first_name or user.get_username()


def _worker_label(user) -> str:
    """The worker and their grids (selectors.workers_in(with_grids=True)): which 张三 serves which grid."""
    grids = list(dict.fromkeys(a.grid.name for a in getattr(user, "worker_grids", ())))
    return " · ".join([_user_label(user), *grids])


class RequesterMode:
    RESIDENT = "resident"
    NAMED = "named"
    ANONYMOUS = "anonymous"
    CHOICES = [
        (RESIDENT, _("本社区居民")),
        (NAMED, _("其他人员")),
        (ANONYMOUS, _("匿名")),
    ]


class IntakeForm(StyledFormMixin, forms.Form):
    """登记诉求: what the desk (or a worker at a door or on patrol) writes down."""

    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices)
    requester_mode = forms.ChoiceField(
        label=_("诉求人"),
        choices=RequesterMode.CHOICES,
        initial=RequesterMode.RESIDENT,
        widget=forms.RadioSelect,
    )
    requester = forms.IntegerField(
        required=False,
        widget=forms.HiddenInput,
        min_value=1,
        max_value=BIGINT_MAX,
        error_messages={
            key: _("找不到该居民，请重新查找。") for key in ("invalid", "min_value", "max_value")
        },
    )
    requester_name = forms.CharField(label=_("姓名"), required=False, max_length=50)
    requester_phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), widget=PlainSelect)
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False, empty_label=_("（不涉及具体楼栋）")
    )
    address = forms.CharField(
        label=_("具体地点"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：黄河食渡门前人行道")}),
    )
    category = forms.CharField(
        label=_("事项类别"),
        max_length=50,
        widget=forms.TextInput(
            attrs={"list": "category-list", "autocomplete": "off", "placeholder": _("输入关键字，如：下水")}
        ),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        required=False,
        choices=[("", _("按事项类别默认")), *Urgency.choices],
    )
    description = forms.CharField(label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label=_("照片"),
        required=False,
        help_text=_("可选，JPEG、PNG 或 WebP，每张不超过 5 MB，最多 10 张。"),
    )
    accept_now = forms.BooleanField(label=_("登记后直接受理派单"), required=False, initial=True)
    worker = forms.ModelChoiceField(
        label=_("指派网格员"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("派给网格（网格员均可接单）"),
    )
    # What the user chose after seeing possible duplicates: "new", or the id of the case to merge into.
    duplicate_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    origin_visit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    origin_finding = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission_token = SubmissionTokenField()

    def __init__(self, *args, user, grids, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["grid"].queryset = grids.order_by("code")
        self.fields["grid"].label_from_instance = grid_label
        grid_id = self.data.get("grid") or getattr(self.initial.get("grid"), "pk", self.initial.get("grid"))
        if grid_id and str(grid_id).isdigit():
            self.fields["building"].queryset = Building.objects.filter(grid_id=grid_id, grid__in=grids)
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = _worker_label
        self.categories = list(Category.objects.filter(active=True))

    def clean_category(self) -> Category:
        name = self.cleaned_data["category"].strip()
        for category in self.categories:
            if category.name == name:
                return category
        raise forms.ValidationError(_("请从列表中选择事项类别。"))

    def clean_requester(self) -> Resident | None:
        pk = self.cleaned_data.get("requester")
        if self.data.get("requester_mode") != RequesterMode.RESIDENT or not pk:
            return None
        resident = Resident.objects.visible_to(self.user).select_related("household").filter(pk=pk).first()
        if resident is None:
            raise forms.ValidationError(_("找不到该居民，请重新查找。"))
        return resident

    def clean(self):
        data = super().clean()
        mode = data.get("requester_mode")
        if mode == RequesterMode.RESIDENT and not data.get("requester") and "requester" not in self.errors:
            self.add_error("requester", _("请查找并选择诉求人，或选择“其他人员”“匿名”。"))
        if mode == RequesterMode.NAMED and not data.get("requester_name", "").strip():
            self.add_error("requester_name", _("请填写诉求人姓名。"))
        return data

    def intake(self, origin_visit=None, origin_finding=None) -> services.Intake:
        data = self.cleaned_data
        mode = data["requester_mode"]
        requester = services.Requester(anonymous=mode == RequesterMode.ANONYMOUS)
        if mode == RequesterMode.RESIDENT:
            requester.resident = data["requester"]
        elif mode == RequesterMode.NAMED:
            requester.name, requester.phone = data["requester_name"], data["requester_phone"]
        return services.Intake(
            channel=data["channel"],
            grid=data["grid"],
            category=data["category"],
            urgency=data["urgency"] or data["category"].default_urgency,
            description=data["description"],
            requester=requester,
            building=data["building"],
            household=requester.resident.household if requester.resident else None,
            address=data["address"],
            origin_visit=origin_visit,
            origin_finding=origin_finding,
        )


def _candidate_label(case: Case) -> str:
    """A suggested merge target as the radio button reads: number, state, when, where, what."""
    return " · ".join(
        str(part)
        for part in (
            case.number,
            case.get_status_display(),
            timezone.localtime(case.created_at).strftime("%m-%d"),
            case.place or case.grid.name,
            case.description[:30],
        )
        if part
    )


class ActionForm(StyledFormMixin, forms.Form):
    """One action on a case, with the inputs its record in the workflow table lists (CaseAction.fields)."""

    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(label=_("事项类别"), queryset=Category.objects.none(), required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, required=False)
    grid = forms.ModelChoiceField(
        label=_("派往网格"), queryset=Grid.objects.none(), required=False, widget=PlainSelect
    )
    worker = forms.ModelChoiceField(
        label=_("指派网格员"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("派给网格（网格员均可接单）"),
    )
    # One of the open duplicates the portal suggests (cases.selectors.merge_candidates), not a typed number.
    target = forms.TypedChoiceField(
        label=_("合并到"), choices=[], coerce=int, required=False, widget=forms.RadioSelect
    )
    resolved = forms.TypedChoiceField(
        label=_("诉求人是否确认已解决"),
        choices=[("yes", _("已解决")), ("no", _("未解决"))],
        coerce=lambda value: value == "yes",
        required=False,
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(
        label=_("未解决原因"), choices=[("", "—"), *UnresolvedReason.choices], required=False
    )
    photos = MultipleFileField(
        label=_("照片"),
        required=False,
        help_text=_("可选，如处理后的现场照片；JPEG、PNG 或 WebP，每张不超过 5 MB。"),
    )

    def __init__(self, *args, action: str, case: Case, grids=None, workers=None, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        record = ACTIONS[action]
        used = {"expected_status", *record.fields}
        for name in list(self.fields):
            if name not in used:
                del self.fields[name]
        if "note" in self.fields:
            self.fields["note"].label = record.note_label
        if "category" in self.fields:
            self.fields["category"].queryset = Category.objects.filter(active=True)
            self.fields["category"].initial = case.category_id
            self.fields["urgency"].initial = case.urgency
        if "grid" in self.fields:
            self.fields["grid"].queryset = grids
            self.fields["grid"].label_from_instance = grid_label
            self.fields["grid"].initial = case.grid_id
            self.fields["worker"].queryset = workers
            self.fields["worker"].label_from_instance = _user_label
            self.fields["worker"].initial = case.assigned_worker_id
        if "target" in self.fields:
            self.fields["target"].choices = [(c.pk, _candidate_label(c)) for c in candidates]
            if not candidates:
                self.fields["target"].help_text = _(
                    "没有可合并的相似工单：同类别、同楼栋或同网格、30 天内登记且未归档的工单才会列出。"
                )
        self.fields["expected_status"].initial = case.status

    def clean_target(self):
        target = self.cleaned_data["target"]
        if self.action == "merge" and target in (None, ""):
            raise forms.ValidationError(_("请从相似工单中选择要合并到的工单。"))
        return target

    def clean(self):
        data = super().clean()
        if self.action == "follow_up":
            if data.get("resolved") in (None, ""):
                self.add_error("resolved", _("请选择诉求人是否确认已解决。"))
            if not data.get("satisfaction"):
                self.add_error("satisfaction", _("请选择满意度。"))
        return data

    def params(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("expected_status")
        data.pop("note", None)
        data.pop("target", None)
        return data


# At most a page of cases at a time (the lists show 20 a page).
BULK_MAX = 100


class BulkActionForm(StyledFormMixin, forms.Form):
    """One action on the cases ticked in a list (the desk, the case list); the rules are the service's."""

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("请先勾选要处理的工单。"),
            "invalid_choice": _("找不到所选的工单，请刷新页面后再选。"),
            "invalid_pk_value": _("找不到所选的工单，请刷新页面后再选。"),
        },
    )
    # Its selects are drawn in Python (PlainSelect): the desk and the case list draw this form on every
    # page, with a community's or a street's grid workers as options.
    action = forms.ChoiceField(label=_("批量操作"), choices=[], widget=PlainSelect)
    grid = forms.ModelChoiceField(
        label=_("派往网格"),
        queryset=Grid.objects.none(),
        required=False,
        empty_label=_("（各自所在网格）"),
        widget=PlainSelect,
    )
    worker = forms.ModelChoiceField(
        label=_("指派网格员"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("派给网格（网格员均可接单）"),
        widget=PlainSelect,
    )
    reason = forms.ChoiceField(
        label=_("未解决原因（仅回访未解决的工单）"),
        choices=[("", "—"), *UnresolvedReason.choices],
        required=False,
        widget=PlainSelect,
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, cases, actions: list[str], grids=None, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = cases
        self.fields["action"].choices = [(a, _bulk_label(a)) for a in actions]
        self.dispatches = Action.DISPATCH in actions
        if self.dispatches:
            self.fields["grid"].queryset = grids.order_by("code")
            self.fields["grid"].label_from_instance = grid_label
            self.fields["worker"].queryset = workers
            self.fields["worker"].label_from_instance = _user_label
        else:
            for name in ("grid", "worker", "reason"):
                del self.fields[name]

    def clean_cases(self):
        cases = self.cleaned_data["cases"]
        if len(cases) > BULK_MAX:
            raise forms.ValidationError(_("一次最多处理 %(n)d 件工单。") % {"n": BULK_MAX})
        return list(cases)

    def params(self) -> dict:
        """The parameters of the chosen action's moves (cases.services.cases_bulk_transition)."""
        data = self.cleaned_data
        if data["action"] == Action.DISPATCH:
            return {"grid": data.get("grid"), "worker": data.get("worker")}
        if data["action"] == Action.CLOSE:
            return {"reason": data.get("reason", "")}
        return {}


def _bulk_label(action: str) -> str:
    return {
        Action.DISPATCH: _("派单（待受理的受理派单，待接单的改派）"),
        Action.URGE: _("督办"),
        Action.CLOSE: _("归档（已回访的工单）"),
    }[Action(action)]


class CaseFilterForm(DateRangeMixin, StyledFormMixin, PlaceFilterForm):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("open", _("未归档")), *Status.choices],
    )
    clock = forms.ChoiceField(
        label=_("时限"),
        required=False,
        choices=[("", _("全部")), ("overdue", _("超期")), ("warning", _("临期"))],
    )
    category = forms.ModelChoiceField(
        label=_("事项类别"), queryset=Category.objects.all(), required=False, empty_label=_("全部类别")
    )
    channel = forms.ChoiceField(
        label=_("来源渠道"), required=False, choices=[("", _("全部渠道")), *Channel.choices]
    )
    urged = forms.BooleanField(label=_("仅看督办件"), required=False)
    date_from = forms.DateField(label=_("登记起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("登记截止日期"), required=False, widget=DateInput())
    q = forms.CharField(
        label=_("工单编号、内容、地点或诉求人"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("如：黄河食渡、2026112")}),
    )

    # Set by the dashboard's links; shown as a line above the results rather than as inputs.
    measure = forms.ChoiceField(
        required=False,
        choices=[("", ""), *((k, m.label) for k, m in MEASURES.items())],
        widget=forms.HiddenInput,
    )
    part = forms.ChoiceField(
        required=False, choices=[("", ""), *((p, p) for p in PART_NAMES)], widget=forms.HiddenInput
    )

    def drill_note(self) -> dict | None:
        """What a dashboard link asked for ("响应率 · 按时接单 · 金城关社区") and the measure's definition."""
        if not self.is_valid() or not self.cleaned_data["measure"]:
            return None
        data = self.cleaned_data
        measure = MEASURES[data["measure"]]
        part = data["part"]
        part_label = {"hit": measure.hit_label, "miss": measure.miss_label}.get(part) or (
            measure.parts[part][0] if part in measure.parts else ""
        )
        place = self.chosen_place()
        return {
            "label": " · ".join(str(x) for x in (measure.label, part_label, place) if x),
            "definition": measure.definition,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "dated": measure.field is not None or measure.key == "reopened",
        }

    def filters(self) -> CaseFilters | None:
        """The filters to apply, or None while any of them is wrong (the page then shows the errors)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return CaseFilters(
            status=data["status"],
            category=data["category"],
            grid=data["grid"],
            channel=data["channel"],
            clock=data["clock"],
            urged=data["urged"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            q=data["q"].strip(),
            street=data["street"],
            community=data["community"],
            measure=data["measure"],
            part=data["part"],
        )
