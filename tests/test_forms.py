from django import forms

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
