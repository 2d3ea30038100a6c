"""The manager's workspace: outcome dashboard and reports, staff, reminder settings, audit trail."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.roles import Cap, Role
from accounts.selectors import clinics_visible_to, staff_visible_to
from accounts.services import two_factor
from careplans.models import CarePlan
from careplans.selectors import care_plans_visible_to
from core.api.filters import IdField
from core.clock import local_today
from exercises.selectors import plan_adherence_sql
from outcomes import services as outcome_services
from outcomes import windows
from outcomes.models import OutcomeReport
from outcomes.selectors import reports_visible_to
from outcomes.snapshot import segment_plans
from patients.selectors import audit_events, care_teams_of
from web import audit_page, forms, report_page
from web.access import requires, scoped
from web.views.common import act, invalid, submit


def _report_page(user, report: OutcomeReport) -> dict:
    """The snapshot as the manager reads it. Version 1 stored PTs and coaches by id: their names,
    in one query, when a segment has no label."""
    segments = report.results.get("segments", [])
    ids = {s["segment"] for s in segments if not s.get("label") and str(s["segment"]).isdigit()}
    names = {str(member.pk): str(member)
             for member in staff_visible_to(user).filter(pk__in=ids)} if ids else {}
    return report_page.report_views(report.results, report.segment_by, names)


def _has_plans(report: OutcomeReport) -> bool:
    """A done report with mature plans to show (one without any says so instead of empty tables)."""
    return report.status == OutcomeReport.Status.DONE and bool(segment_plans(report.results or {}))


def _id_or_none(text: str) -> int | None:
    """A database id typed in a query string ("²" or 30 digits are no id), else None."""
    try:
        return IdField().clean(text)
    except ValidationError:
        return None


def _report_form(request, today) -> tuple[forms.ReportForm, dict]:
    """The request form, filled in with a preset window when one was picked (?preset=last_quarter)."""
    presets = windows.report_presets(today)
    chosen = presets.get(request.GET.get("preset", ""), {})
    initial = {"segment_by": "episode_type"} | {name: chosen[name] for name in ("start_from", "start_to", "as_of")
                                                if name in chosen}
    return forms.ReportForm(initial=initial), presets


@requires(Cap.REQUEST_REPORT)
def dashboard(request):
    user = request.user
    # the clinic's today (the server's zone for an admin across clinics), as report_request takes it
    today = local_today(user.clinic.timezone if user.clinic_id else settings.TIME_ZONE)
    form, presets = _report_form(request, today)
    plans = care_plans_visible_to(user)
    active = plans.filter(status=CarePlan.Status.ACTIVE)
    summary = active.aggregate(patients=Count("patient", distinct=True),
                               adherence=Avg(plan_adherence_sql("id")))
    reports = list(reports_visible_to(user).select_related("requested_by")[:12])
    chosen = request.GET.get("report")
    report = next((r for r in reports if str(r.pk) == chosen), None) if chosen else next(
        (r for r in reports if r.status == OutcomeReport.Status.DONE), None)
    if chosen and report is None and (report_id := _id_or_none(chosen)):
        report = scoped(reports_visible_to(user), pk=report_id)
    return render(request, "web/dashboard.html", {
        "summary": summary,
        "open_plans": plans.filter(status__in=CarePlan.OPEN_STATUSES).count(),
        "reports": reports,
        "report": report,
        "page": _report_page(user, report) if report and _has_plans(report) else None,
        "form": form,
        "presets": presets,
        "latest_mature_start": windows.latest_mature_start(today),
        "segment_by_label": forms.SEGMENT_CHOICES.get(report.segment_by, "") if report else "",
    })


@require_POST
@requires(Cap.REQUEST_REPORT)
def request_report(request):
    form = forms.ReportForm(request.POST)
    if not form.is_valid():
        return invalid(request, reverse("web:dashboard"), form)
    data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    clinic = request.user.clinic
    created = []
    response = act(request, reverse("web:dashboard"), lambda: created.append(outcome_services.report_request(
        actor=request.user, clinic=clinic, **data)), success="Report requested; it is being computed.")
    return redirect(f"{reverse('web:dashboard')}?report={created[0].pk}") if created else response


@requires(Cap.MANAGE_STAFF)
def staff(request):
    if request.method == "POST":
        form = forms.StaffForm(request.POST)
        if not form.is_valid():
            return invalid(request, reverse("web:staff"), form)
        return act(request, reverse("web:staff"), lambda: account_services.staff_create(
            clinic=request.user.clinic, **form.cleaned_data), success=f"{form.cleaned_data['email']} added.")
    members = two_factor.with_status(staff_visible_to(request.user)).order_by("-is_active", "role", "last_name")
    return render(request, "web/staff.html", {"members": members, "form": forms.StaffForm(), "roles": Role.choices})


@require_POST
@requires(Cap.MANAGE_STAFF)
def deactivate_staff(request, user_id):
    member = scoped(staff_visible_to(request.user), pk=user_id)
    return act(request, reverse("web:staff"), lambda: account_services.staff_deactivate(user=member),
               success=f"{member.email} can no longer sign in.")


@require_POST
@requires(Cap.MANAGE_STAFF)
def change_role(request, user_id):
    """A new role leaves the member's care teams as they are: the manager is told how many to look at."""
    member = scoped(staff_visible_to(request.user), pk=user_id)
    teams = care_teams_of(request.user, member).count()
    note = (f" They are still on the care team of {teams} patient{pluralize(teams)}: reassign them on each "
            f"patient's intake where the new role does not fit.") if teams else ""
    return submit(request, forms.StaffRoleForm, reverse("web:staff"), lambda data: account_services.staff_role_change(
        actor=request.user, user=member, role=data["role"]), success=f"{member.email} changed role.{note}")


