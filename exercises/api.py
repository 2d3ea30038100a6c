import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import Cap, recorded_source
from careplans.api import CarePlanViewSet as PlanOnlyViewSet
from careplans.selectors import care_plans_visible_to
from core.api.concurrency import VersionedMixin, expected_version
from core.api.fields import BoundedDateField, BoundedDateTimeField, ScopedPrimaryKeyRelatedField, SuspectDatesField
from core.api.filters import BooleanFilter, IdFilter, IncludeSupersededFilter, SearchFilter
from core.api.pagination import NewestFirstCursorPagination
from core.api.viewsets import AuditedReadsMixin, CorrectableListMixin, ScopedViewSet
from core.bounds import Kind
from core.errors import InvalidInput
from exercises import services
from exercises.models import (
    EXERCISE_EQUIPMENT,
    BodyRegion,
    Category,
    ChangeReason,
    Exercise,
    ExerciseSession,
    Prescription,
    PrescriptionVersion,
    ProgramTemplate,
    TemplateItem,
)
from exercises.selectors import (
    care_plans_with_adherence,
    exercises_visible_to,
    plans_adherence,
    prescription_history,
    prescriptions_as_of,
    prescriptions_visible_to,
    sessions_visible_to,
    templates_visible_to,
    weekly_adherence,
)
from patients.selectors import patients_visible_to

MODIFY_REASONS = [reason for reason in ChangeReason.choices if reason[0] != ChangeReason.PRESCRIBED]


# --- Exercise library ---------------------------------------------------------------------------


class ExerciseSerializer(serializers.ModelSerializer):
    is_custom = serializers.SerializerMethodField()

    class Meta:
        model = Exercise
        fields = ["id", "slug", "name", "category", "body_regions", "equipment", "difficulty", "instructions",
                  "default_sets", "default_reps", "default_hold_seconds", "progression", "regression", "clinic",
                  "is_custom"]
        read_only_fields = fields

    def get_is_custom(self, exercise) -> bool:
        return exercise.clinic_id is not None


class ExerciseInputSerializer(serializers.ModelSerializer):
    progression = ScopedPrimaryKeyRelatedField(scope=exercises_visible_to, required=False, allow_null=True)
    regression = ScopedPrimaryKeyRelatedField(scope=exercises_visible_to, required=False, allow_null=True)
    body_regions = serializers.ListField(child=serializers.ChoiceField(choices=BodyRegion.choices),
                                         min_length=1, max_length=len(BodyRegion.choices))
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=EXERCISE_EQUIPMENT),
                                      min_length=1, max_length=len(EXERCISE_EQUIPMENT))

    class Meta:
        model = Exercise
        fields = ["name", "category", "body_regions", "equipment", "difficulty", "instructions", "default_sets",
                  "default_reps", "default_hold_seconds", "progression", "regression"]

    def validate(self, data):
        reps = data.get("default_reps", getattr(self.instance, "default_reps", None))
        hold = data.get("default_hold_seconds", getattr(self.instance, "default_hold_seconds", None))
        if reps is None and hold is None:
            raise serializers.ValidationError({"default_reps": ["Give default repetitions or a hold time."]})
        return data


class ExerciseFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    body_region = django_filters.ChoiceFilter(choices=BodyRegion.choices, method="filter_contains")
    equipment = django_filters.ChoiceFilter(choices=EXERCISE_EQUIPMENT, method="filter_contains")
    difficulty = django_filters.NumberFilter(field_name="difficulty", min_value=1, max_value=5)
    search = SearchFilter(fields=["name", "instructions"])
    custom = BooleanFilter(field_name="clinic", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Exercise
        fields = ["category", "body_region", "equipment", "difficulty", "search", "custom"]

    def filter_contains(self, queryset, name, value):
        field = "body_regions" if name == "body_region" else "equipment"
        return queryset.filter(**{f"{field}__contains": [value]})


class ExerciseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The shared exercise library plus the clinic's own exercises. PTs add and edit custom ones."""

    serializer_class = ExerciseSerializer
    filterset_class = ExerciseFilter
    ordering_fields = ["name", "difficulty", "category"]
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.PRESCRIBE,
        "partial_update": Cap.PRESCRIBE,
    }

    def selector(self, user):
        return exercises_visible_to(user)

    @extend_schema(request=ExerciseInputSerializer, responses={201: ExerciseSerializer})
    def create(self, request):
        if request.user.clinic is None:
            raise InvalidInput({"non_field_errors": ["Custom exercises belong to a clinic; admins use the admin."]})
        exercise = services.exercise_create(actor=request.user, clinic=request.user.clinic,
                                            **self.validated(ExerciseInputSerializer))
        return Response(ExerciseSerializer(exercise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExerciseInputSerializer, responses=ExerciseSerializer)
    def partial_update(self, request, pk=None):
        exercise = self.get_object()
        serializer = ExerciseInputSerializer(exercise, data=request.data, partial=True,
                                             context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        exercise = services.exercise_update(exercise=exercise, **serializer.validated_data)
        return Response(ExerciseSerializer(exercise).data)


# --- Prescriptions ------------------------------------------------------------------------------


class DosageSerializerMixin(serializers.Serializer):
    sets = serializers.IntegerField(min_value=1, max_value=10, required=False)
    reps = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    hold_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False, allow_null=True)
    times_per_week = serializers.IntegerField(min_value=1, max_value=14, required=False)
    side = serializers.ChoiceField(choices=Prescription._meta.get_field("side").choices, required=False)
    load = serializers.CharField(max_length=100, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class PrescriptionSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="care_plan.patient_id", read_only=True)
    suspect_dates = SuspectDatesField()

    class Meta:
        model = Prescription
        fields = ["id", "care_plan", "patient", "exercise", "sets", "reps", "hold_seconds", "times_per_week",
                  "side", "load", "notes", "start_date", "status", "version", "created_by", "created_at",
                  "updated_at", "suspect_dates"]
        read_only_fields = fields


class PrescriptionCreateSerializer(DosageSerializerMixin):
    care_plan = ScopedPrimaryKeyRelatedField(scope=care_plans_visible_to)
    exercise = ScopedPrimaryKeyRelatedField(scope=exercises_visible_to)
    start_date = BoundedDateField(kind=Kind.PLAN_DATE, required=False)


class PrescriptionModifySerializer(DosageSerializerMixin):
    exercise = ScopedPrimaryKeyRelatedField(scope=exercises_visible_to, required=False)
    reason = serializers.ChoiceField(choices=MODIFY_REASONS)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DiscontinueSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=MODIFY_REASONS)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class HistoryEntrySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    changed_by = serializers.IntegerField()
    changed_at = serializers.DateTimeField(read_only=True)
    valid_from = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField()
    note = serializers.CharField()
    changes = serializers.DictField(child=serializers.ListField(allow_null=True))


class PrescriptionFilter(django_filters.FilterSet):
    care_plan = IdFilter(field_name="care_plan_id")
    patient = IdFilter(field_name="care_plan__patient_id")
    status = django_filters.ChoiceFilter(choices=Prescription.Status.choices)

    class Meta:
        model = Prescription
        fields = ["care_plan", "patient", "status"]


class PrescriptionViewSet(VersionedMixin, AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          ScopedViewSet):
    """Prescribed exercises. PTs prescribe and change them (If-Match, with a reason); every change
    is kept in `history/`."""

    serializer_class = PrescriptionSerializer
    filterset_class = PrescriptionFilter
    ordering_fields = ["id", "start_date"]
    audit_patient_id = "care_plan.patient_id"
    audit_clinic_id = "care_plan.patient.clinic_id"
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "history": Cap.READ_CLINICAL,
        "create": Cap.PRESCRIBE,
        "partial_update": Cap.PRESCRIBE,
        "discontinue": Cap.PRESCRIBE,
    }

    def selector(self, user):
        return prescriptions_visible_to(user).select_related("care_plan__patient")


    @extend_schema(request=PrescriptionCreateSerializer, responses={201: PrescriptionSerializer})
    def create(self, request):
        prescription = services.prescription_create(actor=request.user,
                                                    **self.validated(PrescriptionCreateSerializer))
        return self.respond(prescription.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PrescriptionModifySerializer, responses=PrescriptionSerializer)
    def partial_update(self, request, pk=None):
        prescription = self.get_object()
        version = expected_version(request)
        data = self.validated(PrescriptionModifySerializer)
        services.prescription_modify(actor=request.user, prescription_id=prescription.pk, expected_version=version,
                                     **data)
        return self.respond(prescription.pk)

    @extend_schema(request=DiscontinueSerializer, responses=PrescriptionSerializer)
    @action(detail=True, methods=["post"])
    def discontinue(self, request, pk=None):
        prescription = self.get_object()
        version = expected_version(request) if "If-Match" in request.headers else None
        services.prescription_discontinue(actor=request.user, prescription_id=prescription.pk,
                                          expected_version=version, **self.validated(DiscontinueSerializer))
        return self.respond(prescription.pk)

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        return Response(HistoryEntrySerializer(prescription_history(self.get_object()), many=True).data)


