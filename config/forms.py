from django import forms
from dsfr.forms import DsfrBaseForm


class BaseForm(DsfrBaseForm):
    """Project base form: DSFR rendering, optional fields marked, focus on the first error."""

    def get_context(self) -> dict:
        # DsfrBaseForm.get_context warns on every render about a transitional setting.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self._errors:
            self.set_autofocus_on_first_error()

    def set_autofocus_on_first_error(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["autofocus"] = ""
                break
