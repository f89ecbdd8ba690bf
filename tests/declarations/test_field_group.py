"""The Python-built field markup: escaped, labelled, errors linked, like Django's."""

from django import forms

from declarations.templatetags.declaration_fields import field_group


class Sample(forms.Form):
    name = forms.CharField(label='Lieu "A" <b>', help_text="Aide & conseil")
    kind = forms.ChoiceField(
        label="Type", choices=[("", "Aucun"), ("a", "Choix <A>")], required=False
    )
    count = forms.IntegerField(label="Jauge", widget=forms.NumberInput(attrs={"min": 1}))


def test_values_and_labels_are_escaped_and_the_selected_option_kept():
    form = Sample({"name": '"><script>x</script>', "kind": "a", "count": "3"})
    html = field_group(form["name"])
    assert "<script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert "Lieu &quot;A&quot; &lt;b&gt;" in html
    assert 'aria-describedby="id_name_helptext"' in html
    select = field_group(form["kind"])
    assert '<option value="a" selected>Choix &lt;A&gt;</option>' in select
    assert "Type (Optionnel)" in select
    assert 'type="number"' in field_group(form["count"]) and 'min="1"' in field_group(form["count"])


def test_an_error_is_shown_and_linked_to_its_input():
    form = Sample({"name": "", "count": "x"})
    form.is_valid()
    html = field_group(form["count"])
    assert "fr-input-group--error" in html
    assert 'aria-describedby="id_count-desc-error"' in html
    assert '<div id="id_count-desc-error"><p class="fr-error-text">' in html
