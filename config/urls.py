from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import AuditEventViewSet, ClinicViewSet, LogoutView, MeView, StaffViewSet, TokenView
from careplans.api import VisitViewSet
from coaching.api import (
    CheckInViewSet,
    CoachingNoteViewSet,
    HabitGoalViewSet,
    OutreachViewSet,
    ReminderViewSet,
)
from core.api.routers import Router
from core.views import healthz
from exercises.api import CarePlanViewSet, ExerciseSessionViewSet, ExerciseViewSet, PrescriptionViewSet, TemplateViewSet
from outcomes.api import AssessmentViewSet, OutcomeReportViewSet, PatientViewSet, ReassessmentViewSet
from patients.api import AlertViewSet
from web.views.auth import admin_login

router = Router()
router.register("clinics", ClinicViewSet, basename="clinic")
router.register("staff", StaffViewSet, basename="staff")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("patients", PatientViewSet, basename="patient")
router.register("alerts", AlertViewSet, basename="alert")
router.register("care-plans", CarePlanViewSet, basename="care-plan")
router.register("visits", VisitViewSet, basename="visit")
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("templates", TemplateViewSet, basename="template")
router.register("prescriptions", PrescriptionViewSet, basename="prescription")
router.register("exercise-sessions", ExerciseSessionViewSet, basename="exercise-session")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("reassessments", ReassessmentViewSet, basename="reassessment")
router.register("reports/outcomes", OutcomeReportViewSet, basename="outcome-report")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("coaching-notes", CoachingNoteViewSet, basename="coaching-note")
router.register("habit-goals", HabitGoalViewSet, basename="habit-goal")
router.register("outreach", OutreachViewSet, basename="outreach")
router.register("reminders", ReminderViewSet, basename="reminder")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the page loads its start-up script from this URL (?script), as the CSP wants (no inline).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("web.urls")),
]

handler400 = "core.api.errors.bad_request"
handler404 = "core.api.errors.page_not_found"
handler500 = "core.api.errors.server_error"
