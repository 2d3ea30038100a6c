import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from accounts.roles import Cap, recorded_source
from accounts.selectors import clinics_visible_to
from core.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    JSONField,
    ScopedPrimaryKeyRelatedField,
    SuspectDatesField,
)
from core.api.filters import IdFilter, IncludeSupersededFilter
from core.api.pagination import NewestFirstCursorPagination, PagePagination
from core.api.viewsets import AuditedReadsMixin, CorrectableListMixin, ScopedViewSet
from core.audit import record_reads
from core.bounds import Kind
from core.errors import InvalidInput
from exercises.selectors import patient_list
from outcomes import export, services, snapshot
from outcomes.instruments import INSTRUMENTS, Code, with_item_9_first
from outcomes.models import Assessment, OutcomeReport
from outcomes.selectors import (
    REASSESSMENT_STATUSES,
    assessments_visible_to,
    psfs_first_activities,
    reassessments,
    reports_visible_to,
)
from patients.api import PatientViewSet as PatientRecordViewSet
from patients.selectors import patients_visible_to

# --- Assessments --------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    score = serializers.SerializerMethodField()
    band = serializers.SerializerMethodField()
    loinc = serializers.SerializerMethodField()
    is_superseded = serializers.SerializerMethodField()
    suspect_dates = SuspectDatesField()

    class Meta:
        model = Assessment
        fields = ["id", "patient", "care_plan", "instrument", "answers", "score", "band", "loinc", "collected_at",
                  "source", "external_id", "recorded_by", "created_at", "supersedes", "supersede_reason",
                  "superseded_at", "is_superseded", "suspect_dates"]
        read_only_fields = fields

    def get_score(self, assessment) -> float:
        return int(assessment.score) if assessment.score == int(assessment.score) else float(assessment.score)

    def get_band(self, assessment) -> str | None:
        return assessment.band or None

    def get_loinc(self, assessment) -> str | None:
        return INSTRUMENTS[assessment.instrument].loinc

    def get_is_superseded(self, assessment) -> bool:
        return assessment.superseded_at is not None


class AssessmentBodySerializer(serializers.Serializer):
    answers = JSONField(help_text="Integers, per clinical-reference §1; PSFS: [{label, rating}].")
    collected_at = BoundedDateTimeField(kind=Kind.CLINICAL_TIME)


class AssessmentCreateSerializer(AssessmentBodySerializer):
    patient = ScopedPrimaryKeyRelatedField(scope=patients_visible_to)
    instrument = serializers.ChoiceField(choices=Code.choices)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class AssessmentSupersedeSerializer(AssessmentBodySerializer):
    reason = serializers.CharField(max_length=5000)


class AssessmentSubjectSerializer(serializers.Serializer):
    """Whose submission and of which instrument: read apart from the rest, so that a PHQ-9 refused for
    another field still raises its item-9 alert (clinical-reference §1, v2)."""

    patient = ScopedPrimaryKeyRelatedField(scope=patients_visible_to)
    instrument = serializers.ChoiceField(choices=Code.choices)


class AssessmentFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    instrument = django_filters.ChoiceFilter(choices=Code.choices)
    include_superseded = IncludeSupersededFilter()

    class Meta:
        model = Assessment
        fields = ["patient", "instrument", "include_superseded"]


class AssessmentPagination(NewestFirstCursorPagination):
    ordering = ("-collected_at", "-id")


