from datetime import timedelta

import factory
from django.utils import timezone

from entitlements.models import Program, Unit
from sessions.models import Course, Participant, SessionStatus, TrainingSession, Venue
from tests.entitlements.factories import InstitutionFactory


def standard_institution(users: int = 50, **kwargs):
    """An institution in the Standard (classroom) band of the 2012 program, entitlement computed."""
    from entitlements.services import entitlement_recompute

    institution = InstitutionFactory(merkez_users=users, **kwargs)
    entitlement_recompute(institutions=type(institution).objects.filter(pk=institution.pk))
    return institution


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    institution = factory.LazyFunction(standard_institution)
    unit = factory.LazyAttribute(lambda o: Unit.objects.get(institution=o.institution, level="merkez"))
    first_name = factory.Sequence(lambda n: f"Işıl{n}")
    last_name = "Güneş"
    email = factory.Sequence(lambda n: f"katilimci{n}@kurum.gov.tr")


class SessionFactory(factory.django.DjangoModelFactory):
    """An announced classroom session a month ahead, at the Ankara venue, 24 seats."""

    class Meta:
        model = TrainingSession

    program = factory.LazyFunction(lambda: Program.objects.get(year=2012))
    course = factory.LazyFunction(lambda: Course.objects.get(code="EIMZA-101"))
    venue = factory.LazyFunction(lambda: Venue.objects.get(province_id=6))
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    capacity = 24
    status = SessionStatus.ANNOUNCED
    announced_at = factory.LazyFunction(timezone.now)
