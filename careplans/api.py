import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import Cap, Role
from accounts.selectors import clinicians_visible_to
from careplans import services
from careplans.models import CarePlan, Equipment, Goal, GoalCategory, Modality, Visit
from careplans.schedule import plan_week, reassessment_schedule
from careplans.selectors import care_plan_list, care_plans_visible_to, coverage_summary, visits_visible_to
from core.api.concurrency import VersionedMixin, expected_version
from core.api.fields import BoundedDateField, BoundedDateTimeField, ScopedPrimaryKeyRelatedField, SuspectDatesField
from core.api.filters import IdFilter
from core.api.viewsets import AuditedReadsMixin, ScopedViewSet
from core.bounds import Kind, is_suspect
from core.clock import local_today
from patients import clinical
from patients.selectors import patients_visible_to


class GoalSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=GoalCategory.choices)

    class Meta:
        model = Goal
        fields = ["id", "category", "description", "target"]
        read_only_fields = ["id"]


class CoverageInputSerializer(serializers.Serializer):
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    referral_required = serializers.BooleanField(required=False)
    visit_limit = serializers.IntegerField(min_value=1, max_value=500, required=False, allow_null=True)


class CoverageSerializer(CoverageInputSerializer):
    visits_used = serializers.IntegerField()
    visits_remaining = serializers.IntegerField(allow_null=True)
    warning = serializers.CharField(allow_null=True)


class ReassessmentDueSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    due_date = serializers.DateField(read_only=True)


class CarePlanSerializer(serializers.ModelSerializer):
    goals = GoalSerializer(many=True, read_only=True)
    coverage = serializers.SerializerMethodField()
    episode_type = serializers.SerializerMethodField()
    week = serializers.SerializerMethodField()
    reassessments_due = serializers.SerializerMethodField()
    adherence = serializers.SerializerMethodField()
    suspect_dates = SuspectDatesField()

    class Meta:
        model = CarePlan
        fields = [
            "id", "patient", "lead_pt", "status", "start_date", "planned_weeks", "episode_type", "week",
            "reassessments_due", "adherence", "goals", "coverage", "modalities", "equipment", "activated_at",
            "discharged_at", "version", "created_at", "updated_at", "suspect_dates",
        ]
        read_only_fields = fields

    def get_coverage(self, plan) -> CoverageSerializer:
        return coverage_summary(plan, plan.visits_used)

    def get_episode_type(self, plan) -> str | None:
        return clinical.episode_type(plan.patient.pain_onset_date, plan.start_date)

    def get_week(self, plan) -> int | None:
        return plan_week(plan.start_date, local_today(plan.patient.timezone))

    @extend_schema_field(ReassessmentDueSerializer(many=True))
    def get_reassessments_due(self, plan):
        if is_suspect(plan.start_date, "start_date"):
            return []  # no schedule from a start no real plan has (the reassessment list skips it too)
        return ReassessmentDueSerializer(reassessment_schedule(plan.start_date), many=True).data

    def get_adherence(self, plan) -> float | None:
        return getattr(plan, "adherence", None)  # annotated by exercises.selectors.care_plans_with_adherence


def _pts(user):
    return clinicians_visible_to(user, Role.PT)


class CarePlanCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(scope=patients_visible_to)
    start_date = BoundedDateField(kind=Kind.PLAN_DATE)
    goals = GoalSerializer(many=True, required=False)
    coverage = CoverageInputSerializer(required=False)
    modalities = serializers.ListField(child=serializers.ChoiceField(choices=Modality.choices), required=False,
                                       max_length=len(Modality.choices))
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices), required=False,
                                      max_length=len(Equipment.choices))
    lead_pt = ScopedPrimaryKeyRelatedField(scope=_pts, required=False)