class AssessmentViewSet(CorrectableListMixin, AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        ScopedViewSet):
    """Outcome measures (append-only), scored on the server. A PHQ-9 with item 9 above 0 opens an
    urgent safety alert. Corrected rows are hidden unless `include_superseded=true`."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    pagination_class = AssessmentPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    audit_clinic_id = "patient.clinic_id"
    action_permissions = {
        "list": Cap.READ_CLINICAL,
        "retrieve": Cap.READ_CLINICAL,
        "create": Cap.RECORD_ASSESSMENT,
        "supersede": Cap.RECORD_ASSESSMENT,
    }

    def selector(self, user):
        return assessments_visible_to(user).select_related("patient")

    def _validated_item_9_first(self, serializer_class, *, subject=None):
        """The body, validated; a refusal here, before the service, still raises the PHQ-9 item-9 alert
        (clinical-reference §1, v2). `subject`: (patient, instrument) when the body does not name them."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        if serializer.is_valid():
            return serializer.validated_data
        patient, instrument = subject or self._subject()
        answers = (self.request.data if isinstance(self.request.data, dict) else {}).get("answers")
        if patient is not None:
            services.assessment_refused(patient=patient, instrument=instrument, answers=answers)
        # a domain error, not DRF's: the request's transaction keeps the alert (core.api.errors)
        raise InvalidInput(with_item_9_first(instrument, answers, serializer.errors))

    def _subject(self) -> tuple:
        subject = AssessmentSubjectSerializer(data=self.request.data, context=self.get_serializer_context())
        if not subject.is_valid():
            return None, None
        return subject.validated_data["patient"], subject.validated_data["instrument"]

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer, 200: AssessmentSerializer})
    def create(self, request):
        assessment, created = services.assessment_record(actor=request.user, source=recorded_source(request.user),
                                                         **self._validated_item_9_first(AssessmentCreateSerializer))
        return Response(AssessmentSerializer(assessment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=AssessmentSupersedeSerializer, responses={201: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def supersede(self, request, pk=None):
        target = self.get_object()
        body = self._validated_item_9_first(AssessmentSupersedeSerializer,
                                            subject=(target.patient, target.instrument))
        assessment = services.assessment_supersede(actor=request.user, assessment_id=target.pk,
                                                   source=recorded_source(request.user), **body)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


# --- Reassessments ------------------------------------------------------------------------------


class ReassessmentStatusSerializer(serializers.Serializer):
    care_plan = serializers.IntegerField(source="id")
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.SerializerMethodField()
    point = serializers.CharField()
    week = serializers.IntegerField()
    due_date = serializers.DateField(read_only=True)
    window_start = serializers.DateField(read_only=True)
    window_end = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=REASSESSMENT_STATUSES)

    def get_patient_name(self, row) -> str:
        return f"{row['first_name']} {row['last_name']}"


class ReassessmentQuerySerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=REASSESSMENT_STATUSES, required=False)
    patient = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class ReassessmentViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Baseline and week 4, 8 and 12 reassessments of the open care plans, with their status.
    `?status=overdue` is the clinic's list of overdue reassessments."""

    serializer_class = ReassessmentStatusSerializer
    pagination_class = PagePagination
    filter_backends: list = []
    action_permissions = {"list": Cap.READ_CLINICAL}

    def selector(self, user):
        return assessments_visible_to(user).none()  # the rows come from `reassessments()` below

    @extend_schema(parameters=[ReassessmentQuerySerializer])
    def list(self, request):
        query = ReassessmentQuerySerializer(data={"status": request.query_params.getlist("status"),
                                                  **({"patient": request.query_params["patient"]}
                                                     if "patient" in request.query_params else {})})
        query.is_valid(raise_exception=True)
        rows = reassessments(request.user, statuses=sorted(query.validated_data.get("status") or []) or None,
                             patient_id=query.validated_data.get("patient"))
        page = self.paginate_queryset(rows)
        plans = {row["id"]: row for row in page}  # one read per plan shown, whatever its rows
        record_reads(user=request.user, rows=[("careplans_careplan", plan_id, row["patient_id"], row["clinic_id"])
                                              for plan_id, row in plans.items()])
        return self.get_paginated_response(ReassessmentStatusSerializer(page, many=True).data)


# --- Reports ------------------------------------------------------------------------------------


class ReportRequestSerializer(serializers.Serializer):
    clinic = ScopedPrimaryKeyRelatedField(scope=clinics_visible_to, required=False, allow_null=True,
                                          help_text="Admins only: a clinic, or empty for every clinic.")
    start_from = BoundedDateField(kind=Kind.REPORT_DATE)
    start_to = BoundedDateField(kind=Kind.REPORT_DATE)
    as_of = BoundedDateField(kind=Kind.REPORT_DATE, required=False, help_text="The report date; default today.")
    segment_by = serializers.ChoiceField(choices=OutcomeReport.Segment.choices, required=False, default="")


SEGMENT_CHOICES = [("", "No segments"), *OutcomeReport.Segment.choices]


class ReportSerializer(serializers.ModelSerializer):
    segment_by = serializers.ChoiceField(choices=SEGMENT_CHOICES, read_only=True)
    results = serializers.SerializerMethodField()
    adherence = serializers.SerializerMethodField()
    pain_curve = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()
    n_plans = serializers.SerializerMethodField()
    method_version = serializers.SerializerMethodField(
        help_text='The clinical-reference version the figures follow ("1" for snapshots made before v2).')
    pgic_improved = serializers.SerializerMethodField()
    ci95_pgic_improved = serializers.SerializerMethodField()
    n_pgic = serializers.SerializerMethodField()
    suppressed_figures = serializers.SerializerMethodField(
        help_text="Top-level figures computed over fewer than 10 plans (clinical-reference §5): shown as n < 10.")

    class Meta:
        model = OutcomeReport
        fields = ["id", "status", "progress", "clinic", "start_from", "start_to", "as_of", "segment_by",
                  "requested_by", "requested_at", "started_at", "finished_at", "code_version", "error", "n_plans",
                  "results", "adherence", "pain_curve", "segments", "method_version", "pgic_improved",
                  "ci95_pgic_improved", "n_pgic", "suppressed_figures"]
        read_only_fields = fields

    def _part(self, report, name):
        return (report.results or {}).get(name)

    def get_results(self, report) -> dict | None:
        return self._part(report, "results")

    def get_adherence(self, report) -> dict | None:
        return self._part(report, "adherence")

    def get_pain_curve(self, report) -> list | None:
        return self._part(report, "pain_curve")

    def get_segments(self, report) -> list | None:
        return self._part(report, "segments")

    def get_n_plans(self, report) -> int | None:
        return self._part(report, "n_plans")

    def get_method_version(self, report) -> str | None:
        return None if report.results is None else snapshot.method_version(report.results)

    def get_pgic_improved(self, report) -> float | None:
        return self._part(report, "pgic_improved")

    def get_ci95_pgic_improved(self, report) -> list[float] | None:
        return self._part(report, "ci95_pgic_improved")

    def get_n_pgic(self, report) -> int | None:
        return self._part(report, "n_pgic")

    def get_suppressed_figures(self, report) -> list[str] | None:
        return self._part(report, "suppressed_figures")


class ReportExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[("long", "one row per figure"), ("wide", "one row per segment")],
                                     default="long", help_text="long: tidy, for BI tools; wide: for a spreadsheet.")


