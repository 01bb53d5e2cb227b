"""Pages of the imports: a division's imports (templates, uploads, history), one job (preview, confirmation, progress,
result) and its progress as JSON for the page's polling. A view parses, calls a service, and renders."""

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ..excel import XLSX_CONTENT_TYPE
from ..forms import BootstrapMixin
from ..models import Division, ImportJob
from ..scopes import get_visible_or_404, has_role, refusal, roles_for
from . import importer_for, importers, services
from .workbook import template_bytes


class UploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))


def _division(request, code) -> Division:
    return get_visible_or_404(Division.objects, request.user, code=code)


def _importer(request, division, kind):
    importer = importer_for(kind)
    if importer is None or division.level not in importer.levels:
        raise Http404
    if not has_role(request.user, division.code, importer.roles):
        raise refusal(importer.roles)
    return importer


def available(user, division) -> list:
    """The importers the user may run on this division, in the order a county loads its ledgers."""
    return [
        imp for imp in importers().values() if division.level in imp.levels and has_role(user, division.code, imp.roles)
    ]


@login_required
def import_home(request, code):
    """A division's imports: each ledger's template and upload, and the history of the imports at or under it."""
    division = _division(request, code)
    if not roles_for(request.user, division.code):
        raise Http404
    jobs = (
        ImportJob.objects.visible_to(request.user)
        .filter(division__code__startswith=division.prefix)
        .select_related("division", "user")
    )
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    labels = {imp.kind: imp.label for imp in importers().values()}
    for job in page:
        job.kind_label = labels.get(job.kind, job.kind)
    return render(
        request,
        "villages/imports/home.html",
        {"division": division, "importers": available(request.user, division), "page": page},
    )


@login_required
def import_template(request, code, kind):
    division = _division(request, code)
    importer = _importer(request, division, kind)
    response = HttpResponse(template_bytes(importer), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(importer.filename + '-模板.xlsx')}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, code, kind):
    division = _division(request, code)
    importer = _importer(request, division, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                actor=request.user, division=division, kind=kind, file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect(job)
    return render(request, "villages/imports/upload.html", {"division": division, "importer": importer, "form": form})


def _job(request, pk) -> ImportJob:
    return get_visible_or_404(ImportJob.objects.select_related("division", "user"), request.user, pk=pk)


@login_required
def import_job(request, pk):
    job = _job(request, pk)
    importer = importer_for(job.kind)
    may_confirm = job.status == ImportJob.Status.READY and has_role(request.user, job.division.code, importer.roles)
    return render(
        request,
        "villages/imports/job.html",
        {
            "job": job,
            "division": job.division,
            "importer": importer,
            "progress": services.import_job_progress(job),
            "may_confirm": may_confirm,
            "errors_shown": job.errors[:1000],
        },
    )


@login_required
@require_POST
def import_job_confirm(request, pk):
    job = _job(request, pk)
    try:
        job = services.import_job_confirm(actor=request.user, job=job)
    except PermissionDenied:
        raise refusal(importer_for(job.kind).roles) from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count},
            )
    return redirect(job)


@login_required
def import_job_progress(request, pk):
    job = _job(request, pk)
    return JsonResponse(services.import_job_progress(job))