# --- Programme templates ------------------------------------------------------------------------


class TemplateItemSerializer(DosageSerializerMixin, serializers.ModelSerializer):
    exercise = ScopedPrimaryKeyRelatedField(scope=exercises_visible_to)

    class Meta:
        model = TemplateItem
        fields = ["exercise", "sets", "reps", "hold_seconds", "times_per_week", "side", "load", "notes"]


class TemplateSerializer(serializers.ModelSerializer):
    items = TemplateItemSerializer(many=True, read_only=True)

    class Meta:
        model = ProgramTemplate
        fields = ["id", "clinic", "name", "description", "items", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class TemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    items = TemplateItemSerializer(many=True, min_length=1, max_length=50)


class TemplateUpdateSerializer(TemplateInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    items = TemplateItemSerializer(many=True, min_length=1, max_length=50, required=False)


class ApplyTemplateSerializer(serializers.Serializer):
    care_plan = ScopedPrimaryKeyRelatedField(scope=care_plans_visible_to)
    start_date = BoundedDateField(kind=Kind.PLAN_DATE, required=False)


class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """A clinic's saved programmes. PTs and managers keep them; PTs apply them to a plan."""

    serializer_class = TemplateSerializer
    filterset_fields = ["name"]
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.MANAGE_TEMPLATES,
        "partial_update": Cap.MANAGE_TEMPLATES,
        "destroy": Cap.MANAGE_TEMPLATES,
        "apply": Cap.PRESCRIBE,
    }

    def selector(self, user):
        return templates_visible_to(user).prefetch_related("items")

    @extend_schema(request=TemplateInputSerializer, responses={201: TemplateSerializer})
    def create(self, request):
        if request.user.clinic is None:
            raise InvalidInput({"non_field_errors": ["Templates belong to a clinic."]})
        template = services.template_save(actor=request.user, clinic=request.user.clinic,
                                          **self.validated(TemplateInputSerializer))
        return Response(TemplateSerializer(self.get_queryset().get(pk=template.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=TemplateUpdateSerializer, responses=TemplateSerializer)
    def partial_update(self, request, pk=None):
        template = services.template_save(actor=request.user, clinic=None, template=self.get_object(),
                                          **self.validated(TemplateUpdateSerializer))
        return Response(TemplateSerializer(self.get_queryset().get(pk=template.pk)).data)

    def destroy(self, request, pk=None):
        services.template_delete(template=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ApplyTemplateSerializer, responses={201: PrescriptionSerializer(many=True)})
    @action(detail=True, methods=["post"], pagination_class=None)
    def apply(self, request, pk=None):
        prescriptions = services.template_apply(actor=request.user, template=self.get_object(),
                                                **self.validated(ApplyTemplateSerializer))
        return Response(PrescriptionSerializer(prescriptions, many=True).data, status=status.HTTP_201_CREATED)


# --- Exercise sessions --------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    prescriptions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    is_superseded = serializers.SerializerMethodField()
    suspect_dates = SuspectDatesField()

    class Meta:
        model = ExerciseSession
        fields = ["id", "patient", "care_plan", "performed_at", "prescriptions", "duration_minutes", "pain_during",
                  "source", "external_id", "recorded_by", "created_at", "supersedes", "supersede_reason",
                  "superseded_at", "is_superseded", "suspect_dates"]
        read_only_fields = fields

    def get_is_superseded(self, session) -> bool:
        return session.superseded_at is not None


class SessionBodySerializer(serializers.Serializer):
    performed_at = BoundedDateTimeField(kind=Kind.CLINICAL_TIME)
    prescriptions = ScopedPrimaryKeyRelatedField(scope=prescriptions_visible_to, many=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False, allow_null=True)
    pain_during = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)

    def validate_prescriptions(self, value):
        if not value:
            raise serializers.ValidationError("Name at least one prescribed exercise that was done.")
        if len(value) > 100:
            raise serializers.ValidationError("At most 100 exercises per session.")
        return value


class SessionCreateSerializer(SessionBodySerializer):
    patient = ScopedPrimaryKeyRelatedField(scope=patients_visible_to)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SessionSupersedeSerializer(SessionBodySerializer):
    reason = serializers.CharField(max_length=5000)


class SessionFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    care_plan = IdFilter(field_name="care_plan_id")
    include_superseded = IncludeSupersededFilter()

    class Meta:
        model = ExerciseSession
        fields = ["patient", "care_plan", "include_superseded"]


class SessionPagination(NewestFirstCursorPagination):
    ordering = ("-performed_at", "-id")


class ExerciseSessionViewSet(CorrectableListMixin, AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             ScopedViewSet):
    """Home exercise sessions (append-only). The patient app's backend and coaches send them;
    a correction supersedes a session instead of editing it. Corrected rows are hidden unless
    `include_superseded=true`."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    pagination_class = SessionPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.RECORD_SESSION,
        "supersede": Cap.RECORD_SESSION,
    }

    def selector(self, user):
        return sessions_visible_to(user).select_related("patient").prefetch_related("prescriptions")

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer, 200: SessionSerializer})
    def create(self, request):
        session, created = services.session_record(actor=request.user, source=recorded_source(request.user),
                                                   **self.validated(SessionCreateSerializer))
        return Response(SessionSerializer(self.get_queryset().get(pk=session.pk)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=SessionSupersedeSerializer, responses={201: SessionSerializer})
    @action(detail=True, methods=["post"])
    def supersede(self, request, pk=None):
        session = services.session_supersede(actor=request.user, session_id=self.get_object().pk,
                                             source=recorded_source(request.user),
                                             **self.validated(SessionSupersedeSerializer))
        return Response(SessionSerializer(self.get_queryset().get(pk=session.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- Care plans as served: with their adherence and prescriptions -------------------------------


class AsOfSerializer(serializers.Serializer):
    as_of = BoundedDateField(kind=Kind.REPORT_DATE, required=False,
                             help_text="Report date; default: the patient's today.")


class AtSerializer(serializers.Serializer):
    at = BoundedDateTimeField(kind=Kind.REPORT_DATE, help_text="An ISO 8601 timestamp, e.g. 2026-03-01T12:00:00Z.")


class AdherenceWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    target = serializers.IntegerField(allow_null=True, help_text="ceil(full_target × active_days ÷ 7) "
                                      "(clinical-reference §4 v2); null: the week does not count.")
    done = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True)
    ended = serializers.BooleanField()
    active_days = serializers.IntegerField(help_text="Days of the week the plan was active all day "
                                                    "(not paused, not discharged).")
    full_target = serializers.IntegerField(allow_null=True, help_text="The largest times_per_week in effect.")


class AdherenceSerializer(serializers.Serializer):
    plan_adherence = serializers.FloatField(allow_null=True)
    weeks = AdherenceWeekSerializer(many=True)


class PrescriptionVersionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="prescription_id")
    exercise_name = serializers.CharField(source="exercise.name")

    class Meta:
        model = PrescriptionVersion
        fields = ["id", "version", "exercise", "exercise_name", "status", "sets", "reps", "hold_seconds",
                  "times_per_week", "side", "load", "notes", "valid_from", "reason", "note", "changed_by",
                  "changed_at"]
        read_only_fields = fields


# The care-plan resource as served (config/urls.py): careplans' viewset with what needs this app, each
# plan's adherence and its prescriptions at a moment, under the same URLs (DESIGN.md, layering).
class CarePlanViewSet(PlanOnlyViewSet):
    """Care plans (episodes of care). Their lead PT edits them (If-Match) and moves them through
    draft → active ⇄ paused → discharged."""

    action_permissions = {
        **PlanOnlyViewSet.action_permissions,
        "adherence_weeks": Cap.READ_CLINICAL,
        "prescriptions_as_of": Cap.READ_CLINICAL,
    }

    def selector(self, user):
        return care_plans_with_adherence(user)

    @extend_schema(parameters=[AsOfSerializer], responses=AdherenceSerializer)
    @action(detail=True, methods=["get"], url_path="adherence")
    def adherence_weeks(self, request, pk=None):
        """Weekly adherence (clinical-reference §4): weeks 1-12 that have started, and the plan
        figure over the weeks that have ended. `as_of` (a date) defaults to the patient's today."""
        plan = self.get_object()
        params = AsOfSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        as_of = params.validated_data.get("as_of")
        weeks = weekly_adherence([plan.pk], as_of)
        return Response(AdherenceSerializer({"plan_adherence": plans_adherence([plan.pk], as_of)[plan.pk],
                                             "weeks": weeks}).data)

    @extend_schema(parameters=[AtSerializer], responses=PrescriptionVersionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="prescriptions-as-of", pagination_class=None)
    def prescriptions_as_of(self, request, pk=None):
        """The plan's prescriptions as they were in effect at `at` (rebuilt from their history)."""
        plan = self.get_object()
        params = AtSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        versions = prescriptions_as_of(plan, params.validated_data["at"])
        return Response(PrescriptionVersionSerializer(versions, many=True).data)
