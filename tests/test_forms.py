import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cases.forms_street import StreetInboxForm
from common.forms import PlainSelect


def test_plain_select_marks_the_chosen_option_and_escapes_labels():
    field = forms.ChoiceField(
        choices=[("", "全部"), ("1", "<b>第一网格</b>"), ("2", "第二网格")], widget=PlainSelect
    )
    html = field.widget.render("grid", "2", attrs={"id": "id_grid"})
    assert html == (
        '<select id="id_grid" name="grid"><option value="">全部</option>'
        '<option value="1">&lt;b&gt;第一网格&lt;/b&gt;</option>'
        '<option value="2" selected>第二网格</option></select>'
    )


def test_plain_select_keeps_safe_labels_and_translates_lazy_ones():
    field = forms.ChoiceField(
        choices=[("a&b", gettext_lazy("全部")), ("2", mark_safe("<i>第二网格</i>"))], widget=PlainSelect
    )
    html = field.widget.render("grid", "a&b")
    assert html == (
        '<select name="grid"><option value="a&amp;b" selected>全部</option>'
        '<option value="2"><i>第二网格</i></option></select>'
    )


@pytest.mark.django_db
def test_a_model_select_reads_its_choices_in_one_plain_query(grid, other_grid):
    """Not through Django's server-side cursor (DECLARE, FETCH, CLOSE): the choices of a form's model
    field, also one whose queryset the form sets in its __init__, come from one SELECT."""
    community, street = grid.community, grid.community.street
    form = StreetInboxForm({"community": str(community.pk)}, street_ids=[street.pk])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["community"] == community
    with CaptureQueriesContext(connection) as queries:
        html = str(form["community"])
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    assert f'<option value="{community.pk}" selected>{community.name}</option>' in html
    assert other_grid.community.name not in html  # another street's community is no choice
