"""The centre's screen for participants: officials nominate them in the portal (none is added
here); changes and deletions go through ``sessions.services``."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kamusm_portal.admin import TurkishSearchMixin
from sessions import services
from sessions.models import Participant


@admin.register(Participant)
class ParticipantAdmin(TurkishSearchMixin, SimpleHistoryAdmin):
    institution_path = "institution"  # the row scope (kamusm_portal.admin.ScopedAdmin)
    search_key_field = "institution__search_key"
    list_display = ("__str__", "institution", "unit", "role", "multiplier", "language", "anonymised_at")
    list_filter = ("role", "multiplier", "language")
    list_select_related = ("institution", "unit")
    readonly_fields = ("institution", "anonymised_at", "created_at")
    fields = (
        "institution",
        "unit",
        "first_name",
        "last_name",
        "email",
        "role",
        "kimlik_no",
        "multiplier",
        "language",
        "anonymised_at",
        "created_at",
    )

    def has_add_permission(self, request):
        return False  # officials nominate participants; the centre takes no part in choosing them

    def save_model(self, request, obj, form, change):
        services.participant_update(
            participant=obj, data={f: form.cleaned_data[f] for f in form.changed_data}, by=request.user
        )

    def delete_model(self, request, obj):
        services.participant_delete(participant=obj, by=request.user)
