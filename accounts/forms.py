from django import forms
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.functional import lazy

from accounts.models import User
from accounts.passwords import password_policy
from config.forms import BaseForm

PASSWORD_HELP = lazy(password_policy, str)()


def password_field(label: str, *, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def email_field() -> forms.EmailField:
    return forms.EmailField(
        label="Adresse e-mail",
        help_text="Format attendu : nom@domaine.fr",
        error_messages={
            "invalid": "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr."
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class NewPasswordMixin(forms.Form):
    """Two new-password fields, checked against the password policy for `password_user`."""

    new_password1 = password_field(
        "Nouveau mot de passe", autocomplete="new-password", help_text=PASSWORD_HELP
    )
    new_password2 = password_field(
        "Confirmation du nouveau mot de passe", autocomplete="new-password"
    )

    def password_user(self) -> User:
        raise NotImplementedError

    def clean_new_password2(self) -> str:
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise ValidationError("Les deux mots de passe ne sont pas identiques.")
        if first:
            password_validation.validate_password(first, self.password_user())
        return second


class SignupForm(BaseForm):
    email = email_field()
    first_name = forms.CharField(
        label="Prénom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = password_field("Mot de passe", autocomplete="new-password", help_text=PASSWORD_HELP)
    password2 = password_field("Confirmation du mot de passe", autocomplete="new-password")
    accept_terms = forms.BooleanField(
        label="J'ai lu et j'accepte les modalités d'utilisation du service",
        error_messages={"required": "Vous devez accepter les modalités d'utilisation."},
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).strip()

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError("Les deux mots de passe ne sont pas identiques.")
        if first:
            candidate = User(
                email=self.cleaned_data.get("email", ""),
                first_name=self.cleaned_data.get("first_name", ""),
                last_name=self.cleaned_data.get("last_name", ""),
            )
            password_validation.validate_password(first, candidate)
        return second


class EmailForm(BaseForm):
    email = email_field()


class LoginForm(BaseForm):
    # Named "username" so that django-axes finds the identifier it throttles on.
    username = email_field()
    password = password_field("Mot de passe", autocomplete="current-password")

    INVALID = "Adresse e-mail ou mot de passe incorrect."
    UNCONFIRMED = (
        "Votre adresse e-mail n'est pas encore confirmée : cliquez sur le lien de l'e-mail "
        "que nous vous avons envoyé, ou demandez un nouvel e-mail de confirmation."
    )

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        self.request = request
        self.user: User | None = None
        self.unconfirmed = False
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        email, password = cleaned.get("username"), cleaned.get("password")
        if not (email and password):
            return cleaned
        self.user = authenticate(self.request, username=email, password=password)
        if self.user is None:
            if getattr(self.request, "unconfirmed_login", False):
                self.unconfirmed = True
                raise ValidationError(self.UNCONFIRMED)
            raise ValidationError(self.INVALID)
        return cleaned


class ConfirmationForm(BaseForm):
    password = password_field(
        "Mot de passe choisi à l'inscription",
        autocomplete="current-password",
        help_text="Par sécurité, l'activation du compte demande son mot de passe.",
    )


class SetPasswordForm(NewPasswordMixin, BaseForm):
    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self) -> User:
        return self.user


class PasswordChangeForm(SetPasswordForm):
    old_password = password_field("Mot de passe actuel", autocomplete="current-password")
    field_order = ["old_password", "new_password1", "new_password2"]

    def clean_old_password(self) -> str:
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise ValidationError("Le mot de passe actuel est incorrect.")
        return old


class ProfileForm(BaseForm, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }
        labels = {"first_name": "Prénom", "last_name": "Nom"}


class AccountDeleteForm(BaseForm):
    password = password_field("Mot de passe actuel", autocomplete="current-password")
    confirm = forms.BooleanField(
        label="Je comprends que la suppression de mon compte est définitive",
        error_messages={"required": "Cochez cette case pour confirmer la suppression."},
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("Le mot de passe est incorrect.")
        return password
