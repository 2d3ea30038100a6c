"""The PT's workspace (and the shared patient page): patient list and the patient's record, plan,
prescriptions, history, measures and adherence."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.roles import Cap, Role, can, recorded_source
from accounts.selectors import clinics_visible_to
from careplans import services as plan_services
from careplans.schedule import plan_week
from careplans.selectors import care_plan_list
from core.audit import record_reads
from core.clock import local_today
from exercises import services as exercise_services
from exercises.selectors import (
    exercises_visible_to,
    patient_list,
    prescriptions_visible_to,
    templates_visible_to,
)
from outcomes import services as outcome_services
from outcomes.instruments import Code, item_9_errors
from outcomes.selectors import followup_window_missed, reassessments
from patients import services as patient_services
from patients.api import PatientFilter
from patients.models import RedFlagStatus
from patients.selectors import patients_in_work_order
from web import forms
from web.access import requires, scoped
from web.selectors import patient_record
from web.views.common import act, add_errors, apply_form, invalid, submit

PAGE_SIZE = 25


@requires(Cap.READ_CLINICAL)
def patient_index(request):
    """Patients with what needs attention: red flags, open alerts, adherence, plan week, and the
    next reassessment due, patients with an open alert first. Search by name or email; filter; sort by
    adherence."""
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    patients = PatientFilter({  # the API's search and filters, under the page's names
        "search": query,
        "red_flag_status": RedFlagStatus.POSITIVE if request.GET.get("flags") == "1" else "",
        "has_open_alerts": "true" if request.GET.get("alerts") == "1" else "",
    }, queryset=patient_list(request.user)).qs
    if request.GET.get("mine") == "1":
        patients = patients.filter(Q(primary_pt=request.user) | Q(coach=request.user))
    order = {"adherence": [F("adherence").asc(nulls_last=True), "last_name"],
             "-adherence": [F("adherence").desc(nulls_last=True), "last_name"]}
    patients = patients_in_work_order(patients, *order.get(request.GET.get("sort"), ["last_name", "first_name", "id"]))
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    due = {}
    for row in reassessments(request.user, statuses=["due", "overdue"]):
        due.setdefault(row["patient_id"], row)
    rows = [{"patient": p, "week": plan_week(p.active_care_plan_start, local_today(p.timezone))
             if p.active_care_plan_start else None, "reassessment": due.get(p.pk)} for p in page]
    record_reads(user=request.user, rows=[("patients_patient", p.pk, p.pk, p.clinic_id) for p in page])
    return render(request, "web/patient_list.html", {"page": page, "rows": rows, "query": query,
                                                     "may_register": can(request.user, Cap.WRITE_PATIENT)})


@requires(Cap.READ_CLINICAL)
def patient_detail(request, patient_id):
    return _patient_page(request, patient_id)


def _patient_page(request, patient_id, *, refused=None):
    """The patient's record. `refused`: a form the services said no to, shown again with its
    errors and what was typed (400), e.g. {"measure": form}."""
    record = patient_record(request.user, patient_id)
    patient = record.patient
    record_reads(user=request.user, rows=[("patients_patient", patient.pk, patient.pk, patient.clinic_id)])
    refused = refused or {}
    context = vars(record) | {"forms": _record_forms(record) | refused, "dosage": forms.DOSAGE_LIMITS,
                              "may_screen": record.may_screen or "screen" in refused}  # a refusal shown again
    return render(request, "web/patient_detail.html", context, status=400 if refused else 200)


def _record_forms(record) -> dict:
    """The empty forms of the patient's page (times in the clinic's zone, see web.access.requires)."""
    now = _now_local()
    return {"red_flags": forms.RedFlagReviewForm(), "screen": forms.RedFlagScreenForm(),
            "plan": forms.CarePlanForm(initial={"start_date": record.today}),
            "check_in": forms.CheckInForm(initial={"occurred_at": now}), "note": forms.CoachingNoteForm(),
            "measure": forms.MeasureForm(initial={"collected_at": now}),
            "psfs": forms.PsfsFollowUpForm(initial={"collected_at": now}, activities=record.psfs_activities),
            "visit": forms.VisitForm(initial={"occurred_at": now}), "goal": forms.HabitGoalForm(),
            "reasons": forms.MODIFY_REASONS, "habit_statuses": forms.HABIT_STATUSES}


def submit_on_record(request, patient_id, name: str, form, action, *, anchor: str, success):
    """A form on the patient's record: `action(cleaned_data)` runs the service; a refusal (the
    form's or the service's) shows the record again with the errors and what was typed (400);
    else post/redirect/get with `success`, a message or a function of what `action` returned."""
    done, result = apply_form(form, action)
    if not done:
        return _patient_page(request, patient_id, refused={name: form})
    messages.success(request, success(result) if callable(success) else success)
    return redirect(_back(patient_id, anchor))


INTAKE_NOTES = {
    RedFlagStatus.POSITIVE: " Red flags are positive: review them before activating a plan.",
    RedFlagStatus.NOT_SCREENED: " The red-flag screen is not completed: complete it on the patient's page before "
                                "activating a plan.",
}


def _intake_page(request, form, patient=None):
    """Show the intake form; on a valid post, hand it to the service and go to the patient's page.
    A refusal by the service lands on the fields it names, with what was typed kept."""
    if request.method == "POST":
        done, saved = apply_form(form, lambda _: _save_intake(request.user, form, patient))
        if done:
            messages.success(request, "Intake saved." + INTAKE_NOTES.get(saved.red_flag_status, ""))
            return redirect(_back(saved.pk))
    return render(request, "web/intake.html", {"form": form, "patient": patient},
                  status=400 if request.method == "POST" else 200)


def _save_intake(user, form, patient):
    if patient is None:
        clinic = scoped(clinics_visible_to(user), pk=user.clinic_id)
        return patient_services.patient_create(actor=user, clinic=clinic, **form.changes())
    return patient_services.patient_update(actor=user, patient_id=patient.pk, **form.changes())


@requires(Cap.WRITE_PATIENT)
def patient_new(request):
    """Register a patient at intake (DESIGN.md, care journey step 1)."""
    clinic = scoped(clinics_visible_to(request.user), pk=request.user.clinic_id)
    initial = {"timezone": clinic.timezone, "primary_pt": request.user.pk if request.user.role == Role.PT else None}
    return _intake_page(request, forms.IntakeForm(request.POST or None, user=request.user, initial=initial))


@requires(Cap.WRITE_PATIENT)
def patient_intake(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    if request.method == "GET":
        record_reads(user=request.user, rows=[("patients_patient", patient.pk, patient.pk, patient.clinic_id)])
    form = forms.IntakeForm(request.POST or None, user=request.user, instance=patient)
    return _intake_page(request, form, patient)


@require_POST
@requires(Cap.READ_CLINICAL)
@requires(Cap.RECORD_ASSESSMENT)
def record_measure(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    form = forms.MeasureForm(request.POST)
    if not form.is_valid():
        instrument, answers = form.data.get("instrument"), form.typed_answers()
        outcome_services.assessment_refused(patient=patient, instrument=instrument, answers=answers)
        add_errors(form, item_9_errors(instrument, answers))  # §1 (v2): the error on item 9, beside the rest
    return submit_on_record(request, patient.pk, "measure", form, lambda data: (
        outcome_services.assessment_record(actor=request.user, patient=patient, instrument=data["instrument"],
                                           answers=data["answers"], collected_at=data["collected_at"],
                                           source=recorded_source(request.user))[0]),
        anchor="measures", success=_scored)


def _scored(assessment) -> str:
    band = f" ({assessment.band.replace('_', ' ')})" if assessment.band else ""
    return f"{assessment.get_instrument_display()} recorded: score {assessment.score:g}{band}." + (
        _outside_week_12(assessment) if assessment.instrument == Code.PGIC else "")


def _outside_week_12(assessment) -> str:
    """A PGIC is accepted any day after the plan's start; the 12-week report reads only its week-12
    window, so the PT hears when one falls outside it."""
    if window := followup_window_missed(assessment):
        return f" The 12-week report reads a PGIC collected {window[0]:%b %-d} to {window[1]:%b %-d} only."
    return ""


def _now_local() -> str:
    """Now, in the clinic's time (see web.access.requires), as a datetime-local field wants it."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _back(patient_id, anchor=""):
    return reverse("web:patient", args=[patient_id]) + (f"#{anchor}" if anchor else "")


