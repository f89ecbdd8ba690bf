from django import forms

from config.forms import BaseForm
from ticketing.connectors.base import Credentials, PermanentError
from ticketing.connectors.supersoniks import validate_domain
from ticketing.providers import PROVIDERS


class ProviderChoiceForm(BaseForm):
    provider = forms.ChoiceField(
        label="Votre logiciel de billetterie",
        choices=[(key, info.name) for key, info in PROVIDERS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez votre logiciel de billetterie."},
    )


class CredentialsForm(BaseForm):
    """The provider's own labels; the secret is never rendered back (PasswordInput)."""

    access_key = forms.CharField(max_length=200)
    secret_key = forms.CharField(
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, provider: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        info = PROVIDERS[provider]
        self.provider = provider
        if info.access_label:
            self.fields["access_key"].label = info.access_label
            self.fields["access_key"].widget.attrs["autocomplete"] = "off"
        else:
            del self.fields["access_key"]
        self.fields["secret_key"].label = info.secret_label

    def clean_access_key(self) -> str:
        value = self.cleaned_data["access_key"].strip()
        if self.provider in ("supersoniks", "soticket"):
            try:
                return validate_domain(value)
            except PermanentError as error:
                raise forms.ValidationError(error.message) from error
        return value

    def credentials(self) -> Credentials:
        return Credentials(
            access_key=self.cleaned_data.get("access_key", ""),
            secret_key=self.cleaned_data["secret_key"],
        )


class ManualShowForm(BaseForm):
    name = forms.CharField(label="Nom du spectacle", max_length=300)


class PerformanceForm(BaseForm):
    performance_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(
        label="Début",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Saisissez une date et une heure valides."},
    )
    ends_at = forms.DateTimeField(
        label="Fin",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Saisissez une date et une heure valides."},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if ends_at and not starts_at:
            self.add_error("starts_at", "Indiquez le début de la représentation.")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", "La fin doit être après le début.")
        return cleaned


class BasePerformanceFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("starts_at") for form in self.forms):
            raise forms.ValidationError("Ajoutez au moins une représentation (sa date de début).")


PerformanceFormSet = forms.formset_factory(
    PerformanceForm, formset=BasePerformanceFormSet, extra=3, max_num=100, absolute_max=100
)
