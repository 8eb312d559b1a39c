"""The centre's admin for on-site training: the requests queue per account manager, rejecting and
scheduling through the services, trainers with their unavailability, the month calendar and the
schedule proposal."""

from datetime import date, timedelta

from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.services import attendance_record
from entitlements.models import Province
from sessions.models import (
    Attendance,
    Enrolment,
    RequestStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingSession,
    Unavailability,
)
from sessions.selectors import usage_for
from sessions.services import (
    enrolment_create,
    onsite_session_schedule,
    trainer_create,
    unavailability_create,
)
from tests.entitlements.factories import UserFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    TrainingRequestFactory,
)
from tests.timing import dotted, on

CHANGELIST = "admin:training_sessions_trainingrequest_changelist"


def _day(days_ahead: int) -> date:
    """A weekday about ``days_ahead`` days from today (local)."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _schedule(training_request, trainer, day: date, start: int = 9, end: int = 17, **kwargs):
    return onsite_session_schedule(
        request=training_request,
        course=training_request.items.get().course,
        trainer=trainer,
        starts_at=on(day, start),
        ends_at=on(day, end),
        **kwargs,
    )


def _trainer_user(username: str = "egitmen") -> Trainer:
    return trainer_create(
        username=username,
        email=f"{username}@kamusm.gov.tr",
        first_name="Deniz",
        last_name="Işık",
        home_province=Province.objects.get(plate=6),
        password="Gizli-parola-2026",
    )


def _schedule_form(item, trainer, day: date, start: str = "09:00", end: str = "17:00", **extra) -> dict:
    return {
        "item": item.pk,
        "trainer": trainer.pk,
        "starts_at_0": day.strftime("%d.%m.%Y"),
        "starts_at_1": start,
        "ends_at_0": day.strftime("%d.%m.%Y"),
        "ends_at_1": end,
        "hours": "",
        "province": 6,
        "address": "Atatürk Bulvarı 1, Çankaya",
        **extra,
    }


# --- The requests queue -------------------------------------------------------------------------


def test_programme_staff_see_every_request_with_the_open_ones_first(staff_client):
    now = timezone.now()
    old_open = TrainingRequestFactory(submitted_at=now - timedelta(days=10))
    closed = TrainingRequestFactory(
        status=RequestStatus.REJECTED, rejection_reason="Takvim dolu.", submitted_at=now - timedelta(hours=1)
    )
    new_open = TrainingRequestFactory(submitted_at=now - timedelta(days=1))
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [new_open.pk, old_open.pk, closed.pk]
    text = response.content.decode()
    assert "EIMZA-101" in text  # the items summary
    assert reverse("admin:training_sessions_trainingrequest_schedule", args=[new_open.pk]) in text


def test_an_account_manager_sees_only_their_institutions_requests_open_first(client, db):
    manager = UserFactory(is_staff=True)
    now = timezone.now()
    mine_closed = TrainingRequestFactory(
        status=RequestStatus.REJECTED, rejection_reason="Takvim dolu.", submitted_at=now - timedelta(hours=1)
    )
    mine_open = TrainingRequestFactory(submitted_at=now - timedelta(days=3))
    for request in (mine_closed, mine_open):
        request.institution.account_manager = manager
        request.institution.save()
    other = TrainingRequestFactory()
    client.force_login(manager)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [mine_open.pk, mine_closed.pk]
    assert response.context["action_form"] is None  # rejecting and scheduling are programme staff's
    assert client.get(reverse("admin:training_sessions_trainingrequest_change", args=[mine_open.pk])).status_code == 200
    # Another manager's request does not exist for them: 404, as for a request that does not exist.
    assert client.get(reverse("admin:training_sessions_trainingrequest_change", args=[other.pk])).status_code == 404
    schedule = reverse("admin:training_sessions_trainingrequest_schedule", args=[mine_open.pk])
    assert client.get(schedule).status_code == 403


def test_programme_staff_who_manage_institutions_see_their_own_open_requests_first(client, staff_user):
    now = timezone.now()
    others_open = TrainingRequestFactory(submitted_at=now)
    mine_open = TrainingRequestFactory(submitted_at=now - timedelta(days=5))
    mine_open.institution.account_manager = staff_user
    mine_open.institution.save()
    client.force_login(staff_user)
    response = client.get(reverse(CHANGELIST))
    assert [r.pk for r in response.context["cl"].result_list] == [mine_open.pk, others_open.pk]


def test_the_requests_list_runs_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    TrainingRequestFactory()
    with CaptureQueriesContext(connection) as one:
        staff_client.get(reverse(CHANGELIST))
    for _ in range(4):
        TrainingRequestFactory()
    with django_assert_max_num_queries(len(one)):
        response = staff_client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 5


def test_staff_cannot_add_or_edit_requests_in_the_admin(staff_client):
    request = TrainingRequestFactory()
    assert staff_client.get(reverse("admin:training_sessions_trainingrequest_add")).status_code == 403
    change = reverse("admin:training_sessions_trainingrequest_change", args=[request.pk])
    staff_client.post(change, {"status": RequestStatus.SCHEDULED})
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


# --- Rejecting ------------------------------------------------------------------------------------


def test_rejecting_through_the_action_writes_the_reason_and_frees_the_hours(staff_client, program):
    request = TrainingRequestFactory()
    assert usage_for(institution=request.institution, program=program).hours_held == 8

    page = staff_client.post(reverse(CHANGELIST), {"action": "reject", "_selected_action": [request.pk]})
    assert page.status_code == 200
    assert "reason" in page.context["form"].fields  # the intermediate page asks why

    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "reject", "_selected_action": [request.pk], "apply": "1", "reason": "Eğitmen kapasitesi yok."},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == (RequestStatus.REJECTED, "Eğitmen kapasitesi yok.")
    hours = usage_for(institution=request.institution, program=program)
    assert (hours.hours_held, hours.hours_remaining) == (0, 8)


def test_rejecting_without_a_reason_asks_again_and_changes_nothing(staff_client):
    request = TrainingRequestFactory()
    page = staff_client.post(
        reverse(CHANGELIST), {"action": "reject", "_selected_action": [request.pk], "apply": "1", "reason": " "}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["reason"]
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


# --- Scheduling -----------------------------------------------------------------------------------


def test_the_schedule_page_creates_an_announced_onsite_session(staff_client, program):
    trainer = TrainerFactory()
    request = TrainingRequestFactory()
    item = request.items.get()
    url = reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk])
    assert staff_client.get(url).status_code == 200
    day = _day(30)

    response = staff_client.post(url, _schedule_form(item, trainer, day))

    session = TrainingSession.objects.get(kind=SessionKind.ONSITE)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:training_sessions_trainingsession_change", args=[session.pk])
    assert (session.trainer, session.hours, session.status) == (trainer, 8, SessionStatus.ANNOUNCED)
    assert (session.institution, session.request_item, session.province_id) == (request.institution, item, 6)
    assert session.starts_at == on(day, 9)
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED
    hours = usage_for(institution=request.institution, program=program)
    assert (hours.hours_used, hours.hours_held) == (8, 0)


def test_a_conflicting_schedule_shows_trainer_conflict_next_to_the_trainer(staff_client):
    trainer = TrainerFactory()
    day = _day(30)
    SessionFactory(trainer=trainer, starts_at=on(day, 16, 59), ends_at=on(day, 18))  # one minute over
    request = TrainingRequestFactory()
    url = reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk])

    response = staff_client.post(url, _schedule_form(request.items.get(), trainer, day))

    assert response.status_code == 200
    assert response.context["rule_code"] == "trainer_conflict"
    assert response.context["form"].errors["trainer"]
    assert not TrainingSession.objects.filter(kind=SessionKind.ONSITE).exists()
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_more_hours_than_the_item_asks_are_shown_next_to_the_hours(staff_client):
    trainer = TrainerFactory()
    request = TrainingRequestFactory()
    url = reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk])
    day = _day(30)
    form = _schedule_form(request.items.get(), trainer, day, end="18:00")  # 9 hours of an 8-hour item

    response = staff_client.post(url, form)

    assert response.status_code == 200
    assert response.context["rule_code"] == "hours_exceeded"
    assert response.context["form"].errors["hours"]
    assert not TrainingSession.objects.filter(kind=SessionKind.ONSITE).exists()


def test_a_session_over_several_days_needs_its_hours(staff_client):
    trainer = TrainerFactory()
    request = TrainingRequestFactory()
    url = reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk])
    day = _day(30)
    form = _schedule_form(request.items.get(), trainer, day, ends_at_0=(day + timedelta(days=1)).strftime("%d.%m.%Y"))

    response = staff_client.post(url, form)

    assert response.status_code == 200
    assert response.context["form"].errors["hours"]
    response = staff_client.post(url, {**form, "hours": "8"})
    assert response.status_code == 302
    assert TrainingSession.objects.get(kind=SessionKind.ONSITE).hours == 8


def test_an_onsite_session_page_shows_its_request_read_only(staff_client):
    trainer = TrainerFactory()
    request = TrainingRequestFactory()
    session = _schedule(request, trainer, _day(30), address="Kızılay")
    response = staff_client.get(reverse("admin:training_sessions_trainingsession_change", args=[session.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Kızılay" in text and request.institution.name in text
    assert reverse("admin:training_sessions_trainingrequest_change", args=[request.pk]) in text
    assert not response.context["adminform"].form.fields  # made by scheduling, changed only by cancelling


def test_the_cancel_action_gives_an_onsite_sessions_hours_back(staff_client, program):
    request = TrainingRequestFactory()
    session = _schedule(request, TrainerFactory(), _day(30))
    staff_client.post(
        reverse("admin:training_sessions_trainingsession_changelist"),
        {"action": "cancel", "_selected_action": [session.pk]},
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    hours = usage_for(institution=request.institution, program=program)
    assert (hours.hours_used, hours.hours_held) == (0, 8)


# --- Trainers and their unavailability ------------------------------------------------------------


def _inline_post(trainer: Trainer, rows: list[dict], initial: int = 0) -> dict:
    data = {
        "home_province": trainer.home_province_id,
        "is_active": "on",
        "unavailability-TOTAL_FORMS": str(len(rows)),
        "unavailability-INITIAL_FORMS": str(initial),
        "unavailability-MIN_NUM_FORMS": "0",
        "unavailability-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"unavailability-{index}-{key}"] = value
        data[f"unavailability-{index}-trainer"] = trainer.pk
    return data


def _block_row(day: date, start: str, end: str, reason: str = "Yıllık izin", pk="") -> dict:
    return {
        "id": pk,
        "starts_at_0": day.strftime("%d.%m.%Y"),
        "starts_at_1": start,
        "ends_at_0": day.strftime("%d.%m.%Y"),
        "ends_at_1": end,
        "reason": reason,
    }


def test_the_unavailability_inline_refuses_a_block_over_a_booked_session(staff_client):
    trainer = TrainerFactory()
    day = _day(30)
    _schedule(TrainingRequestFactory(), trainer, day)
    url = reverse("admin:training_sessions_trainer_change", args=[trainer.pk])

    response = staff_client.post(url, _inline_post(trainer, [_block_row(day, "12:00", "18:00")]))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["starts_at"]
    assert not Unavailability.objects.exists()


def test_the_unavailability_inline_blocks_free_time_through_the_service(staff_client, staff_user):
    trainer = TrainerFactory()
    day = _day(30)
    _schedule(TrainingRequestFactory(), trainer, day)  # 09:00-17:00: a block from 17:00 touches it
    url = reverse("admin:training_sessions_trainer_change", args=[trainer.pk])

    response = staff_client.post(url, _inline_post(trainer, [_block_row(day, "17:00", "20:00")]))

    assert response.status_code == 302
    block = Unavailability.objects.get()
    assert (block.trainer, block.starts_at, block.created_by) == (trainer, on(day, 17), staff_user)


def test_changing_a_block_over_a_session_is_refused_and_keeps_the_old_one(staff_client):
    trainer = TrainerFactory()
    day = _day(30)
    _schedule(TrainingRequestFactory(), trainer, day)
    next_day = day + timedelta(days=1)
    block = unavailability_create(trainer=trainer, starts_at=on(next_day, 9), ends_at=on(next_day, 12))
    url = reverse("admin:training_sessions_trainer_change", args=[trainer.pk])

    response = staff_client.post(
        url, _inline_post(trainer, [_block_row(day, "08:00", "23:00", pk=block.pk)], initial=1)
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.forms[0].errors["starts_at"]
    assert list(Unavailability.objects.values_list("pk", flat=True)) == [block.pk]


def test_staff_add_a_trainer_through_the_service(staff_client):
    response = staff_client.post(
        reverse("admin:training_sessions_trainer_add"),
        {
            "username": "yeni.egitmen",
            "email": "yeni@kamusm.gov.tr",
            "first_name": "Çiğdem",
            "last_name": "Öztürk",
            "home_province": 34,
            "password": "",
        },
    )
    assert response.status_code == 302
    trainer = Trainer.objects.get(user__username="yeni.egitmen")
    assert trainer.home_province_id == 34
    assert trainer.user.is_staff and trainer.user.groups.filter(name="Trainers").exists()
    listing = staff_client.get(reverse("admin:training_sessions_trainer_changelist")).content.decode()
    assert reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]) in listing
    taken = staff_client.post(
        reverse("admin:training_sessions_trainer_add"),
        {"username": "yeni.egitmen", "email": "b@kamusm.gov.tr", "home_province": 6, "password": ""},
    )
    assert taken.status_code == 200
    assert taken.context["adminform"].form.errors["username"]


def test_a_trainer_sees_only_their_own_row_blocks_and_sessions(client, db):
    me = _trainer_user()
    other = TrainerFactory()
    mine = SessionFactory(trainer=me, starts_at=on(_day(30), 9))
    theirs = SessionFactory(trainer=other, starts_at=on(_day(31), 9))
    my_block = unavailability_create(trainer=me, starts_at=on(_day(40), 9), ends_at=on(_day(40), 12))
    unavailability_create(trainer=other, starts_at=on(_day(40), 9), ends_at=on(_day(40), 12))
    client.force_login(me.user)

    trainers = client.get(reverse("admin:training_sessions_trainer_changelist"))
    sessions = client.get(reverse("admin:training_sessions_trainingsession_changelist"))
    blocks = client.get(reverse("admin:training_sessions_unavailability_changelist"))

    assert list(trainers.context["cl"].result_list) == [me]
    assert [s.pk for s in sessions.context["cl"].result_list] == [mine.pk]
    assert list(blocks.context["cl"].result_list) == [my_block]
    assert sessions.context["action_form"] is None  # announcing and cancelling are programme staff's
    assert client.get(reverse("admin:training_sessions_trainer_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:training_sessions_trainingsession_change", args=[theirs.pk])).status_code == 404
    history = reverse("admin:training_sessions_trainer_history", args=[other.pk])
    assert client.get(history).status_code == 404  # as for a missing row: nothing tells it exists
    assert client.get(reverse(CHANGELIST)).status_code == 403  # requests are for account managers and staff


def test_a_trainer_blocks_their_own_time_but_cannot_change_their_row(client, db):
    me = _trainer_user()
    client.force_login(me.user)
    url = reverse("admin:training_sessions_trainer_change", args=[me.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # home province and active flag are read-only
    day = _day(30)

    response = client.post(url, {**_inline_post(me, [_block_row(day, "09:00", "12:00")]), "home_province": 34})

    assert response.status_code == 302
    me.refresh_from_db()
    assert me.home_province_id == 6
    assert Unavailability.objects.get().created_by == me.user


# --- The month calendar ---------------------------------------------------------------------------


def _month_ahead() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=45)).replace(day=1)


def _busy_trainer(month: date, n: int) -> Trainer:
    trainer = TrainerFactory(user__username=f"takvim{n}")
    day = month.replace(day=10)
    SessionFactory(trainer=trainer, starts_at=on(day, 9), ends_at=on(day, 13))
    unavailability_create(trainer=trainer, starts_at=on(day, 14), ends_at=on(day + timedelta(days=2), 18))
    return trainer


def test_the_calendar_shows_a_month_of_every_trainer_in_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    month = _month_ahead()
    url = reverse("admin:training_sessions_trainer_calendar")
    trainer = _busy_trainer(month, 0)
    onsite = _schedule(TrainingRequestFactory(), trainer, month.replace(day=20))
    with CaptureQueriesContext(connection) as one:
        response = staff_client.get(url, {"month": month.strftime("%Y-%m")})
    assert response.status_code == 200
    calendar = response.context["calendar"]
    assert [row.trainer for row in calendar.rows] == [trainer]
    assert len(calendar.days) == len(calendar.rows[0].cells)
    cells = calendar.rows[0].cells
    assert [e.session for e in cells[9].entries if e.session] and [e.block for e in cells[11].entries if e.block]
    assert [e.session for e in cells[19].entries] == [onsite]
    text = response.content.decode()
    assert "EIMZA-101" in text and onsite.institution.name in text and 'class="weekend' in text
    assert f"?month={calendar.previous:%Y-%m}" in text and f"?month={calendar.next:%Y-%m}" in text

    for n in range(1, 5):
        _busy_trainer(month, n)
    with django_assert_max_num_queries(len(one)):
        response = staff_client.get(url, {"month": month.strftime("%Y-%m")})
    assert len(response.context["calendar"].rows) == 5


def _facts(text: str, facts_id: str) -> str:
    """The markup of one entry's facts (its popover) in the calendar."""
    start = text.index(f'id="{facts_id}" popover>')
    return text[start : text.index("</div>", start)]


