"""The audit page for leaders (their scope) and superusers (everything), and its export."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from common.pagination import paginate
from common.replica import reads_from_replica
from common.views import export_response
from grids.permissions import can_read_audit

from . import exports, selectors
from .forms import AuditFilterForm


def _form_and_filters(request) -> tuple[AuditFilterForm, selectors.AuditFilters | None]:
    if not can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.AuditFilters()
    return form, filters


@require_GET
def audit_list(request):
    form, filters = _form_and_filters(request)
    rows = selectors.audit_rows(request.user, filters or selectors.AuditFilters())
    page = paginate(request, rows)
    page.object_list = selectors.page_rows(page.object_list)
    return render(
        request,
        "audit/audit_list.html",
        {
            "form": form,
            "form_invalid": filters is None,
            "page": page,
            "history_available": selectors.history_available(),
            "everything": request.user.is_superuser,
        },
    )


@require_GET
@reads_from_replica
def audit_export_view(request):
    form, filters = _form_and_filters(request)
    return export_response(
        request,
        filters=filters,
        build=lambda chosen: exports.audit_export(
            user=request.user, rows=selectors.audit_rows(request.user, chosen), filters=chosen
        ),
        too_large=exports.AuditTooLarge,
        too_large_message=_(
            "符合条件的审计记录有 %(count)s 条，一次最多导出 %(max)s 条：请缩小日期范围后分批导出。"
        ),
        max_rows=exports.MAX_ROWS,
        back=reverse("audit:list"),
        filename="审计日志",
        fallback="audit",
        drop=("page",),
    )
