import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).strip(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, is_active=True)
        fields.setdefault("email_confirmed_at", timezone.now())
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person using the platform, identified by e-mail (unique whatever its case).

    `is_active` stays False until the e-mail address is confirmed; admins may also
    deactivate an account, which keeps `email_confirmed_at`.
    """

    email = models.EmailField("adresse e-mail", max_length=254)
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    is_active = models.BooleanField("actif", default=False)
    is_staff = models.BooleanField("accès à l'administration", default=False)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    email_confirmed_at = models.DateTimeField("e-mail confirmé le", null=True, blank=True)
    terms_accepted_at = models.DateTimeField("conditions acceptées le", null=True, blank=True)
    terms_version = models.CharField("version des conditions acceptée", max_length=20, blank=True)
    inactivity_warned_at = models.DateTimeField(
        "prévenu de la suppression pour inactivité le", null=True, blank=True
    )
    # Changed to invalidate every link previously sent by e-mail (see accounts/tokens.py).
    security_stamp = models.CharField(max_length=32, default=new_security_stamp, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def rotate_security_stamp(self) -> None:
        self.security_stamp = new_security_stamp()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def status(self) -> str:
        if self.is_active:
            return "Actif"
        if self.email_confirmed_at is None:
            return "En attente de confirmation"
        return "Désactivé"


class UserSession(models.Model):
    """Links a server-side session to its user, so that sessions can be counted and ended."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "session"

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return Session.objects.filter(
            session_key=self.session_key, expire_date__gt=timezone.now()
        ).exists()
