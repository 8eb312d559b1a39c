"""Helpers several page modules of the sessions app use: the institution of an official, and their
institution's on-site sessions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from entitlements.models import Institution
from entitlements.navigation import official_bands_of
from sessions.models import SessionKind, TrainingSession
from sessions.selectors import sessions_visible


def no_institution_page(request: HttpRequest) -> HttpResponse:
    """Staff, trainers or a user not (yet) linked to an institution: the page that says so."""
    return render(request, "portal/no_institution.html")


def official_institution_or_404(request: HttpRequest) -> Institution:
    institution = official_bands_of(request).institution  # read once a request, shared with the navigation
    if institution is None:
        raise Http404
    return institution


def onsite_sessions_of(request: HttpRequest, institution: Institution):
    """The institution's on-site sessions (the selector already limits an official to them)."""
    return (
        sessions_visible(request.user)
        .filter(kind=SessionKind.ONSITE, institution=institution)
        .select_related("course", "province", "trainer__user", "request_item")
    )


def onsite_session_or_404(request: HttpRequest, institution: Institution, pk: int) -> TrainingSession:
    session = onsite_sessions_of(request, institution).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session
