from datetime import timedelta

import factory
from django.utils import timezone

from entitlements.models import Program, Unit
from sessions.models import (
    Course,
    Participant,
    RequestStatus,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Venue,
)
from tests.entitlements.factories import InstitutionFactory, UserFactory


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


def onsite_institution(users: int = 500, **kwargs):
    """An institution in band 1 (101-1,000 users: 8 on-site hours) of the 2012 program."""
    return standard_institution(users=users, **kwargs)


class TrainerFactory(factory.django.DjangoModelFactory):
    """A trainer (a staff user) based in Ankara."""

    class Meta:
        model = Trainer

    user = factory.SubFactory(UserFactory, is_staff=True, first_name="Eğitmen", last_name="Çağlar")
    home_province_id = 6


class TrainingRequestFactory(factory.django.DjangoModelFactory):
    """A submitted request of a band-1 institution for one 8-hour user course in Ankara.

    Built directly (no hours check): use ``training_request_create`` to test the rules."""

    class Meta:
        model = TrainingRequest
        skip_postgeneration_save = True  # the related item saves itself

    program = factory.LazyFunction(lambda: Program.objects.get(year=2012))
    institution = factory.LazyFunction(onsite_institution)
    province_id = 6
    expected_participants = 20
    status = RequestStatus.SUBMITTED
    item = factory.RelatedFactory("tests.sessions.factories.TrainingRequestItemFactory", factory_related_name="request")


class TrainingRequestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRequestItem

    request = factory.SubFactory(TrainingRequestFactory, item=None)
    course = factory.LazyFunction(lambda: Course.objects.get(code="EIMZA-101"))
    hours = 8
