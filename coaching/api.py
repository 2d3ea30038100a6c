import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import Cap, Role
from coaching import services
from coaching.models import Barrier, CheckIn, CoachingNote, HabitGoal, OutreachItem, ReminderDelivery
from coaching.selectors import (
    check_ins_visible_to,
    coach_queue,
    coaching_notes_visible_to,
    habit_goals_visible_to,
    habit_progress,
    in_work_order,
    outreach_visible_to,
    reminders_visible_to,
    with_days_since_session,
)
from core.api.fields import BoundedDateField, BoundedDateTimeField, ScopedPrimaryKeyRelatedField, SuspectDatesField
from core.api.filters import IdFilter
from core.api.pagination import NewestFirstCursorPagination
from core.api.viewsets import AuditedReadsMixin, ScopedViewSet
from core.bounds import Kind
from patients.selectors import patients_visible_to


def _patient_field():
    return ScopedPrimaryKeyRelatedField(scope=patients_visible_to)


class PatientFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")


# --- Check-ins ----------------------------------------------------------------------------------


class CheckInSerializer(serializers.ModelSerializer):
    patient = _patient_field()
    barriers = serializers.ListField(child=serializers.ChoiceField(choices=Barrier.choices), required=False,
                                     max_length=len(Barrier.choices))
    occurred_at = BoundedDateTimeField(kind=Kind.CLINICAL_TIME)
    next_check_in = BoundedDateField(kind=Kind.PLAN_DATE, required=False, allow_null=True)
    suspect_dates = SuspectDatesField()

    class Meta:
        model = CheckIn
        fields = ["id", "patient", "coach", "occurred_at", "channel", "mood", "confidence", "barriers", "notes",
                  "agreed", "next_check_in", "created_at", "suspect_dates"]
        read_only_fields = ["id", "coach", "created_at"]
        extra_kwargs = {"notes": {"max_length": 20000}, "agreed": {"max_length": 5000}}


class CheckInFilter(PatientFilter):
    class Meta:
        model = CheckIn
        fields = ["patient", "channel"]


class CheckInViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Coaches log check-ins (video, phone or message); PTs and managers read them."""

    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter
    ordering_fields = ["occurred_at", "id"]
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL, "create": Cap.COACH}

    def selector(self, user):
        return check_ins_visible_to(user).select_related("patient")

    def create(self, request):
        check_in = services.check_in_record(actor=request.user, **self.validated(CheckInSerializer))
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)


# --- Coaching notes -----------------------------------------------------------------------------


class CoachingNoteSerializer(serializers.ModelSerializer):
    patient = _patient_field()

    class Meta:
        model = CoachingNote
        fields = ["id", "patient", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]
        extra_kwargs = {"body": {"max_length": 20000}}


class CoachingNoteFilter(PatientFilter):
    class Meta:
        model = CoachingNote
        fields = ["patient"]


class CoachingNoteViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Coaching notes: only coaches write them; PTs and managers of the clinic read them."""

    serializer_class = CoachingNoteSerializer
    filterset_class = CoachingNoteFilter
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL, "create": Cap.COACH}

    def selector(self, user):
        return coaching_notes_visible_to(user).select_related("patient")

    def create(self, request):
        note = services.coaching_note_add(actor=request.user, **self.validated(CoachingNoteSerializer))
        return Response(CoachingNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# --- Habit goals --------------------------------------------------------------------------------


class HabitWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    done = serializers.IntegerField()
    target = serializers.IntegerField()
    met = serializers.BooleanField()


class HabitGoalSerializer(serializers.ModelSerializer):
    patient = _patient_field()
    start_date = BoundedDateField(kind=Kind.PLAN_DATE, required=False)
    weekly_progress = serializers.SerializerMethodField()
    suspect_dates = SuspectDatesField()

    class Meta:
        model = HabitGoal
        fields = ["id", "patient", "description", "target_per_week", "start_date", "status", "weekly_progress",
                  "created_by", "created_at", "updated_at", "suspect_dates"]
        read_only_fields = ["id", "status", "created_by", "created_at", "updated_at"]  # status: HabitGoalUpdate

    @extend_schema_field(HabitWeekSerializer(many=True))
    def get_weekly_progress(self, goal):
        return HabitWeekSerializer(habit_progress(goal), many=True).data


class HabitGoalUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = HabitGoal
        fields = ["description", "target_per_week", "status"]


class HabitLogSerializer(serializers.Serializer):
    date = BoundedDateField(kind=Kind.PAST_DATE)


class HabitGoalFilter(PatientFilter):
    class Meta:
        model = HabitGoal
        fields = ["patient", "status"]


class HabitGoalViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """SMART habit goals with weekly progress (the last four goal weeks). Coaches set them and log
    the days kept; PTs and managers read them."""

    serializer_class = HabitGoalSerializer
    filterset_class = HabitGoalFilter
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL, "create": Cap.COACH,
                          "partial_update": Cap.COACH, "log": Cap.COACH}

    def selector(self, user):
        return habit_goals_visible_to(user).select_related("patient").prefetch_related("logs")

    def _respond(self, goal_id, status_code=status.HTTP_200_OK):
        return Response(HabitGoalSerializer(self.get_queryset().get(pk=goal_id)).data, status=status_code)

    def create(self, request):
        goal = services.habit_goal_create(actor=request.user, **self.validated(HabitGoalSerializer))
        return self._respond(goal.pk, status.HTTP_201_CREATED)

    @extend_schema(request=HabitGoalUpdateSerializer, responses=HabitGoalSerializer)
    def partial_update(self, request, pk=None):
        goal = self.get_object()
        serializer = HabitGoalUpdateSerializer(goal, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.habit_goal_update(goal=goal, **serializer.validated_data)
        return self._respond(goal.pk)

    @extend_schema(request=HabitLogSerializer, responses={201: HabitGoalSerializer})
    @action(detail=True, methods=["post"])
    def log(self, request, pk=None):
        goal = self.get_object()
        services.habit_log(actor=request.user, goal=goal, done_on=self.validated(HabitLogSerializer)["date"])
        return self._respond(goal.pk, status.HTTP_201_CREATED)


# --- Outreach -----------------------------------------------------------------------------------


class OutreachSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_phone = serializers.CharField(source="patient.phone", read_only=True)
    patient_reminder_channel = serializers.CharField(source="patient.reminder_channel", read_only=True)
    days_since_session = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="Days from the patient's last session to their today (their zone); null: no session yet.")
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = OutreachItem
        fields = ["id", "patient", "patient_name", "patient_phone", "patient_reminder_channel", "coach", "cause",
                  "detail", "opened_at", "is_open", "resolved_at", "resolved_by", "resolution_note", "cleared_at",
                  "days_since_session"]
        read_only_fields = fields

    def get_is_open(self, item) -> bool:
        return item.resolved_at is None