@require_POST
@requires(Cap.MANAGE_STAFF)
def send_password_reset(request, user_id):
    member = scoped(staff_visible_to(request.user), pk=user_id)
    return act(request, reverse("web:staff"), lambda: account_services.staff_password_reset(
        actor=request.user, user=member), success=f"A password-reset link is on its way to {member.email}.")


@require_POST
@requires(Cap.MANAGE_STAFF)
def reset_two_factor(request, user_id):
    """A staff member lost their phone: they sign in with the password alone and set it up again."""
    member = scoped(staff_visible_to(request.user), pk=user_id)
    return act(request, reverse("web:staff"), lambda: two_factor.reset(member, actor=request.user),
               success=f"Two-factor authentication of {member.email} was reset.")


@requires(Cap.MANAGE_CLINIC)
def clinic_settings(request):
    clinic = scoped(clinics_visible_to(request.user), pk=request.user.clinic_id)
    form = forms.ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST":
        if not form.is_valid():
            return invalid(request, reverse("web:settings"), form)
        account_services.clinic_update(clinic=clinic, **form.cleaned_data)
        messages.success(request, "Reminder settings saved.")
        return redirect("web:settings")
    return render(request, "web/settings.html", {"form": form, "clinic": clinic})


@requires(Cap.READ_AUDIT)
def audit_trail(request):
    """Who viewed or changed what, by name: filter by a patient's name or a staff member; sign-ins
    (`last_login` stamps) only when asked for. Filters that do not hold are a 400 with their errors."""
    user = request.user
    form = forms.AuditFilterForm(request.GET or None,
                                 staff=staff_visible_to(user).order_by("last_name", "first_name", "id"))
    if form.is_bound and not form.is_valid():
        return render(request, "web/audit.html", {"form": form, "rows": []}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    events = audit_events(user, patient_name=filters.get("patient", ""), actor=filters.get("user"),
                         sign_ins=filters.get("sign_ins", False))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "form": form, "rows": audit_page.audit_rows(user, page)})
