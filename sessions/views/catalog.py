"""The catalog: open to any logged-in user; its materials only to officials of entitled
institutions and programme staff (``selectors.materials_visible``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sessions.models import Audience, CourseMaterial
from sessions.selectors import course_list, materials_visible


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Active courses, end-user courses first, then technical; materials for entitled officials."""
    courses = list(course_list())
    groups = [
        (value, label, [course for course in courses if course.audience == value])
        for value, label in ((Audience.USER, Audience.USER.label), (Audience.TECHNICAL, Audience.TECHNICAL.label))
    ]
    return render(
        request,
        "sessions/catalog.html",
        {"groups": [group for group in groups if group[2]], "show_materials": materials_visible(request.user)},
    )


@require_GET
@login_required
def material_download(request: HttpRequest, pk: int) -> FileResponse:
    """A course file, for programme staff and officials of entitled institutions only (media files are
    not served publicly)."""
    if not materials_visible(request.user):
        raise Http404
    material = CourseMaterial.objects.filter(pk=pk, course__is_active=True).exclude(file="").first()
    if material is None:
        raise Http404
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.file.name.rsplit("/", 1)[-1])
