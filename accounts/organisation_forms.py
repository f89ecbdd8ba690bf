from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import SignupForm, email_field
from accounts.identifiers import (
    digits_only,
    validate_siren,
    validate_siret,
    validate_siret_matches_siren,
)
from accounts.models import Organisation, Role, User
from accounts.models.organisations import organisation_id_validator, postal_code_validator
from config.forms import BaseForm

IDENTIFIER_HELP = "De 1 à 10 chiffres, sans espace."
IDENTIFIER_ERROR = organisation_id_validator.message


class CompanySearchForm(BaseForm):
    q = forms.CharField(
        label="Nom, SIREN ou SIRET de votre organisation",
        help_text="Par exemple : Théâtre de la Ville, 123 456 789 ou 123 456 789 00012.",
        min_length=3,
        max_length=100,
        error_messages={
            "required": "Saisissez le nom, le SIREN ou le SIRET de votre organisation.",
            "min_length": "Saisissez au moins 3 caractères.",
        },
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "organization"}),
    )


class AddressFieldsMixin(forms.Form):
    street = forms.CharField(
        label="Adresse du siège (numéro et voie)",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label="Code postal",
        help_text="5 chiffres.",
        max_length=5,
        validators=[postal_code_validator],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(
        label="Commune",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )


class OrganisationCreateForm(AddressFieldsMixin, BaseForm):
    name = forms.CharField(
        label="Nom de l'organisation",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    siren = forms.CharField(
        label="SIREN",
        help_text="9 chiffres, par exemple 123 456 789.",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    siret = forms.CharField(
        label="SIRET du siège",
        help_text="14 chiffres, qui commencent par le SIREN.",
        max_length=25,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    field_order = ["name", "siren", "siret", "street", "postal_code", "city"]

    def clean_siren(self) -> str:
        value = digits_only(self.cleaned_data["siren"])
        validate_siren(value)
        return value

    def clean_siret(self) -> str:
        value = digits_only(self.cleaned_data["siret"])
        validate_siret(value)
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        siren, siret = cleaned.get("siren"), cleaned.get("siret")
        if siren and siret:
            try:
                validate_siret_matches_siren(siret, siren)
            except ValidationError as error:
                self.add_error("siret", error)
        return cleaned


class OrganisationSettingsForm(BaseForm, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "street", "postal_code", "city", "sacem_id", "sacd_id"]
        labels = {
            "name": "Nom de l'organisation",
            "street": "Adresse du siège (numéro et voie)",
            "postal_code": "Code postal",
            "city": "Commune",
            "sacem_id": "Identifiant client SACEM",
            "sacd_id": "Identifiant déclarant SACD",
        }
        help_texts = {
            "postal_code": "5 chiffres.",
            "sacem_id": IDENTIFIER_HELP + " Il figure sur vos courriers et factures de la SACEM.",
            "sacd_id": IDENTIFIER_HELP + " Il vous est communiqué par la SACD.",
        }
        error_messages = {
            "sacem_id": {"max_length": IDENTIFIER_ERROR},
            "sacd_id": {"max_length": IDENTIFIER_ERROR},
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "sacem_id": forms.TextInput(attrs={"inputmode": "numeric"}),
            "sacd_id": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, read_only: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.disabled = read_only

    def clean_sacem_id(self) -> str:
        return self.cleaned_data["sacem_id"].strip()

    def clean_sacd_id(self) -> str:
        return self.cleaned_data["sacd_id"].strip()


class InvitationForm(BaseForm):
    email = email_field()
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        initial=Role.MEMBER,
        widget=forms.RadioSelect,
        help_text=(
            "Les membres voient tout et préparent les déclarations ; les propriétaires gèrent "
            "aussi l'équipe, les paramètres et les billetteries."
        ),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).strip()


class RoleForm(BaseForm):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class InvitationSignupForm(SignupForm):
    """Sign-up through an invitation link: the address is the invited one, already proven."""

    def __init__(self, email: str, *args, **kwargs) -> None:
        self.invited_email = email
        super().__init__(*args, **kwargs)
        del self.fields["email"]

    def clean_password2(self) -> str:
        self.cleaned_data["email"] = self.invited_email  # for the password similarity check
        return super().clean_password2()
