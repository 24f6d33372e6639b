"""View plumbing shared by every app: the htmx partial branch and the export download flow."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .xlsx import xlsx_response


def render_partial_or_page(
    request: HttpRequest, template: str, context: dict, *, partial: str = "results"
) -> HttpResponse:
    """The template's `{% partialdef %}` fragment for an htmx request, else the whole page."""
    if request.headers.get("HX-Request"):
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context)


def export_response(
    request: HttpRequest,
    *,
    filters: Any,
    build: Callable[[Any], Any],
    too_large: type[Exception],
    too_large_message: str,
    max_rows: int,
    back: str,
    filename: str,
    fallback: str,
    drop: Iterable[str] = (),
) -> HttpResponse:
    """A filtered list's export served as `<filename>-<local day>.xlsx` (`<fallback>-...` in ASCII).

    `filters` is None when the filter form was wrong. `build(filters)` is the app's own export: it writes
    the sheet, records the export and returns something with the workbook's `content`, or raises
    `too_large` (carrying `row_count`). Either refusal goes back to the list page `back` with the same
    query (less the parameters in `drop`) and a message; `too_large_message` takes `%(count)s` and
    `%(max)s`.
    """
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    back = f"{back}?{query.urlencode()}" if query else back
    if filters is None:
        messages.error(request, _("筛选条件有误，请更正后再导出。"))
        return redirect(back)
    try:
        export = build(filters)
    except too_large as exc:
        messages.error(request, too_large_message % {"count": exc.row_count, "max": max_rows})
        return redirect(back)
    day = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(export.content, f"{filename}-{day}.xlsx", f"{fallback}-{day}.xlsx")
