import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from entitlements.models import (
    Institution,
    InstitutionKind,
    Official,
    Province,
    Unit,
    UnitLevel,
)
from kamusm_portal.roles import PROGRAMME_STAFF_GROUP


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.tr")
    first_name = "Ayşe"
    last_name = "Yılmaz"
    password = factory.django.Password("secret-pass-123")


class ProgrammeStaffFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def staff_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=PROGRAMME_STAFF_GROUP))


class InstitutionFactory(factory.django.DjangoModelFactory):
    """An institution with its central unit; ``merkez_users`` sets that unit's count."""

    class Meta:
        model = Institution
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Kurum {n} Genel Müdürlüğü")
    code = factory.Sequence(lambda n: f"{100000 + n}")
    kind = InstitutionKind.GENERAL_DIRECTORATE

    @factory.post_generation
    def merkez_users(self, create, extracted, **kwargs):
        if create:
            Unit.objects.create(institution=self, level=UnitLevel.MERKEZ, name="Merkez", active_users=extracted or 0)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    institution = factory.SubFactory(InstitutionFactory)
    level = UnitLevel.IL
    name = factory.Sequence(lambda n: f"Birim {n}")
    province = factory.LazyFunction(lambda: Province.objects.get(plate=6))
    active_users = 10


class OfficialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Official

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
