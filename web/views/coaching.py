"""The coach's workspace: caseload and outreach queue; check-ins, notes and habit goals."""

from django.db.models import OuterRef
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.roles import Cap
from coaching import services
from coaching.selectors import habit_goals_visible_to, latest_check_in, open_queue, outreach_visible_to
from core.audit import record_reads
from exercises.selectors import patient_list
from web import forms
from web.access import requires, scoped
from web.views.common import submit
from web.views.patients import submit_on_record


@requires(Cap.READ_CLINICAL)
def coach_home(request):
    """My patients (where I am the coach) with their last check-in, and my outreach queue: open alerts
    first, then oldest first."""
    user = request.user
    caseload = list(patient_list(user).filter(coach=user).annotate(**latest_check_in(OuterRef("pk")))
                    .order_by("adherence", "last_name")[:200])
    queue = list(open_queue(user))
    record_reads(user=user, rows=[("patients_patient", p.pk, p.pk, p.clinic_id) for p in caseload])
    return render(request, "web/coach.html", {"caseload": caseload, "queue": queue, "note_form": forms.NoteForm()})


@require_POST
@requires(Cap.COACH)
def resolve_outreach(request, item_id):
    item = scoped(outreach_visible_to(request.user), pk=item_id)
    return submit(request, forms.NoteForm, reverse("web:coach"), lambda data: services.outreach_resolve(
        actor=request.user, item_id=item.pk, note=data["note"]), success="Outreach item resolved.")


def _back(patient_id, anchor="coaching"):
    return reverse("web:patient", args=[patient_id]) + f"#{anchor}"


@require_POST
@requires(Cap.COACH)
def log_check_in(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    return submit_on_record(request, patient.pk, "check_in", forms.CheckInForm(request.POST), lambda data: (
        services.check_in_record(actor=request.user, patient=patient, **data)), anchor="coaching",
        success="Check-in logged.")


@require_POST
@requires(Cap.COACH)
def add_note(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    return submit(request, forms.CoachingNoteForm, _back(patient.pk), lambda data: services.coaching_note_add(
        actor=request.user, patient=patient, body=data["body"]), success="Note added.")


@require_POST
@requires(Cap.COACH)
def add_habit_goal(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    return submit(request, forms.HabitGoalForm, _back(patient.pk), lambda data: services.habit_goal_create(
        actor=request.user, patient=patient, **data), success="Habit goal set.")


@require_POST
@requires(Cap.COACH)
def log_habit(request, goal_id):
    goal = scoped(habit_goals_visible_to(request.user).select_related("patient"), pk=goal_id)
    return submit(request, forms.HabitLogForm, _back(goal.patient_id), lambda data: services.habit_log(
        actor=request.user, goal=goal, done_on=data["date"]), success="Day logged.")


@require_POST
@requires(Cap.COACH)
def set_habit_status(request, goal_id):
    """Achieved, paused, stopped, or active again."""
    goal = scoped(habit_goals_visible_to(request.user), pk=goal_id)
    return submit(request, forms.HabitStatusForm, _back(goal.patient_id), lambda data: services.habit_goal_update(
        goal=goal, status=data["status"]), success="Habit goal updated.")
