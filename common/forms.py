"""Form rendering shared by every app: Bootstrap classes and errors beside the field they concern.

Also the limits every form of the portal keeps, whatever its fields (guard_fields, applied by
StyledFormMixin): text without control characters, dates and times within 1900-2099, integers a
bigint column holds. And the one-time token of the forms that create a record (SubmissionTokenField).
"""

import html
import re
import uuid
from functools import cached_property
from pathlib import Path

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# What the browser's datetime-local input sends and expects: local time, to the minute.
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


# Django's own widget templates drawn by PortalFormRenderer: `input.html`, the input types' templates that
# only include it, and the select with its options.
_DJANGO_WIDGETS = Path(forms.__file__).parent / "templates" / "django" / "forms" / "widgets"
_INPUT = "django/forms/widgets/input.html"
_INPUTS = {_INPUT} | {
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "text", "search", "number", "email", "url", "password", "tel", "hidden", "date", "datetime", "time",
        "checkbox",
    )
}  # fmt: skip
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as text, escaped unless it is already safe."""
    return conditional_escape(str(value))


def _attrs_html(attrs: dict) -> str:
    """Django's `attrs.html`: ` name="value"`, a bare name for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input_html(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    attrs = _attrs_html(widget["attrs"])
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{attrs}>'


def _select_html(widget: dict) -> str | None:
    """Django's `select.html` with its options, or None when an option is not Django's plain one (its own
    template, a label that is not text) and the templates must draw it."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            label = option["label"]
            if option["template_name"] != _OPTION or not isinstance(label, str | Promise):
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs_html(option["attrs"])}>'
                f"{conditional_escape(label)}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # the renderer strips what a template draws
    return "".join(parts)


class PortalFormRenderer(TemplatesSetting):
    """The portal's form and field templates; and Django's input and select widgets drawn in Python.

    A list page's filter form draws a dozen widgets, and a select one more template per option: through
    templates they were about a fifth of the district case list's time at 500,000 households. The output
    is the templates' own, character for character (tests/test_form_renderer.py compares them), and only
    while the templates in use are Django's: a project template overriding one is drawn as it says.
    """

    form_template_name = "common/forms/form.html"
    field_template_name = "common/forms/field.html"

    @cached_property
    def _own(self) -> set[str]:
        """Which of the widget templates drawn here resolve to Django's own files."""
        return {
            name
            for name in (*_INPUTS, _SELECT, _OPTION)
            if Path(self.get_template(name).template.origin.name).parent == _DJANGO_WIDGETS
        }

    def render(self, template_name, context, request=None):
        if template_name in _INPUTS and {template_name, _INPUT} <= self._own:
            return _input_html(context["widget"])
        if template_name == _SELECT and {_SELECT, _OPTION} <= self._own:
            drawn = _select_html(context["widget"])
            if drawn is not None:
                return drawn
        return super().render(template_name, context, request)


