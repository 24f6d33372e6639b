"""Photos of a visit or a patrol finding: adding them on the record's page, and serving them in scope."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grids.models import Grid

from . import services
from .models import PatrolFinding, RecordPhoto, Visit


def _add(request, back: str, **record):
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, _("请选择要上传的照片。"))
        return redirect(back)
    try:
        added = services.record_photos_add(actor=request.user, files=files, **record)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已上传 %(n)d 张照片。") % {"n": len(added)})
    return redirect(back)


@require_POST
def visit_photo_add(request, pk: int):
    """Photos taken on a visit (anyone serving the household's grid)."""
    visit = (
        Visit.objects.filter(pk=pk, household__grid__in=Grid.objects.visible_to(request.user))
        .select_related("household__grid")
        .first()
    )
    if visit is None:
        raise Http404
    return _add(request, reverse("visits:detail", args=[visit.pk]) + "#photos", visit=visit)


@require_POST
def finding_photo_add(request, pk: int):
    """Photos of what a patrol found (anyone serving the patrol's grid)."""
    finding = (
        PatrolFinding.objects.filter(pk=pk, patrol__grid__in=Grid.objects.visible_to(request.user))
        .select_related("patrol__grid")
        .first()
    )
    if finding is None:
        raise Http404
    back = reverse("visits:patrol_detail", args=[finding.patrol_id]) + f"#finding-{finding.pk}"
    return _add(request, back, finding=finding)


@require_GET
def photo(request, pk: int):
    """A visit's or finding's photo, only for users who may see the visit or the patrol (else 404)."""
    grids = Grid.objects.visible_to(request.user)
    found = (
        RecordPhoto.objects.filter(pk=pk, visit__household__grid__in=grids).first()
        or RecordPhoto.objects.filter(pk=pk, finding__patrol__grid__in=grids).first()
    )
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type=found.content_type)