def test_every_calendar_entry_is_a_button_opening_its_facts_and_a_link_without_hover(staff_client):
    month = _month_ahead()
    day = month.replace(day=10)
    trainer = TrainerFactory()
    session = SessionFactory(trainer=trainer, starts_at=on(day, 9), ends_at=on(day, 13))
    away = unavailability_create(
        trainer=trainer,
        starts_at=on(day + timedelta(days=3), 14),
        ends_at=on(day + timedelta(days=4), 18),
        reason="Kongre",
    )
    response = staff_client.get(reverse("admin:training_sessions_trainer_calendar"), {"month": month.strftime("%Y-%m")})
    text = response.content.decode()
    start = text.index('<table class="work-plan"')
    table = text[start : text.index("</table>", start)]
    assert "title=" not in table, "nothing is shown on hover only"
    assert 'id="work-plan-frame" role="region" tabindex="0"' in text  # the frame scrolls from the keyboard

    facts_id = f"work-plan-s{session.pk}-{day:%Y%m%d}"
    assert f'<button type="button" class="entry session classroom" popovertarget="{facts_id}">' in table
    facts = _facts(table, facts_id)
    assert session.course.title in facts and session.venue.name in facts and str(trainer) in facts
    assert f"{dotted(day)} 09:00–13:00" in facts
    assert f'href="{reverse("admin:training_sessions_trainingsession_change", args=[session.pk])}"' in facts

    # A block over two days is an entry on each, each opening the whole block.
    for shown in (day + timedelta(days=3), day + timedelta(days=4)):
        facts_id = f"work-plan-u{away.pk}-{shown:%Y%m%d}"
        assert f'<button type="button" class="entry block" popovertarget="{facts_id}">' in table
        facts = _facts(table, facts_id)
        assert "Kongre" in facts
        assert f"{dotted(day + timedelta(days=3))} 14:00 – {dotted(day + timedelta(days=4))} 18:00" in facts
        assert f'href="{reverse("admin:training_sessions_unavailability_change", args=[away.pk])}"' in facts


