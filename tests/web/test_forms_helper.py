"""apply_form: the one way a page hands a form to a service and shows a refusal on the form."""

from django import forms

from core.errors import Conflict, InvalidInput
from web.views.common import apply_form


class NoteForm(forms.Form):
    note = forms.CharField(max_length=10)


def refuse(error):
    def action(data):
        raise error
    return action


def test_the_service_gets_the_cleaned_data_and_its_answer_is_returned():
    assert apply_form(NoteForm({"note": " hi "}), lambda data: data["note"].upper()) == (True, "HI")


def test_an_invalid_form_never_reaches_the_service():
    calls = []
    form = NoteForm({"note": "x" * 11})
    assert apply_form(form, calls.append) == (False, None)
    assert calls == [] and form.errors["note"]


def test_a_refusal_on_a_field_lands_on_that_field():
    form = NoteForm({"note": "hi"})
    assert apply_form(form, refuse(InvalidInput({"note": ["Too cheerful."]}))) == (False, None)
    assert form.errors["note"] == ["Too cheerful."]


def test_any_other_refusal_is_shown_on_the_form():
    form = NoteForm({"note": "hi"})
    assert apply_form(form, refuse(Conflict("Someone else changed it."))) == (False, None)
    assert form.non_field_errors() == ["Someone else changed it."]
