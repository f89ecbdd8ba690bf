"""The declaration form: the show's fields, then one small form per performance.

Which fields exist depends on the organisms chosen (saved), so a field the page does not show
is never posted and never overwritten. Values a performance shares with the show are stored
blank, so that changing the show's venue, capacity or audience reaches every performance that
did not set its own (a server-side rule: it works without JavaScript).
"""

import re
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from accounts.identifiers import validate_siren
from config.forms import BaseForm
from declarations.choices import (
    VAT_RATES,
    AttachmentKind,
    Audience,
    Organism,
    PerformanceType,
    VenueType,
)
from declarations.models import ShowDetails
from declarations.rules import amount_pair_error, expenses_error
from ticketing.models import Performance


def _decimal(value: str) -> Decimal:
    """A posted rate; a forged value is a validation error, not a crash."""
    try:
        return Decimal(value)
    except ArithmeticError:
        raise ValueError(value) from None


def _rate_label(rate: Decimal) -> str:
    percent = (rate * 100).normalize()
    return f"{percent:f}".replace(".", ",") + " %"


VAT_CHOICES = [(str(rate), _rate_label(rate)) for rate in VAT_RATES]
SHOW_AMOUNTS = {
    "expenses": "Dépenses totales",
    "introduction_fees": "Frais d'approche",
    "circus_fees": "Frais spécifiques au cirque",
    "sale_price": "Prix de cession",
}
PERFORMANCE_AMOUNTS = {
    "revenue": "Billetterie",
    "bar": "Consommations",
    "catering": "Restauration",
    "programmes": "Vente de programmes",
    "other": "Autres recettes",
}
# A performance's ticketing figures: the user editing them marks it (the sync keeps them).
TICKETING_FIELDS = (
    "revenue_excl_vat",
    "revenue_incl_vat",
    "vat_rate",
    "paid_tickets",
    "free_tickets",
)
VENUE_FIELDS = ("venue_name", "venue_street", "venue_postal_code", "venue_city", "venue_type")


def show_fields(organisms: set[str]) -> list[str]:
    fields = ["organisms", "performance_type", *VENUE_FIELDS, "capacity", "audience", "vat_rate"]
    if organisms & {Organism.SACD, Organism.SIBIL}:
        fields += ["producer_siren", "producer_name"]
    if organisms & {Organism.SACEM, Organism.SACD}:
        fields += _pairs("expenses", "introduction_fees")
    if Organism.SACD in organisms:
        fields += _pairs("circus_fees")
    if organisms & {Organism.CNM, Organism.ASTP}:
        fields += _pairs("sale_price")
    return fields


def performance_fields(organisms: set[str]) -> list[str]:
    fields = [*_pairs("revenue"), "vat_rate", "paid_tickets", "free_tickets"]
    if Organism.SACEM in organisms:
        fields += _pairs("bar", "catering", "programmes", "other")
    return [*fields, *VENUE_FIELDS, "capacity", "audience"]


def _pairs(*names: str) -> list[str]:
    return [f"{name}_{part}" for name in names for part in ("excl_vat", "incl_vat")]


POSTAL_CODE = RegexValidator(r"^\d{5}$", "Un code postal compte 5 chiffres.")


def _rate_choice(field: forms.ChoiceField, rate: Decimal) -> str:
    """The choice of a stored rate; one outside the legal list (a provider's 8.5 % overseas)
    is offered too, so that saving the page does not change it."""
    value = str(rate.normalize())
    if value not in {key for key, _ in field.choices}:
        field.choices = [*field.choices, (value, _rate_label(rate))]
    return value


def _capacity_field(model_field, **kwargs) -> forms.IntegerField:
    field = model_field.formfield(min_value=1, **kwargs)
    field.error_messages["min_value"] = "La jauge compte au moins une place."
    return field


def show_details_form(organisms: set[str]) -> type["ShowDetailsForm"]:
    """The show form with the fields the chosen organisms need."""
    return forms.modelform_factory(
        ShowDetails,
        form=ShowDetailsForm,
        fields=show_fields(organisms),
        formfield_callback=_show_formfield,
    )


