from operator import attrgetter

from rest_framework import viewsets
from rest_framework.permissions import SAFE_METHODS

from core.api.filters import IncludeSupersededFilter
from core.audit import record_reads


class ScopedViewSet(viewsets.GenericViewSet):
    """Base of every MoveRx viewset.

    - `get_queryset` comes from the resource's selector, scoped to the requesting user, so there
      is no unscoped path (DESIGN.md, Access control); outsiders get 404.
    - `action_permissions` maps each action to the capability it needs (accounts.roles); an
      action missing from the map is denied.
    - Ids in paths are digits only: anything else is a 404 from the router, never a 500.
    """

    lookup_value_regex = r"[0-9]{1,18}"
    action_permissions: dict = {}

    def selector(self, user):
        raise NotImplementedError

    def get_queryset(self):
        return self.selector(self.request.user)

    def validated(self, serializer_class, data=None, **context):
        """Validate a request body with an input serializer; 400 with field errors otherwise."""
        serializer = serializer_class(data=self.request.data if data is None else data,
                                      context={**self.get_serializer_context(), **context})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class CorrectableListMixin:
    """Lists of correctable facts (sessions, assessments) hide the corrected rows unless the client
    asks for them with `include_superseded`; a corrected row stays reachable by its id."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and not IncludeSupersededFilter.wanted(self.request.query_params):
            queryset = queryset.filter(superseded_at__isnull=True)
        return queryset


class AuditedReadsMixin:
    """Records every API read of patient data (DESIGN.md, Audit): one audit row per object shown,
    written in one statement per response."""

    audit_patient_id = "patient_id"
    audit_clinic_id = "patient.clinic_id"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._record(self._shown)
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._shown = list(queryset) if page is None else page
        return page

    def finalize_response(self, request, response, *args, **kwargs):
        """A read of one object, `retrieve` or a detail action (history, adherence, ...), is
        recorded once it has succeeded."""
        if request.method in SAFE_METHODS and self.action != "list" and response.status_code == 200 \
                and hasattr(self, "_object"):
            self._record([self._object])
        return super().finalize_response(request, response, *args, **kwargs)

    def get_object(self):
        self._object = super().get_object()
        return self._object

    def _record(self, objects):
        table = self.get_queryset().model._meta.db_table
        patient_of, clinic_of = attrgetter(self.audit_patient_id), attrgetter(self.audit_clinic_id)
        record_reads(
            user=self.request.user,
            rows=[(table, obj.pk, patient_of(obj), clinic_of(obj)) for obj in objects],
        )