class ExportNegotiation(DefaultContentNegotiation):
    """`?format=` of the export chooses the CSV's layout, not DRF's renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportSummarySerializer(serializers.ModelSerializer):
    segment_by = serializers.ChoiceField(choices=SEGMENT_CHOICES, read_only=True)

    class Meta:
        model = OutcomeReport
        fields = ["id", "status", "progress", "clinic", "start_from", "start_to", "as_of", "segment_by",
                  "requested_by", "requested_at", "finished_at"]
        read_only_fields = fields


class OutcomeReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """12-week change reports (clinical-reference §5). POST answers 202 at once; poll the report
    until `status` is `done` (`progress` goes 0 to 100), then read it or download `export.csv`."""

    serializer_class = ReportSerializer
    filterset_fields = ["status"]
    action_permissions = {
        "list": Cap.REQUEST_REPORT,
        "retrieve": Cap.REQUEST_REPORT,
        "create": Cap.REQUEST_REPORT,
        "export": Cap.REQUEST_REPORT,
    }

    def selector(self, user):
        return reports_visible_to(user)

    def get_serializer_class(self):
        return ReportSummarySerializer if self.action == "list" else ReportSerializer

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer})
    def create(self, request):
        data = self.validated(ReportRequestSerializer)
        clinic = data.pop("clinic", None)
        if not request.user.is_superuser:
            if clinic is not None and clinic.pk != request.user.clinic_id:
                raise InvalidInput({"clinic": ["Only admins choose the clinic."]})
            clinic = request.user.clinic
        outcome_report = services.report_request(actor=request.user, clinic=clinic, **data)
        return Response(ReportSerializer(outcome_report).data, status=status.HTTP_202_ACCEPTED)

    def get_content_negotiator(self):
        # asked twice by DRF: first before the action is known (for the parsers), then to choose the renderer
        return ExportNegotiation() if getattr(self, "action", None) == "export" else super().get_content_negotiator()

    @extend_schema(parameters=[ReportExportQuerySerializer], responses={
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=(
            "`format=long` (default): one row per figure (report, as_of, segment, section, domain, figure, "
            "week, value, suppressed); an interval's ends are the figures `<ci95 name>.low` and `.high`; a small "
            "cell (clinical-reference §5) has an empty value and `suppressed` \"n < 10\" (a figure over fewer "
            "than 10 plans) or \"< 10\" (a count of 1 to 9). `format=wide`: one row per segment, the whole "
            "cohort first, one column per measure and figure, shares in percent, small cells written as "
            "\"n < 10\" and \"< 10\"."))})
    @action(detail=True, methods=["get"], url_path=r"export\.csv")
    def export(self, request, pk=None):
        outcome_report = self.get_object()
        query = ReportExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if outcome_report.status != OutcomeReport.Status.DONE:
            return Response({"detail": f"The report is {outcome_report.status}, not done."},
                            status=status.HTTP_409_CONFLICT)
        wide = query.validated_data["format"] == "wide"
        body = (export.report_csv_wide if wide else export.report_csv_long)(outcome_report)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        name = f"moverx-outcomes-{outcome_report.pk}{'-wide' if wide else ''}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# --- Patients as served: with their open plan, adherence and PSFS activities ----------------------


class PsfsActivitiesSerializer(serializers.Serializer):
    activities = serializers.ListField(child=serializers.CharField(), read_only=True,
                                       help_text="Labels of the first PSFS of the open plan, in its order.")


# The patient resource as served (config/urls.py): patients' viewset read through `patient_list` (open
# plan, adherence, open alerts) and with the activities a PSFS follow-up offers, under the same URLs
# (DESIGN.md, layering).
class PatientViewSet(PatientRecordViewSet):
    """Patients of the user's clinic (narrowed to their care team where the clinic says so)."""

    action_permissions = {
        **PatientRecordViewSet.action_permissions,
        # what a PSFS form offers: those who record assessments, the patient app included
        "psfs_activities": Cap.RECORD_ASSESSMENT,
    }

    def selector(self, user):
        return patient_list(user)

    @extend_schema(responses=PsfsActivitiesSerializer)
    @action(detail=True, methods=["get"], url_path="psfs-activities")
    def psfs_activities(self, request, pk=None):
        """The activities to rate again at a PSFS follow-up (clinical-reference §1, v2): those of the
        patient's first PSFS of the open plan; empty before it. A new activity may still be added."""
        return Response({"activities": psfs_first_activities(self.get_object())})
