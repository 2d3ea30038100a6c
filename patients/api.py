import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import Cap, Role
from accounts.selectors import clinicians_visible_to, clinics_visible_to
from core.api.fields import BoundedDateField, OptionalEmailField, ScopedPrimaryKeyRelatedField, SuspectDatesField
from core.api.filters import BooleanFilter, IdFilter, SearchFilter
from core.api.viewsets import AuditedReadsMixin, ScopedViewSet
from core.bounds import Kind
from core.clock import local_today
from core.errors import InvalidInput
from patients import clinical, services
from patients.models import Alert, Patient, RedFlagStatus
from patients.selectors import alerts_visible_to, severity_rank


def _pts(user):
    return clinicians_visible_to(user, Role.PT)


def _coaches(user):
    return clinicians_visible_to(user, Role.COACH)


# A patient as `exercises.selectors.patient_list` reads one: its open plan, adherence and open alerts
# are annotations of that list.
class PatientSerializer(serializers.ModelSerializer):
    episode_type = serializers.SerializerMethodField()
    age = serializers.SerializerMethodField()
    age_risk_factor = serializers.SerializerMethodField()
    red_flag_categories = serializers.SerializerMethodField()
    active_care_plan = serializers.IntegerField(source="active_care_plan_id", read_only=True, allow_null=True)
    email = OptionalEmailField(read_only=True)
    open_alerts = serializers.IntegerField(source="open_alert_count", read_only=True)
    adherence = serializers.FloatField(read_only=True, allow_null=True,
                                       help_text="Adherence so far of the open care plan (clinical-reference §4).")
    suspect_dates = SuspectDatesField()

    class Meta:
        model = Patient
        fields = [
            "id", "clinic", "first_name", "last_name", "date_of_birth", "age", "age_risk_factor", "sex",
            "email", "phone", "timezone", "reminder_channel", "reminders_opted_out", "pain_region",
            "pain_onset_date", "episode_type", "symptoms", "red_flags", "red_flag_categories",
            "red_flag_status", "red_flag_screened_by", "red_flag_screened_at", "red_flag_reviewed_by",
            "red_flag_reviewed_at", "red_flag_review_note", "primary_pt", "coach", "active_care_plan", "adherence",
            "open_alerts", "created_at", "updated_at", "suspect_dates",
        ]
        read_only_fields = fields

    def _today(self, patient):
        return local_today(patient.timezone)

    def get_episode_type(self, patient) -> str | None:
        """Onset to the open plan's start, or to today when there is no open plan (clinical-reference §2)."""
        start = getattr(patient, "active_care_plan_start", None) or self._today(patient)
        return clinical.episode_type(patient.pain_onset_date, start)

    def get_age(self, patient) -> int:
        return clinical.age(patient.date_of_birth, self._today(patient))

    def get_age_risk_factor(self, patient) -> bool:
        return clinical.age_is_risk_factor(self.get_age(patient))

    def get_red_flag_categories(self, patient) -> list[str]:
        return clinical.red_flag_categories(patient.red_flags)


class PatientInputSerializer(serializers.ModelSerializer):
    date_of_birth = BoundedDateField(kind=Kind.PAST_DATE)
    pain_onset_date = BoundedDateField(kind=Kind.PAST_DATE)
    primary_pt = ScopedPrimaryKeyRelatedField(scope=_pts, required=False, allow_null=True)
    coach = ScopedPrimaryKeyRelatedField(scope=_coaches, required=False, allow_null=True)
    email = OptionalEmailField(max_length=254)
    clinic = ScopedPrimaryKeyRelatedField(
        scope=clinics_visible_to, required=False, help_text="Admins only; staff always create in their own clinic."
    )
    screened = serializers.BooleanField(
        required=False, source="red_flag_screened",
        help_text="The red-flag screen was completed (clinical-reference §2, v2). Absent or false: the patient is "
                  "`not_screened` and no plan can be activated until the screen is completed; true with no flag: "
                  "`none`. Any flag in `red_flags` is a positive screen, whatever this says. On an update, true "
                  "completes a not-screened patient's screen; false never undoes one.")

    class Meta:
        model = Patient
        fields = [
            "first_name", "last_name", "date_of_birth", "sex", "email", "phone", "timezone", "reminder_channel",
            "pain_region", "pain_onset_date", "symptoms", "red_flags", "screened", "primary_pt", "coach",
            "clinic",
        ]


class PatientFilter(django_filters.FilterSet):
    search = SearchFilter(fields=["first_name", "last_name", "email"])
    red_flag_status = django_filters.ChoiceFilter(choices=RedFlagStatus.choices)
    coach = IdFilter(field_name="coach_id")
    primary_pt = IdFilter(field_name="primary_pt_id")
    has_open_alerts = BooleanFilter(method="filter_open_alerts")
    adherence_below = django_filters.NumberFilter(field_name="adherence", lookup_expr="lt", min_value=0,
                                                  max_value=1, help_text="e.g. 0.5: patients below 50%.")

    class Meta:
        model = Patient
        fields = ["search", "red_flag_status", "coach", "primary_pt", "pain_region"]

    def filter_open_alerts(self, queryset, name, value):
        return queryset.filter(open_alert_count__gt=0) if value else queryset.filter(open_alert_count=0)


