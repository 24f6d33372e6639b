"""Form rendering shared by every app: Bootstrap classes and errors beside the field they concern."""

from django import forms
from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


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


class StyledFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)