def test_the_calendar_of_a_trainer_shows_only_their_row(client, db):
    me = _trainer_user()
    TrainerFactory()
    client.force_login(me.user)
    response = client.get(reverse("admin:training_sessions_trainer_calendar"), {"month": "2026-12"})
    assert response.status_code == 200
    assert [row.trainer for row in response.context["calendar"].rows] == [me]
    assert response.context["calendar"].month == date(2026, 12, 1)


def test_an_account_manager_has_no_calendar(client, db):
    manager = UserFactory(is_staff=True)
    client.force_login(manager)
    assert client.get(reverse("admin:training_sessions_trainer_calendar")).status_code == 403


# --- The schedule proposal ------------------------------------------------------------------------


def _proposal_query(program, first: date, last: date) -> dict:
    return {"program": program.pk, "first_day": first.strftime("%d.%m.%Y"), "last_day": last.strftime("%d.%m.%Y")}


def test_the_proposal_lists_placements_and_accepting_one_schedules_it(staff_client, program):
    trainer = TrainerFactory()
    away = TrainerFactory(user__username="izmir", home_province_id=35)
    request = TrainingRequestFactory()
    unplaceable = TrainingRequestFactory(preferred_dates=[{"from": "2001-01-01", "to": "2001-01-31"}])
    first, last = _day(14), _day(14) + timedelta(days=13)
    url = reverse("admin:training_sessions_trainingrequest_proposal")

    response = staff_client.get(url, _proposal_query(program, first, last))

    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.item.request, row.trainer, row.placement.home) for row in report.rows] == [(request, trainer, True)]
    assert [row.item.request for row in report.unplaced] == [unplaceable]
    assert {row.trainer: row.hours for row in report.load} == {trainer: 8, away: 0}
    assert report.gap == 8
    placement = report.rows[0].placement

    accepted = staff_client.post(
        reverse("admin:training_sessions_trainingrequest_proposal_accept"),
        {
            "item": report.rows[0].item.pk,
            "trainer": trainer.pk,
            "starts_at": placement.starts_at.isoformat(),
            "ends_at": placement.ends_at.isoformat(),
            "hours": placement.hours,
            "back": response.context["back"],
        },
    )

    assert accepted.status_code == 302
    assert accepted["Location"].startswith(url + "?program=")
    session = TrainingSession.objects.get(kind=SessionKind.ONSITE)
    assert (session.trainer, session.starts_at, session.ends_at, session.hours) == (
        trainer,
        placement.starts_at,
        placement.ends_at,
        8,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED
    again = staff_client.get(url, _proposal_query(program, first, last))
    assert not again.context["report"].rows  # nothing left to place but the unplaceable item


def test_the_proposal_shows_each_day_of_a_two_day_placement_with_its_own_hours(staff_client, program):
    TrainerFactory()
    TrainingRequestFactory(item__hours=12)
    first = _day(14)
    following = _day((first - timezone.localdate()).days + 1)  # the next working day
    response = staff_client.get(
        reverse("admin:training_sessions_trainingrequest_proposal"),
        _proposal_query(program, first, first + timedelta(days=13)),
    )
    placement = response.context["report"].rows[0].placement
    assert placement.slots == ((on(first, 9), on(first, 17)), (on(following, 9), on(following, 13)))
    text = response.content.decode()
    assert f"<li>{dotted(first)} 09:00–17:00</li>" in text
    assert f"<li>{dotted(following)} 09:00–13:00</li>" in text
    assert f"{dotted(first)} 09:00 – {dotted(following)} 13:00" not in text  # not one range over the night


def test_accepting_a_placement_that_now_conflicts_shows_the_error(staff_client, program):
    trainer = TrainerFactory()
    TrainingRequestFactory()
    first = _day(14)
    url = reverse("admin:training_sessions_trainingrequest_proposal")
    report = staff_client.get(url, _proposal_query(program, first, first + timedelta(days=13))).context["report"]
    placement = report.rows[0].placement
    SessionFactory(trainer=trainer, starts_at=placement.starts_at, ends_at=placement.starts_at + timedelta(hours=1))

    accepted = staff_client.post(
        reverse("admin:training_sessions_trainingrequest_proposal_accept"),
        {
            "item": report.rows[0].item.pk,
            "trainer": trainer.pk,
            "starts_at": placement.starts_at.isoformat(),
            "ends_at": placement.ends_at.isoformat(),
            "hours": placement.hours,
        },
    )

    assert accepted.status_code == 302
    assert not TrainingSession.objects.filter(kind=SessionKind.ONSITE).exists()
    assert any(m.level_tag == "error" for m in get_messages(accepted.wsgi_request))


def test_the_proposal_is_for_programme_staff_only(client, db):
    manager = UserFactory(is_staff=True)
    institution = TrainingRequestFactory().institution
    institution.account_manager = manager
    institution.save()
    client.force_login(manager)
    assert client.get(reverse("admin:training_sessions_trainingrequest_proposal")).status_code == 403
    accept = reverse("admin:training_sessions_trainingrequest_proposal_accept")
    assert client.post(accept, {}).status_code == 403


def test_a_proposal_starts_tomorrow_at_the_earliest(staff_client, program):
    today = timezone.localdate()
    response = staff_client.get(
        reverse("admin:training_sessions_trainingrequest_proposal"), _proposal_query(program, today, today)
    )
    assert response.context["form"].errors["first_day"]
    assert response.context["report"] is None


# --- Every list renders ---------------------------------------------------------------------------


def _one_of_each(staff_user, *, people: int = 1, days_ago: int = 3, block_day: int = 20):
    """A request, a trainer with a block of unavailability, an on-site session recorded after the
    fact with ``people`` enrolled and marked, and a classroom session."""
    trainer = TrainerFactory()
    request = TrainingRequestFactory()
    session = _schedule(request, trainer, timezone.localdate() - timedelta(days=days_ago), by=staff_user)
    persons = [ParticipantFactory(institution=request.institution) for _ in range(people)]
    enrolment_create(session=session, participants=persons, by=staff_user)
    attendance_record(session=session, marks=[(person, "partial") for person in persons], by=staff_user)
    unavailability_create(trainer=trainer, starts_at=on(_day(block_day), 9), ends_at=on(_day(block_day), 12))
    SessionFactory(trainer=trainer)
    return request


def _app_models() -> list:
    return [m for m in admin.site._registry if m._meta.app_label == "training_sessions"]


def test_every_changelist_of_the_app_runs_a_fixed_number_of_queries(
    staff_client, staff_user, django_assert_max_num_queries
):
    _one_of_each(staff_user)
    counts = {}
    for model in _app_models():
        url = reverse(f"admin:training_sessions_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as one:
            assert staff_client.get(url).status_code == 200
        counts[model] = len(one)
    for n in range(3):  # more requests, trainers, sessions, rosters, marks and blocks
        _one_of_each(staff_user, people=3, days_ago=4 + n, block_day=21 + n)
    for model in _app_models():
        url = reverse(f"admin:training_sessions_{model._meta.model_name}_changelist")
        with django_assert_max_num_queries(counts[model]):
            assert staff_client.get(url).status_code == 200


def test_every_changelist_of_the_app_renders_for_programme_staff(staff_client, staff_user):
    request = _one_of_each(staff_user)
    assert Enrolment.objects.exists() and Attendance.objects.exists() and TrainingRequest.objects.exists()

    models = _app_models()
    assert len(models) >= 10
    for model in models:
        name = model._meta.model_name
        response = staff_client.get(reverse(f"admin:training_sessions_{name}_changelist"))
        assert response.status_code == 200, name
        obj = model.objects.first()
        if obj is not None:
            page = staff_client.get(reverse(f"admin:training_sessions_{name}_change", args=[obj.pk]))
            assert page.status_code == 200, name
    for name in ("trainer_calendar", "trainingrequest_proposal"):
        assert staff_client.get(reverse(f"admin:training_sessions_{name}")).status_code == 200
    assert (
        staff_client.get(reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk])).status_code
        == 302
    )