class RedFlagScreenSerializer(serializers.Serializer):
    red_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=clinical.RedFlag.choices), max_length=len(clinical.RedFlag),
        help_text="The flags found; an empty list completes the screen with no flag (status `none`).")


class RedFlagReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[RedFlagStatus.CLEARED, RedFlagStatus.REFERRED])
    note = serializers.CharField(max_length=5000)


class PatientViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Patients of the user's clinic (narrowed to their care team where the clinic says so). Served as
    outcomes.api.PatientViewSet, whose selector (`patient_list`) gives the annotations the serializer shows."""

    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    ordering_fields = ["last_name", "created_at", "id", "adherence"]
    audit_patient_id = "pk"
    audit_clinic_id = "clinic_id"
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.WRITE_PATIENT,
        "partial_update": Cap.WRITE_PATIENT,
        "review_red_flags": Cap.REVIEW_RED_FLAGS,
        "screen_red_flags": Cap.REVIEW_RED_FLAGS,
        "reminder_opt_out": Cap.SET_REMINDER_PREFERENCE,
        "reminder_opt_in": Cap.SET_REMINDER_PREFERENCE,
    }

    def _read(self, patient_id):
        return PatientSerializer(self.get_queryset().get(pk=patient_id)).data

    @extend_schema(request=PatientInputSerializer, responses={201: PatientSerializer})
    def create(self, request):
        data = self.validated(PatientInputSerializer)
        named = data.pop("clinic", None)  # staff always register in their own clinic
        clinic = named if request.user.is_superuser else request.user.clinic
        if clinic is None:
            raise InvalidInput({"clinic": ["This field is required."]})
        patient = services.patient_create(actor=request.user, clinic=clinic, **data)
        return Response(self._read(patient.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientInputSerializer, responses=PatientSerializer)
    def partial_update(self, request, pk=None):
        patient = self.get_object()
        serializer = PatientInputSerializer(patient, data=request.data, partial=True,
                                            context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "clinic"}
        services.patient_update(actor=request.user, patient_id=patient.pk, **changes)
        return Response(self._read(patient.pk))

    @extend_schema(request=RedFlagScreenSerializer, responses=PatientSerializer)
    @action(detail=True, methods=["post"], url_path="red-flags/screen")
    def screen_red_flags(self, request, pk=None):
        """Complete the red-flag screen of a patient registered without one (409 once screened)."""
        patient = self.get_object()
        services.patient_complete_red_flag_screen(actor=request.user, patient_id=patient.pk,
                                                  **self.validated(RedFlagScreenSerializer))
        return Response(self._read(patient.pk))

    @extend_schema(request=RedFlagReviewSerializer, responses=PatientSerializer)
    @action(detail=True, methods=["post"], url_path="red-flags/clear")
    def review_red_flags(self, request, pk=None):
        patient = self.get_object()
        services.patient_review_red_flags(actor=request.user, patient_id=patient.pk,
                                          **self.validated(RedFlagReviewSerializer))
        return Response(self._read(patient.pk))

    @extend_schema(request=None, responses=PatientSerializer)
    @action(detail=True, methods=["post"], url_path="reminder-opt-out")
    def reminder_opt_out(self, request, pk=None):
        services.patient_set_reminder_opt_out(patient=self.get_object(), opted_out=True)
        return Response(self._read(pk))

    @extend_schema(request=None, responses=PatientSerializer)
    @action(detail=True, methods=["post"], url_path="reminder-opt-in")
    def reminder_opt_in(self, request, pk=None):
        services.patient_set_reminder_opt_out(patient=self.get_object(), opted_out=False)
        return Response(self._read(pk))

class AlertSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "patient", "kind", "severity", "message", "source_id", "submitted_answers", "opened_at", "is_open",
            "acknowledged_by", "acknowledged_at", "acknowledgement_note",
        ]
        read_only_fields = fields


class AlertFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    kind = django_filters.ChoiceFilter(choices=Alert.Kind.choices)
    is_open = BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull")

    class Meta:
        model = Alert
        fields = ["patient", "kind", "is_open"]


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class AlertViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Red-flag and safety alerts; open ones first. Acknowledging needs a note."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["opened_at", "id"]
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "acknowledge": Cap.ACKNOWLEDGE_ALERT,
    }

    def selector(self, user):
        return alerts_visible_to(user).order_by("-acknowledged_at", severity_rank(), "-opened_at", "-id")

    @extend_schema(request=AcknowledgeSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = services.alert_acknowledge(actor=request.user, alert_id=self.get_object().pk,
                                           **self.validated(AcknowledgeSerializer))
        return Response(AlertSerializer(alert).data)