class OutreachFilter(PatientFilter):
    coach = IdFilter(field_name="patient__coach_id")
    cause = django_filters.ChoiceFilter(choices=OutreachItem.Cause.choices)
    status = django_filters.ChoiceFilter(choices=[("open", "open"), ("resolved", "resolved")], method="filter_status")
    scope = django_filters.ChoiceFilter(choices=[("mine", "mine"), ("clinic", "clinic")], method="filter_scope",
                                        help_text="Coaches see their own patients unless scope=clinic.")

    class Meta:
        model = OutreachItem
        fields = ["patient", "coach", "cause", "status", "scope"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(resolved_at__isnull=value == "open")

    def filter_scope(self, queryset, name, value):
        return queryset  # applied in the viewset, where the default depends on the role


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class OutreachViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Patients who need a human, and why (no recent session, unanswered reminders, an overdue
    check-in, an open alert). A coach's list is their own patients; managers see the clinic's.
    Open items first, oldest first; resolving needs a note."""

    serializer_class = OutreachSerializer
    filterset_class = OutreachFilter
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL, "resolve": Cap.COACH}

    def selector(self, user):
        items = with_days_since_session(in_work_order(outreach_visible_to(user)))
        coach_list = self.action == "list" and getattr(user, "role", None) == Role.COACH
        if coach_list and self.request.query_params.get("scope") != "clinic":
            items = coach_queue(user, items)
        return items

    @extend_schema(request=ResolveSerializer, responses=OutreachSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        item = services.outreach_resolve(actor=request.user, item_id=self.get_object().pk,
                                         **self.validated(ResolveSerializer))
        return Response(OutreachSerializer(self.get_queryset().get(pk=item.pk)).data)


# --- Reminders ----------------------------------------------------------------------------------


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReminderDelivery
        fields = ["id", "patient", "care_plan", "channel", "slot", "status", "attempts", "created_at", "sent_at",
                  "last_error"]
        read_only_fields = fields


class ReminderFilter(PatientFilter):
    status = django_filters.ChoiceFilter(choices=ReminderDelivery.Status.choices)

    class Meta:
        model = ReminderDelivery
        fields = ["patient", "status"]


class ReminderViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Adherence reminders and what became of each (read-only; the sweep writes them)."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    pagination_class = NewestFirstCursorPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    action_permissions = {"list": Cap.READ_CLINICAL, "retrieve": Cap.READ_CLINICAL}
    audit_clinic_id = "patient.clinic_id"

    def selector(self, user):
        return reminders_visible_to(user).select_related("patient")