@require_POST
@requires(Cap.REVIEW_RED_FLAGS)
def screen_red_flags(request, patient_id):
    """Complete the red-flag screen of a patient registered without one (clinical-reference §2, v2)."""
    patient = scoped(patient_list(request.user), pk=patient_id)
    return submit_on_record(request, patient.pk, "screen", forms.RedFlagScreenForm(request.POST), lambda data: (
        patient_services.patient_complete_red_flag_screen(actor=request.user, patient_id=patient.pk,
                                                          red_flags=data["red_flags"])),
        anchor="intake", success=_screened)


def _screened(patient) -> str:
    return ("Red-flag screen recorded: positive. Review the flags before activating a plan."
            if patient.red_flag_status == RedFlagStatus.POSITIVE else "Red-flag screen recorded: no red flag.")


@require_POST
@requires(Cap.REVIEW_RED_FLAGS)
def review_red_flags(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    return submit(request, forms.RedFlagReviewForm, _back(patient.pk), lambda data: (
        patient_services.patient_review_red_flags(actor=request.user, patient_id=patient.pk, **data)),
        success="Red-flag review recorded.")


@require_POST
@requires(Cap.ACKNOWLEDGE_ALERT)
def acknowledge_alert(request, patient_id, alert_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    alert = scoped(patient.alerts, pk=alert_id)
    return submit(request, forms.NoteForm, _back(patient.pk), lambda data: patient_services.alert_acknowledge(
        actor=request.user, alert_id=alert.pk, note=data["note"]), success="Alert acknowledged.")


@require_POST
@requires(Cap.LEAD_CARE_PLAN)
def create_plan(request, patient_id):
    patient = scoped(patient_list(request.user), pk=patient_id)
    form = forms.CarePlanForm(request.POST)
    if not form.is_valid():
        return invalid(request, _back(patient.pk, "plan"), form)
    data = form.cleaned_data
    goal = {"category": data["goal_category"], "description": data["goal_description"], "target": data["goal_target"]}
    return act(request, _back(patient.pk, "plan"), lambda: plan_services.care_plan_create(
        actor=request.user, patient=patient, start_date=data["start_date"], goals=[goal]),
        success="Draft care plan opened.")


@requires(Cap.LEAD_CARE_PLAN)
def edit_plan(request, plan_id):
    """The plan's goals, schedule and coverage, on one page; saved with the version the PT saw."""
    plan = scoped(care_plan_list(request.user).select_related("patient", "lead_pt"), pk=plan_id)
    if not plan_services.may_lead(request.user, plan):
        raise PermissionDenied  # as the API: the lead PT's plan (careplans.services.may_lead)
    data = request.POST or None
    form = forms.CarePlanEditForm(data, instance=plan, initial={"version": plan.version})
    goals = forms.GoalFormSet(data, prefix="goals", initial=list(plan.goals.values(*forms.GoalForm.Meta.fields)))
    if request.method == "POST" and goals.is_valid():
        done, _ = apply_form(form, lambda data: plan_services.care_plan_update(
            actor=request.user, plan_id=plan.pk, expected_version=data["version"], goals=forms.goals_of(goals),
            **form.changes()))
        if done:
            messages.success(request, "Care plan saved.")
            return redirect(_back(plan.patient_id, "plan"))
    return render(request, "web/plan_edit.html", {"form": form, "goals": goals, "plan": plan},
                  status=400 if request.method == "POST" else 200)


@require_POST
@requires(Cap.LEAD_CARE_PLAN)
def record_visit(request, plan_id):
    plan = scoped(care_plan_list(request.user), pk=plan_id)
    return submit_on_record(request, plan.patient_id, "visit", forms.VisitForm(request.POST), lambda data: (
        plan_services.visit_record(actor=request.user, care_plan=plan, **data)),
        anchor="plan", success="Visit recorded.")


TRANSITIONS = {"activate": plan_services.care_plan_activate, "pause": plan_services.care_plan_pause,
               "resume": plan_services.care_plan_resume, "discharge": plan_services.care_plan_discharge}


@require_POST
@requires(Cap.LEAD_CARE_PLAN)
def transition_plan(request, plan_id, step):
    plan = scoped(care_plan_list(request.user), pk=plan_id)
    note = request.POST.get("note", "")[:5000]
    return act(request, _back(plan.patient_id, "plan"),
               lambda: TRANSITIONS[step](actor=request.user, plan_id=plan.pk, note=note),
               success=f"Plan: {step} done.")


@require_POST
@requires(Cap.PRESCRIBE)
def prescribe(request, plan_id):
    plan = scoped(care_plan_list(request.user), pk=plan_id)
    form = forms.PrescribeForm(request.POST)
    if not form.is_valid():
        return invalid(request, _back(plan.patient_id, "prescriptions"), form)
    exercise = scoped(exercises_visible_to(request.user), pk=form.cleaned_data["exercise"])
    return act(request, _back(plan.patient_id, "prescriptions"), lambda: exercise_services.prescription_create(
        actor=request.user, care_plan=plan, exercise=exercise, **forms.dosage_of(form.cleaned_data)),
        success=f"{exercise.name} prescribed.")


@require_POST
@requires(Cap.PRESCRIBE)
def apply_template(request, plan_id):
    plan = scoped(care_plan_list(request.user), pk=plan_id)
    form = forms.ApplyTemplateForm(request.POST)
    if not form.is_valid():
        return invalid(request, _back(plan.patient_id, "prescriptions"), form)
    template = scoped(templates_visible_to(request.user), pk=form.cleaned_data["template"])
    return act(request, _back(plan.patient_id, "prescriptions"), lambda: exercise_services.template_apply(
        actor=request.user, template=template, care_plan=plan), success=f'Template "{template.name}" applied.')


def _prescription(request, prescription_id):
    return scoped(prescriptions_visible_to(request.user).select_related("care_plan", "exercise"), pk=prescription_id)


@require_POST
@requires(Cap.PRESCRIBE)
def modify_prescription(request, prescription_id):
    prescription = _prescription(request, prescription_id)
    back = _back(prescription.care_plan.patient_id, f"rx-{prescription.pk}")
    return submit(request, forms.ModifyForm, back, lambda data: exercise_services.prescription_modify(
        actor=request.user, prescription_id=prescription.pk, expected_version=data["version"], reason=data["reason"],
        note=data["note"], **forms.dosage_of(data)), success=f"{prescription.exercise.name} changed.")


@require_POST
@requires(Cap.PRESCRIBE)
def step_prescription(request, prescription_id, direction):
    """Progress or regress to the exercise the library links to."""
    prescription = _prescription(request, prescription_id)
    back = _back(prescription.care_plan.patient_id, f"rx-{prescription.pk}")
    form = forms.StepForm(request.POST)
    if not form.is_valid():
        return invalid(request, back, form)
    target = getattr(prescription.exercise, direction) if direction in ("progression", "regression") else None
    if target is None:
        messages.error(request, f"This exercise has no {direction} in the library.")
        return redirect(back)
    return act(request, back, lambda: exercise_services.prescription_modify(
        actor=request.user, prescription_id=prescription.pk, expected_version=form.cleaned_data["version"],
        reason=direction, note=form.cleaned_data["note"], exercise=target),
        success=f"{prescription.exercise.name} → {target.name}.")


@require_POST
@requires(Cap.PRESCRIBE)
def discontinue_prescription(request, prescription_id):
    prescription = _prescription(request, prescription_id)
    back = _back(prescription.care_plan.patient_id, "prescriptions")
    return submit(request, forms.DiscontinueForm, back, lambda data: exercise_services.prescription_discontinue(
        actor=request.user, prescription_id=prescription.pk, expected_version=data["version"], reason=data["reason"],
        note=data["note"]), success=f"{prescription.exercise.name} discontinued.")
