"""Excel ledgers (台账): downloading the template, importing a filled ledger, exporting the resident list."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.replica import reads_from_replica
from common.views import export_response
from common.xlsx import xlsx_response
from grids.permissions import communities_for_ledger_import

from . import permissions
from .forms import ResidentSearchForm
from .ledger import export, importer, template
from .views import number_in_url_message, number_search_from_session

# A file with thousands of bad rows would make a page nobody can read; the first ones show the pattern.
ERRORS_SHOWN = 500


@require_http_methods(["GET"])
def ledger_template(request):
    return xlsx_response(template.template_workbook(), "居民台账导入模板.xlsx", "ledger-template.xlsx")


@require_http_methods(["GET", "POST"])
def ledger_import(request):
    communities = communities_for_ledger_import(request.user)
    if not communities.exists():
        raise PermissionDenied
    context = {
        "file_error": "",
        "errors": [],
        "error_count": 0,
        "file_name": "",
        "max_rows": importer.MAX_IMPORT_ROWS,
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        context["file_name"] = upload.name if upload else ""
        try:
            result = importer.ledger_import(file=upload, communities=communities)
        except importer.LedgerFileError as exc:
            context["file_error"] = exc.message
        except importer.LedgerRejected as exc:
            context["errors"] = exc.errors[:ERRORS_SHOWN]
            context["error_count"] = len(exc.errors)
        else:
            messages.success(
                request,
                format_html(
                    '{} <a href="{}" class="alert-link">{}</a>',
                    _("导入完成：新建 %(households)s 户、%(residents)s 名居民。")
                    % {"households": result.households, "residents": result.residents},
                    reverse("residents:household_list"),
                    _("查看户籍台账"),
                ),
            )
            return redirect("residents:ledger_import")
    return render(request, "residents/ledger_import.html", context)


@require_http_methods(["GET"])
@reads_from_replica
def ledger_export(request):
    # Asking for full values without the right gets the masked ledger, recorded as masked.
    unmasked = request.GET.get("full") == "1" and permissions.can_export_unmasked(request.user)
    # A full-number search is exported by its token (the search page's own link), never by the number.
    filters = number_search_from_session(
        request, ResidentSearchForm(request.GET, user=request.user).filters()
    )
    if refusal := number_in_url_message(filters):
        messages.error(request, refusal)
        return redirect("residents:search")
    return export_response(
        request,
        filters=filters,
        build=lambda filters: export.ledger_export(user=request.user, filters=filters, unmasked=unmasked),
        too_large=export.LedgerTooLarge,
        too_large_message=_(
            "符合条件的居民有 %(count)s 人，一次最多导出 %(max)s 人：请缩小筛选范围（如按网格）后分批导出。"
        ),
        max_rows=export.MAX_EXPORT_ROWS,
        back=reverse("residents:search"),
        drop=("full",),
        filename="居民台账",
        fallback="residents",
    )