class _KnownPerformance(forms.ModelChoiceField):
    """The id of a performance the formset already loaded: found without a query (Django's
    field would make one per form, 500 for a long run)."""

    def __init__(self, known: dict, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.known[int(value)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class PerformanceFormSet(forms.BaseModelFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if not hasattr(self, "_known"):
            self._known = {performance.pk: performance for performance in self.get_queryset()}
        field = form.fields["id"]
        form.fields["id"] = _KnownPerformance(
            self._known,
            queryset=field.queryset,
            initial=field.initial,
            required=False,
            widget=field.widget,
        )


def performance_formset(organisms: set[str]) -> type[forms.BaseModelFormSet]:
    return forms.modelformset_factory(
        Performance,
        formset=PerformanceFormSet,
        form=PerformanceDeclarationForm,
        fields=performance_fields(organisms),
        formfield_callback=_performance_formfield,
        extra=0,
        can_delete=False,
    )


# Form fields are made here, when the form class is built: a field replaced in a form's
# __init__ would not be the one that validates (its bound field is already cached).


def _show_formfield(model_field, **kwargs) -> forms.Field | None:
    name = model_field.name
    if name.endswith(("_excl_vat", "_incl_vat")):
        label = SHOW_AMOUNTS[name.removesuffix("_excl_vat").removesuffix("_incl_vat")]
        return _amount_field(f"{label} {_tax_suffix(name)}")
    if name == "capacity":
        return _capacity_field(model_field, **kwargs)
    field = model_field.formfield(**kwargs)  # labels and help from ShowDetailsForm.Meta
    if name == "performance_type":
        field.choices = [("", "Choisissez une esthétique"), *PerformanceType.choices]
        field.required = False
    if name == "venue_type":
        field.choices = [("", "Choisissez un type de lieu"), *VenueType.choices]
    if name == "audience":
        field.choices = Audience.choices
    if name == "venue_postal_code":
        field.validators.append(POSTAL_CODE)
    if name == "producer_siren":
        field.validators.append(validate_siren)
    return field


def _performance_formfield(model_field, **kwargs) -> forms.Field | None:
    name = model_field.name
    if name.endswith(("_excl_vat", "_incl_vat")):
        base = name.removesuffix("_excl_vat").removesuffix("_incl_vat")
        field = _amount_field(f"{PERFORMANCE_AMOUNTS[base]} {_tax_suffix(name)}")
        field.show_hidden_initial = name in TICKETING_FIELDS
        return field
    if name == "venue_type":
        return forms.ChoiceField(
            label="Type de lieu",
            choices=[("", "Celui du spectacle"), *VenueType.choices],
            required=False,
        )
    if name == "audience":
        return forms.ChoiceField(
            label="Public", choices=[("", "Celui du spectacle"), *Audience.choices], required=False
        )
    if name == "capacity":
        return _capacity_field(model_field, **kwargs)
    field = model_field.formfield(**kwargs)
    if name in TICKETING_FIELDS:
        field.show_hidden_initial = True
    if name == "venue_postal_code":
        field.validators.append(POSTAL_CODE)
    return field


def _tax_suffix(name: str) -> str:
    return "HT" if name.endswith("_excl_vat") else "TTC"


class AmountField(forms.DecimalField):
    """Euros as people type them: "1 234,50", "1234.5", "1 234,50 €"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f€]", "", value).replace(",", ".")
        return super().to_python(value)


def _amount_field(label: str) -> forms.DecimalField:
    return AmountField(
        label=label,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": "Saisissez un montant en euros, par exemple 1234,50.",
            "max_decimal_places": "Deux chiffres après la virgule au plus.",
            "min_value": "Un montant ne peut pas être négatif.",
        },
    )


def _pair_errors(form: forms.Form, cleaned: dict, labels: dict[str, str]) -> None:
    for name in labels:
        excl, incl = f"{name}_excl_vat", f"{name}_incl_vat"
        if excl not in form.fields or form.has_error(excl) or form.has_error(incl):
            continue
        error = amount_pair_error(cleaned.get(excl), cleaned.get(incl))
        if error:
            form.add_error(incl, error)


class ShowDetailsForm(BaseForm, forms.ModelForm):
    organisms = forms.MultipleChoiceField(
        label="Organismes auprès desquels déclarer",
        choices=Organism.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    vat_rate = forms.TypedChoiceField(
        label="Taux de TVA de la billetterie",
        help_text="Celui des représentations dont la billetterie ne donne pas le taux.",
        choices=VAT_CHOICES,
        coerce=_decimal,
    )

    class Meta:
        model = ShowDetails
        fields = ["organisms", "vat_rate"]
        labels = {
            "venue_name": "Intitulé du lieu",
            "venue_street": "Adresse du lieu (numéro et voie)",
            "venue_postal_code": "Code postal du lieu",
            "venue_city": "Commune du lieu",
            "venue_type": "Type de lieu",
            "capacity": "Jauge",
            "producer_siren": "SIREN du producteur",
            "producer_name": "Raison sociale du producteur",
        }
        help_texts = {
            "capacity": "Nombre de places proposées à chaque représentation.",
            "producer_siren": "9 chiffres. Nous complétons la raison sociale si vous la laissez vide.",
            "venue_postal_code": "Il désigne la délégation SACEM ou SACD destinataire.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "vat_rate" in self.fields and self.instance.vat_rate is not None:
            self.initial["vat_rate"] = _rate_choice(self.fields["vat_rate"], self.instance.vat_rate)

    def clean_producer_name(self) -> str:
        return self.cleaned_data["producer_name"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        _pair_errors(self, cleaned, SHOW_AMOUNTS)
        amounts = [name for name in self.fields if name.endswith(("_excl_vat", "_incl_vat"))]
        if "expenses_excl_vat" in self.fields and not any(map(self.has_error, amounts)):
            parts = [
                (cleaned[f"{name}_excl_vat"], cleaned[f"{name}_incl_vat"])
                for name in ("introduction_fees", "circus_fees")
                if f"{name}_excl_vat" in cleaned
            ]
            error = expenses_error(
                (cleaned["expenses_excl_vat"], cleaned["expenses_incl_vat"]), *parts
            )
            if error:
                field = "expenses_excl_vat" if " HT " in error else "expenses_incl_vat"
                self.add_error(field, error)
        return cleaned


class PerformanceDeclarationForm(BaseForm, forms.ModelForm):
    """A performance's figures; venue, capacity and audience blank mean "as the show"."""

    # Each ticketing field posts the value the page showed: what a sync wrote meanwhile is not
    # taken for the user's change (nor overwritten) when they did not touch it.
    vat_rate = forms.TypedChoiceField(
        label="Taux de TVA",
        choices=[("", "Celui du spectacle"), *VAT_CHOICES],
        coerce=_decimal,
        required=False,
        empty_value=None,
        show_hidden_initial=True,
    )

    class Meta:
        model = Performance
        fields = ["vat_rate"]
        labels = {
            "paid_tickets": "Billets payants",
            "free_tickets": "Billets gratuits",
            "venue_name": "Intitulé du lieu",
            "venue_street": "Adresse (numéro et voie)",
            "venue_postal_code": "Code postal",
            "venue_city": "Commune",
            "venue_type": "Type de lieu",
            "capacity": "Jauge",
            "audience": "Public",
        }

    def __init__(self, *args, details: ShowDetails, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.details = details
        if self.instance.vat_rate is not None:
            self.initial["vat_rate"] = _rate_choice(self.fields["vat_rate"], self.instance.vat_rate)

    def clean(self) -> dict:
        cleaned = super().clean()
        _pair_errors(self, cleaned, PERFORMANCE_AMOUNTS)
        details = self.details
        # Stored blank when equal to the show's: the performance then follows the show.
        if cleaned.get("capacity") == details.capacity:
            cleaned["capacity"] = None
        if cleaned.get("audience") == details.audience:
            cleaned["audience"] = ""
        venue = [cleaned.get(name, "") for name in VENUE_FIELDS]
        same_as_show = venue[:4] == [getattr(details, name) for name in VENUE_FIELDS[:4]] and (
            venue[4] in ("", details.venue_type)
        )
        if not any(venue) or same_as_show:
            for name in VENUE_FIELDS:
                cleaned[name] = ""
        elif not all(venue[:4]):
            self.add_error(
                "venue_name",
                "Pour un lieu propre à cette représentation, indiquez son intitulé, son adresse, "
                "son code postal et sa commune, ou videz tous ces champs pour garder celui du "
                "spectacle.",
            )
        return cleaned

    @property
    def ticketing_changed(self) -> bool:
        return any(name in self.changed_data for name in TICKETING_FIELDS)


class AttachmentForm(BaseForm):
    file = forms.FileField(
        label="Fichier",
        help_text="PDF, image ou document bureautique, 5 Mo au plus.",
        error_messages={"required": "Choisissez un fichier.", "empty": "Le fichier est vide."},
    )
    kind = forms.ChoiceField(label="Type de document", choices=AttachmentKind.choices)


class ManualDeclarationForm(BaseForm):
    declared_on = forms.DateField(
        label="Date de la déclaration sur le portail",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(
        label="Référence donnée par l'organisme", max_length=100, required=False
    )

    def clean_declared_on(self):
        value = self.cleaned_data["declared_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return value


class SibilAccountForm(BaseForm):
    username = forms.CharField(label="Identifiant technique SIBIL", max_length=100)
    password = forms.CharField(
        label="Mot de passe technique SIBIL",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Il est chiffré et ne vous sera jamais réaffiché.",
    )
