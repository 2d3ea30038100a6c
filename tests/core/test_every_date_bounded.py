"""The class fix of issue 10 §2: no date or datetime field reaches the services unbounded. Every
serializer of every app's api.py (nested ones too), every filter (declared or from
`filterset_fields`) and every form of web/forms.py is walked; a new field that forgets its
`Bounded` validator fails here."""

import importlib
import importlib.util
import inspect

import django_filters
import pytest
from django import forms as django_forms
from django.apps import apps
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers

from config.urls import router
from core.api.fields import BoundedDateField
from core.bounds import Bounded, Kind
from web import forms as web_forms

DATE_SERIALIZER_FIELDS = (serializers.DateField, serializers.DateTimeField)
DATE_FORM_FIELDS = (django_forms.DateField, django_forms.DateTimeField)


def is_bounded(validators) -> bool:
    """True when one of `validators` is a `Bounded`."""
    return any(isinstance(validator, Bounded) for validator in validators)


def _project_modules(name):
    for app in apps.get_app_configs():
        if not app.path.startswith(str(apps.get_app_config("core").path).rsplit("/", 1)[0]):
            continue  # third-party apps
        if importlib.util.find_spec(f"{app.name}.{name}") is not None:
            yield importlib.import_module(f"{app.name}.{name}")


def _classes(base, modules):
    return sorted({cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
                   if issubclass(cls, base) and cls.__module__ == module.__name__}, key=lambda c: c.__qualname__)


def _unbounded_serializer_fields(serializer, path=""):
    for name, field in serializer.fields.items():
        where = f"{path}{name}"
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _unbounded_serializer_fields(field, f"{where}.")
        elif isinstance(field, DATE_SERIALIZER_FIELDS) and not field.read_only and not is_bounded(field.validators):
            yield where


def _unbounded_form_fields(form_fields):
    return [name for name, field in form_fields.items()
            if isinstance(field, DATE_FORM_FIELDS) and not field.disabled and not is_bounded(field.validators)]


def _filtersets():
    declared = _classes(django_filters.FilterSet, _project_modules("api"))
    generated = []
    for _, viewset, _ in router.registry:
        if getattr(viewset, "filterset_fields", None):
            model = viewset.serializer_class.Meta.model
            generated.append(DjangoFilterBackend().get_filterset_class(viewset(), model.objects.none()))
    return declared + generated


SERIALIZERS = _classes(serializers.Serializer, _project_modules("api"))
FORMS = _classes(django_forms.BaseForm, [web_forms])


def test_the_walk_finds_the_serializers_and_forms():
    names = {cls.__name__ for cls in SERIALIZERS + FORMS}
    assert {"AssessmentBodySerializer", "CarePlanCreateSerializer", "AtSerializer", "ReportRequestSerializer",
            "MeasureForm", "IntakeForm", "CarePlanEditForm"} <= names


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_serializer_date_is_bounded(serializer_class):
    assert list(_unbounded_serializer_fields(serializer_class())) == []


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: cls.__qualname__)
def test_every_form_date_is_bounded(form_class):
    assert _unbounded_form_fields(form_class.base_fields) == []


@pytest.mark.parametrize("filterset_class", _filtersets(), ids=lambda cls: cls.__qualname__)
def test_every_filter_date_is_bounded(filterset_class):
    assert _unbounded_form_fields({name: f.field for name, f in filterset_class.base_filters.items()}) == []


def test_the_walk_catches_a_forgotten_field():
    class Forgetful(serializers.Serializer):
        fine = BoundedDateField(kind=Kind.PLAN_DATE)
        nested = serializers.ListField(child=serializers.DateTimeField())

    class ForgetfulForm(django_forms.Form):
        day = django_forms.DateField()

    class ForgetfulFilter(django_filters.FilterSet):
        since = django_filters.DateFilter()

    assert list(_unbounded_serializer_fields(Forgetful())) == ["nested"]
    assert _unbounded_form_fields(ForgetfulForm.base_fields) == ["day"]
    assert _unbounded_form_fields({n: f.field for n, f in ForgetfulFilter.base_filters.items()}) == ["since"]