def style_widgets(form: forms.BaseForm) -> None:
    """Give each widget its Bootstrap class, marking fields with errors as invalid."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        # Read the errors only once validation has run: `form.errors` would validate too early,
        # before a subclass has set the field's choices in its __init__.
        if form._errors and name in form._errors:
            css += " is-invalid"
        widget.attrs["class"] = css


# Control characters no stored text should carry. They arrive invisibly, pasted from Word (a manual line
# break is \x0b), a chat app or a spreadsheet, and openpyxl refuses them in a workbook: one such name
# made every export including its row fail (issue 14, finding 5). Tab and line breaks stay in
# multi-line text; Word's line and page breaks (\x0b, \x0c) become line breaks there.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\x0b\x0c]")
_SINGLE_LINE_SPACES = re.compile("[\t\n\r\x0b\x0c]")


def without_control_characters(text: str, *, multiline: bool = False) -> str:
    """The text with its control characters removed; in multi-line text tab and line breaks stay."""
    text = _LINE_BREAKS.sub("\n", text) if multiline else _SINGLE_LINE_SPACES.sub(" ", text)
    return _CONTROLS.sub("", text)


# The calendar the portal works in. Python's and PostgreSQL's calendars end at years 1 and 9999, and a
# day at either end overflows when it becomes a time in another zone or the day after it is taken
# (`date_to=9999-12-31`, a visit at `0001-01-01T00:00` answered 500): no birth, visit, meeting or
# filter of this portal lies outside these years.
FIRST_YEAR, LAST_YEAR = 1900, 2099


def _within_calendar(value, message) -> None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(message, code="out_of_range", params={"first": FIRST_YEAR, "last": LAST_YEAR})


def within_calendar_day(value) -> None:
    _within_calendar(value, _("请填写 %(first)s 年至 %(last)s 年之间的日期。"))


def within_calendar_time(value) -> None:
    _within_calendar(value, _("请填写 %(first)s 年至 %(last)s 年之间的时间。"))


# The widest integer a column holds (bigint): a larger id or number is refused by the form, not by the
# database. Fields with a narrower column (a smallint of days) carry their own max_value.
BIGINT_MAX = 2**63 - 1


def _text_cleaner(to_python, multiline: bool):
    def clean_text(value):
        if isinstance(value, str):
            value = without_control_characters(value, multiline=multiline)
        return to_python(value)

    return clean_text


def guard_fields(form: forms.BaseForm) -> None:
    """Give every field of the form the portal's limits (see the module's docstring).

    Fields are copied for each form instance, so changing them here changes only this form.
    """
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.to_python = _text_cleaner(field.to_python, isinstance(field.widget, forms.Textarea))
        elif isinstance(field, forms.DateTimeField):
            field.validators.append(within_calendar_time)
        elif isinstance(field, forms.DateField):
            field.validators.append(within_calendar_day)
        elif isinstance(field, forms.IntegerField) and field.max_value is None:
            field.max_value = BIGINT_MAX
            field.validators.append(validators.MaxValueValidator(BIGINT_MAX))
            field.min_value = -BIGINT_MAX
            field.validators.append(validators.MinValueValidator(-BIGINT_MAX))


class ListedChoiceIterator(ModelChoiceIterator):
    """A model field's choices read in one plain query, kept for the form's life.

    Django's own iterator reads them through a server-side cursor, made for tables too big to hold:
    DECLARE ... WITH HOLD, two FETCHes and a CLOSE, four round trips for the street inbox's forty
    communities (6.9 ms to draw its filter form at 500,000 households). A picker's list is never that big.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


def list_model_choices(form: forms.BaseForm) -> None:
    """Read the choices of every model field of the form with ListedChoiceIterator (also those a subclass
    sets afterwards: setting a field's queryset reads `field.iterator`)."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.iterator = ListedChoiceIterator
            field.widget.choices = field.choices


class StyledFormMixin:
    """Bootstrap classes on every widget, the portal's limits on every field (guard_fields), and model
    choices read in one query (list_model_choices)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_model_choices(self)
        guard_fields(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)


class PlainSelect(forms.Select):
    """A select rendered in Python rather than through a template per option.

    A street leader's grid or visitor picker has thousands of options; rendered option by option through
    templates it took about 70 ms per page at district scale, and through format_html 27 ms for 2,000
    grids: each option is written here, escaped by the standard library's html.escape (what Django's
    escape calls), 5.5 ms.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = {str(v) for v in self.format_value(value)}
        options = []
        for option, label in self.choices:
            option = str(option)
            text = conditional_escape(label) if hasattr(label, "__html__") else html.escape(str(label))
            chosen = " selected" if option in selected else ""
            options.append(f'<option value="{html.escape(option)}"{chosen}>{text}</option>')
        return format_html(
            "<select{}>{}</select>",
            flatatt(final_attrs),
            mark_safe("".join(options)),  # noqa: S308 - every value and label is escaped above
        )


class DateInput(forms.DateInput):
    """The browser's native date picker."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    """The browser's native date-and-time picker (a phone's wheel), to the minute, in local time."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_MINUTE, **kwargs)


class DateRangeMixin:
    """Filter forms with `date_from` and `date_to` (both optional, both days included)."""

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: each field's messages beside it, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class SubmissionTokenField(forms.UUIDField):
    """The one-time token of a form that creates a record (common.submissions): a new one each time the
    form is drawn, sent back unchanged when the form is shown again with its errors."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(initial=uuid.uuid4, **kwargs)