class CarePlanUpdateSerializer(CarePlanCreateSerializer):
    patient = None
    start_date = BoundedDateField(kind=Kind.PLAN_DATE, required=False)
    planned_weeks = serializers.IntegerField(min_value=1, max_value=52, required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CarePlanFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    lead_pt = IdFilter(field_name="lead_pt_id")
    status = django_filters.ChoiceFilter(choices=CarePlan.Status.choices)

    class Meta:
        model = CarePlan
        fields = ["patient", "lead_pt", "status"]


class CarePlanViewSet(VersionedMixin, AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      ScopedViewSet):
    """Care plans (episodes of care). Their lead PT edits them (If-Match) and moves them through
    draft → active ⇄ paused → discharged."""

    serializer_class = CarePlanSerializer
    filterset_class = CarePlanFilter
    ordering_fields = ["start_date", "created_at", "id"]
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.LEAD_CARE_PLAN,
        "partial_update": Cap.LEAD_CARE_PLAN,
        "activate": Cap.LEAD_CARE_PLAN,
        "pause": Cap.LEAD_CARE_PLAN,
        "resume": Cap.LEAD_CARE_PLAN,
        "discharge": Cap.LEAD_CARE_PLAN,
    }

    def selector(self, user):
        return care_plan_list(user)

    @extend_schema(request=CarePlanCreateSerializer, responses={201: CarePlanSerializer})
    def create(self, request):
        plan = services.care_plan_create(actor=request.user, **self.validated(CarePlanCreateSerializer))
        return self.respond(plan.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CarePlanUpdateSerializer, responses=CarePlanSerializer)
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        version = expected_version(request)
        data = self.validated(CarePlanUpdateSerializer)
        services.care_plan_update(actor=request.user, plan_id=plan.pk, expected_version=version, **data)
        return self.respond(plan.pk)

    def _transition(self, service):
        plan = self.get_object()
        service(actor=self.request.user, plan_id=plan.pk, **self.validated(NoteSerializer))
        return self.respond(plan.pk)

    @extend_schema(request=NoteSerializer, responses=CarePlanSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._transition(services.care_plan_activate)

    @extend_schema(request=NoteSerializer, responses=CarePlanSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._transition(services.care_plan_pause)

    @extend_schema(request=NoteSerializer, responses=CarePlanSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(services.care_plan_resume)

    @extend_schema(request=NoteSerializer, responses=CarePlanSerializer)
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        return self._transition(services.care_plan_discharge)


class VisitSerializer(serializers.ModelSerializer):
    care_plan = ScopedPrimaryKeyRelatedField(scope=care_plans_visible_to)
    patient = serializers.IntegerField(source="care_plan.patient_id", read_only=True)
    occurred_at = BoundedDateTimeField(kind=Kind.CLINICAL_TIME)
    suspect_dates = SuspectDatesField()

    class Meta:
        model = Visit
        fields = ["id", "care_plan", "patient", "occurred_at", "mode", "kind", "notes", "movement_assessment",
                  "recorded_by", "created_at", "suspect_dates"]
        read_only_fields = ["id", "patient", "recorded_by", "created_at"]
        extra_kwargs = {"notes": {"max_length": 20000}, "movement_assessment": {"max_length": 20000}}


class VisitFilter(django_filters.FilterSet):
    care_plan = IdFilter(field_name="care_plan_id")
    patient = IdFilter(field_name="care_plan__patient_id")

    class Meta:
        model = Visit
        fields = ["care_plan", "patient", "kind"]


class VisitViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Clinical visits; each counts toward the plan's authorised visits."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    ordering_fields = ["occurred_at", "id"]
    audit_patient_id = "care_plan.patient_id"
    audit_clinic_id = "care_plan.patient.clinic_id"
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL, "create": Cap.LEAD_CARE_PLAN}

    def selector(self, user):
        return visits_visible_to(user).select_related("care_plan__patient")

    @extend_schema(request=VisitSerializer, responses={201: VisitSerializer})
    def create(self, request):
        visit = services.visit_record(actor=request.user, **self.validated(VisitSerializer))
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)
