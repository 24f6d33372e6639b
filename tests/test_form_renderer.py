"""The portal's form renderer draws Django's input and select widgets in Python: the HTML must be what
Django's own templates draw, character for character, and a project template overriding one wins."""

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.test import override_settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cases.forms import CaseFilterForm
from common.forms import PortalFormRenderer
from grids.models import Role
from tests.factories import GridFactory, UserFactory, assign


class EveryWidget(forms.Form):
    text = forms.CharField(
        initial='他说"<好>" & 走',
        widget=forms.TextInput(
            attrs={"placeholder": "如：<b>", "data-on": True, "data-off": False, "size": 10}
        ),
    )
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    safe = forms.CharField(required=False, initial=mark_safe("<i>已转义</i>"))
    choice = forms.ChoiceField(
        choices=[("", "全部"), ("a&b", "甲 & 乙"), ("组", [("1", "一"), ("2", gettext_lazy("满意"))])],
        initial="2",
    )
    numbered = forms.TypedChoiceField(choices=[(1, 2026), (2, "二")], coerce=int)  # a label that is a number
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], initial=["y"])
    flag = forms.BooleanField(initial=True)
    off = forms.BooleanField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    hidden = forms.IntegerField(initial=5, widget=forms.HiddenInput)
    number = forms.IntegerField(min_value=0)
    email = forms.EmailField(required=False)
    note = forms.CharField(widget=forms.Textarea, initial="<多行>")
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)


def _pairs(form_class, data=None, **kwargs):
    fast = form_class(data, renderer=PortalFormRenderer(), **kwargs)
    slow = form_class(data, renderer=TemplatesSetting(), **kwargs)
    return [(name, str(fast[name]), str(slow[name])) for name in fast.fields]


@pytest.mark.parametrize(
    "data",
    [
        None,  # unbound, with initial values
        {"text": "<x>", "choice": "a&b", "many": ["x", "y"], "hidden": "7", "number": "-1", "day": "bad"},
    ],
)
def test_every_widget_draws_what_djangos_templates_draw(data):
    pairs = _pairs(EveryWidget, data)
    assert len(pairs) == 15
    for name, fast, slow in pairs:
        assert fast == slow, name
    drawn = {name: fast for name, fast, _slow in pairs}
    assert "&lt;b&gt;" in drawn["text"] and " data-on " in drawn["text"] and "data-off" not in drawn["text"]
    assert '<optgroup label="组">' in drawn["choice"]
    if data is None:
        assert 'value="他说&quot;&lt;好&gt;&quot; &amp; 走"' in drawn["text"]
        assert "<i>已转义</i>" in drawn["safe"]  # already safe: not escaped twice


@pytest.mark.django_db
def test_the_case_lists_filter_form_draws_as_before():
    grid = GridFactory()
    staff = UserFactory()
    assign(staff, Role.COMMUNITY_STAFF, grid.community)
    pairs = _pairs(CaseFilterForm, {"status": "closed", "q": "黄河", "date_from": "2026-13-01"}, user=staff)
    assert len(pairs) > 10
    for name, fast, slow in pairs:
        assert fast == slow, name


def test_a_project_template_overriding_a_widget_is_drawn_as_it_says():
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": False,
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"django/forms/widgets/input.html": '<input class="ours" name="{{ widget.name }}">'},
                    ),
                    "django.template.loaders.app_directories.Loader",
                ]
            },
        }
    ]
    with override_settings(TEMPLATES=templates):
        form = EveryWidget(renderer=PortalFormRenderer())
        assert str(form["number"]) == '<input class="ours" name="number">'
        assert str(form["choice"]).startswith('<select name="choice"')  # the select is still Django's
