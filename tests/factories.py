import factory
from django.utils import timezone

from accounts.models import User

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
