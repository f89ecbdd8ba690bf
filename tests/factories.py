import factory
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User

DEFAULT_PASSWORD = "Un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = "Martin"
    is_active = True
    email_confirmed_at = factory.LazyFunction(timezone.now)
    terms_accepted_at = factory.LazyFunction(timezone.now)
    terms_version = "2026-12-01"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


def _luhn_complete(prefix: str) -> str:
    """Appends the digit that makes `prefix` + digit pass the Luhn check."""
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def siren_for(n: int) -> str:
    return _luhn_complete(f"{80000000 + n:08d}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Compagnie {n}")
    siren = factory.Sequence(siren_for)
    head_office_siret = factory.LazyAttribute(lambda o: _luhn_complete(o.siren + "0001"))
    street = "12 Rue de la Roquette"
    postal_code = "75011"
    city = "Paris"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
