"""`{% field_group bound_field %}`: the DSFR markup of an input or a select, built in Python.

The declaration form of a long run has hundreds of performances of about twenty fields each;
Django's widget templates (one template per input, one per select option) took seconds to render
them. This builds the same markup — label, hint, "(Optionnel)", error linked by
aria-describedby — with plain string formatting, every value escaped. Only text, number and
select widgets are expected here; anything else falls back to Django's rendering.
"""

from html import escape

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def field_group(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    is_select = isinstance(widget, forms.Select)
    if not is_select and not isinstance(widget, forms.TextInput | forms.NumberInput):
        return field.as_field_group()
    group = "fr-select-group" if is_select else "fr-input-group"
    label_for = escape(field.id_for_label)
    described, hint, error = [], "", ""
    if field.help_text:
        hint = f' <span class="fr-hint-text" id="{label_for}_helptext">{escape(str(field.help_text))}</span>'
        described.append(f"{field.id_for_label}_helptext")
    errors = field.errors
    if errors:
        group += f" {group}--error"
        error_id = f"{field.auto_id}-desc-error"
        described.append(error_id)
        messages = "".join(f'<p class="fr-error-text">{escape(str(m))}</p>' for m in errors)
        error = f'<div id="{escape(error_id)}">{messages}</div>'
    optional = "" if field.field.required else " (Optionnel)"
    label = f'<label class="fr-label" for="{label_for}">{escape(str(field.label))}{optional}{hint}</label>'
    attrs = {
        "id": field.auto_id,
        "name": field.html_name,
        **widget.attrs,
        "required": field.field.required and field.form.use_required_attribute,
        "disabled": field.field.disabled,
        "aria-invalid": "true" if errors else None,
    }
    if described:
        attrs["aria-describedby"] = " ".join(described)
    value = field.value()
    if is_select:
        attrs["class"] = "fr-select" + (" fr-select--error" if errors else "")
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) == selected else ""}>'
            f"{escape(str(text))}</option>"
            for key, text in field.field.choices
        )
        control = f"<select{_attributes(attrs)}>{options}</select>"
    else:
        attrs["class"] = "fr-input" + (" fr-input--error" if errors else "")
        attrs["type"] = widget.input_type
        if value is not None and value != "":
            attrs["value"] = widget.format_value(value)
        control = f"<input{_attributes(attrs)}>"
    if field.field.show_hidden_initial:  # what the page showed, to tell the user's changes
        initial = field.initial
        if initial is None:
            shown = ""
        elif is_select:
            shown = str(initial)
        else:
            shown = widget.format_value(initial)
        control += (
            f'<input type="hidden" name="{escape(field.html_initial_name)}" '
            f'id="{escape(field.html_initial_id)}" value="{escape(str(shown or ""))}">'
        )
    return mark_safe(f'<div class="{group}">{label}{control}{error}</div>')  # noqa: S308 - escaped above


def _attributes(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {escape(name)}")
        elif value not in (False, None):
            parts.append(f' {escape(name)}="{escape(str(value))}"')
    return "".join(parts)