def test_the_request_page_links_to_scheduling_and_rejecting(staff_client, program):
    request = TrainingRequestFactory(preferred_dates=[{"from": "2026-12-01", "to": "2026-12-15"}])
    page = staff_client.get(reverse("admin:training_sessions_trainingrequest_change", args=[request.pk]))
    text = page.content.decode()
    assert reverse("admin:training_sessions_trainingrequest_schedule", args=[request.pk]) in text
    assert "01.12.2026 – 15.12.2026" in text
    assert "EIMZA-101" in text  # the items inline, read-only
    reject = reverse("admin:training_sessions_trainingrequest_reject", args=[request.pk])
    assert reject in text
    reason_page = staff_client.get(reject)  # asks for the reason, then posts to the list's action
    assert reason_page.status_code == 200
    assert reason_page.context["requests"] == [request]
    assert f'action="{reverse(CHANGELIST)}"' in reason_page.content.decode()


def test_a_trainer_cannot_read_another_trainers_unavailability_history(client, db):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from sessions.services import unavailability_create
    from tests.sessions.factories import TrainerFactory

    mine, theirs = TrainerFactory(), TrainerFactory()
    for trainer in (mine, theirs):
        trainer.user.groups.add(Group.objects.get(name="Trainers"))
    start = timezone.now() + timedelta(days=3)
    block = unavailability_create(
        trainer=theirs, starts_at=start, ends_at=start + timedelta(days=1), reason="Sağlık izni"
    )
    version = block.history.first()
    client.force_login(mine.user)
    for url in (
        reverse("admin:training_sessions_unavailability_history", args=[block.pk]),
        reverse("admin:training_sessions_unavailability_simple_history", args=[block.pk, version.history_id]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert "Sağlık izni" not in response.content.decode()
