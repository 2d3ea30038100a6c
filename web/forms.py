"""Forms for the workspace pages. They validate the edge; the services decide (and say no with
the same errors the API gives)."""

import re

from django import forms

from accounts.models import Clinic
from accounts.roles import Role
from accounts.selectors import clinicians_visible_to
from careplans.models import CarePlan, Equipment, Goal, GoalCategory, Modality, Visit
from coaching.models import DAYS_PER_WEEK, Barrier, CheckIn, HabitGoal
from core.bounds import BoundedDateFormField, BoundedDateTimeFormField, Kind
from exercises.models import ChangeReason, Side
from outcomes.instruments import PGIC_ANSWERS, Code
from outcomes.models import OutcomeReport
from patients.clinical import red_flags_by_category
from patients.models import Patient, RedFlagStatus, Symptom

MODIFY_REASONS = [choice for choice in ChangeReason.choices if choice[0] != ChangeReason.PRESCRIBED]
DATE = forms.DateInput(attrs={"type": "date"})
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"})


def any_of(choices, **kwargs) -> forms.MultipleChoiceField:
    """None, one or several of `choices`, as checkboxes."""
    return forms.MultipleChoiceField(choices=choices, required=False, widget=forms.CheckboxSelectMultiple, **kwargs)


class IntakeForm(forms.ModelForm):
    """The intake of API.md's patient record. The model validates the fields (phone, time zone,
    onset after birth); `patients.services` decides the rest and answers in the same words as the API."""

    symptoms = any_of(Symptom.choices)
    # clinical-reference §2 (v2): asked explicitly, no answer preselected; only at registration (a
    # registered patient's screen is completed on the patient's page)
    red_flag_screened = forms.TypedChoiceField(
        label="Red-flag screen completed?", widget=forms.RadioSelect, coerce=lambda answer: answer == "yes",
        choices=[("yes", "Yes: I asked about every red flag below"), ("no", "No: not yet (no plan can be activated "
                                                                            "until the screen is completed)")],
        help_text="A ticked red flag counts as a positive screen, whatever the answer here.")
    red_flags = any_of([], help_text="Tick every flag found. A new red flag makes the status positive and alerts the "
                                     "care team (an emergency for cauda equina or vascular signs); removing one does "
                                     "not clear it.")
    date_of_birth = BoundedDateFormField(kind=Kind.PAST_DATE, widget=DATE)
    pain_onset_date = BoundedDateFormField(kind=Kind.PAST_DATE, widget=DATE)

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "sex", "email", "phone", "timezone", "reminder_channel",
                  "pain_region", "pain_onset_date", "symptoms", "red_flags", "primary_pt", "coach"]
        help_texts = {"timezone": "IANA name, e.g. America/New_York"}

    field_order = [*Meta.fields[:Meta.fields.index("red_flags")], "red_flag_screened"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["red_flags"].choices = red_flags_by_category(self.instance.red_flags)
        if self.instance.pk:
            del self.fields["red_flag_screened"]
        self.fields["primary_pt"].queryset = clinicians_visible_to(user, Role.PT).order_by("last_name", "first_name")
        self.fields["coach"].queryset = clinicians_visible_to(user, Role.COACH).order_by("last_name", "first_name")
        self.fields["primary_pt"].label = "Primary PT"

    def changes(self) -> dict:
        """What the user changed, for `patient_update` (everything, for `patient_create`)."""
        return {name: self.cleaned_data[name] for name in (self.changed_data if self.instance.pk else self.fields)}


class MeasureForm(forms.Form):
    """One completed instrument. The answers are typed as the paper form has them; the server
    scores them (clinical-reference §1) and refuses a wrong count or range with the API's words."""

    instrument = forms.ChoiceField(choices=Code.choices)
    collected_at = BoundedDateTimeFormField(kind=Kind.CLINICAL_TIME, widget=WHEN, label="When")
    answers = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Item answers in order, separated by spaces, e.g. NPRS: 6; ODI: 2 1 3 - 2 1 0 2 1 1 "
                  "(- for a section left blank). PSFS: one activity per line, \"activity: rating\". "
                  "PGIC (at week 12): " + ", ".join(f"{value} {label}" for value, label in PGIC_ANSWERS.items()) + ".")

    def clean(self):
        data = super().clean()
        if "answers" not in data:
            return data
        text = data["answers"]
        try:
            data["answers"] = (_psfs_answers(text) if data.get("instrument") == Code.PSFS else
                               [None if item == "-" else int(item) for item in re.split(r"[\s,;]+", text.strip())])
        except ValueError:
            self.add_error("answers", "Write whole numbers separated by spaces (PSFS: \"activity: rating\" lines).")
        return data

    def typed_answers(self) -> list:
        """The answers as typed, token by token, whatever the form thinks of the rest: a refused
        PHQ-9 still has its item 9 read (clinical-reference §1, v2)."""
        items = re.split(r"[\s,;]+", str(self.data.get("answers", "")).strip())
        return [None if item == "-" else int(item) if re.fullmatch(r"[0-9]{1,3}", item) else item for item in items]


class PsfsFollowUpForm(MeasureForm):
    """A PSFS at follow-up, with the activities of the plan's first PSFS filled in to be rated again
    (clinical-reference §1, v2); a new one may be added on a line of its own."""

    instrument = forms.CharField(widget=forms.HiddenInput, initial=Code.PSFS)

    def __init__(self, *args, activities: list[str], **kwargs):
        kwargs.setdefault("initial", {})["answers"] = "\n".join(f"{label}: " for label in activities)
        super().__init__(*args, auto_id="psfs_%s", **kwargs)
        self.fields["answers"].label = "Activities"
        self.fields["answers"].widget.attrs["rows"] = 5
        self.fields["answers"].help_text = "Rate each activity 0 (unable) to 10 (as before) after its colon."


def _psfs_answers(text: str) -> list[dict]:
    activities = []
    for line in filter(None, (line.strip() for line in re.split(r"[\n;]", text))):
        label, _, rating = line.rpartition(":")
        activities.append({"label": label.strip(), "rating": int(rating)})
    return activities


class RedFlagScreenForm(forms.Form):
    """Complete the screen of a patient registered without one (clinical-reference §2, v2)."""

    red_flags = any_of(red_flags_by_category(), label="Red flags found",
                       help_text="Leave every box unticked when the screen found none.")
    completed = forms.BooleanField(label="I asked the patient about every red flag above")


class RedFlagReviewForm(forms.Form):
    # no default outcome (clinical-reference §2, v2): the PT chooses, even for a cauda equina emergency
    outcome = forms.ChoiceField(choices=[("", "Choose the outcome"), (RedFlagStatus.CLEARED, "Cleared"),
                                         (RedFlagStatus.REFERRED, "Referred")])
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class CarePlanForm(forms.Form):
    start_date = BoundedDateFormField(kind=Kind.PLAN_DATE, widget=DATE)
    goal_category = forms.ChoiceField(choices=GoalCategory.choices, label="First goal")
    goal_description = forms.CharField(max_length=300, label="Goal")
    goal_target = forms.CharField(max_length=200, label="Measurable target", help_text='e.g. "NPRS <= 3"')


class CarePlanEditForm(forms.ModelForm):
    """The plan's schedule and coverage; `careplans.services.care_plan_update` decides what may
    change (the start date only on a draft, nothing once discharged) and checks the version."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    start_date = BoundedDateFormField(kind=Kind.PLAN_DATE, widget=DATE)
    modalities = any_of(Modality.choices)
    equipment = any_of(Equipment.choices, label="Equipment at home")

    class Meta:
        model = CarePlan
        fields = ["start_date", "planned_weeks", "payer", "referral_required", "visit_limit", "modalities", "equipment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status != CarePlan.Status.DRAFT:
            self.fields["start_date"].disabled = True
            self.fields["start_date"].help_text = "Fixed once the plan is active."
            self.fields["start_date"].validators = []  # not the PT's input: the plan's own date, kept as it is

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["category", "description", "target"]


GoalFormSet = forms.formset_factory(GoalForm, extra=1, can_delete=True, min_num=1, validate_min=True)


def goals_of(formset) -> list[dict]:
    """The goals the PT kept or added, in order (blank extra rows and deleted ones left out)."""
    return [{name: form.cleaned_data[name] for name in GoalForm.Meta.fields} for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")]


class VisitForm(forms.Form):
    occurred_at = BoundedDateTimeFormField(kind=Kind.CLINICAL_TIME, widget=WHEN, label="When")
    kind = forms.ChoiceField(choices=Visit.Kind.choices)
    mode = forms.ChoiceField(choices=Visit.Mode.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, required=False)


class DosageForm(forms.Form):
    sets = forms.IntegerField(min_value=1, max_value=10, required=False)
    reps = forms.IntegerField(min_value=1, max_value=100, required=False)
    hold_seconds = forms.IntegerField(min_value=1, max_value=3600, required=False, label="Hold (s)")
    times_per_week = forms.IntegerField(min_value=1, max_value=14, required=False, label="Times a week")
    side = forms.ChoiceField(choices=Side.choices, required=False)
    load = forms.CharField(max_length=100, required=False)
    notes = forms.CharField(max_length=5000, required=False)


# The bounds the page's dosage inputs carry (min/max), the form's own.
DOSAGE_LIMITS = {name: {"min": field.min_value, "max": field.max_value}
                 for name, field in DosageForm.base_fields.items() if isinstance(field, forms.IntegerField)}


def dosage_of(data: dict) -> dict:
    """The dosage fields the PT filled in (an empty field leaves the value as it is)."""
    return {name: value for name, value in data.items() if name in DosageForm.base_fields and value not in (None, "")}


class PrescribeForm(DosageForm):
    exercise = forms.IntegerField(min_value=1)


class ModifyForm(DosageForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=MODIFY_REASONS)
    note = forms.CharField(max_length=5000, required=False)


class StepForm(forms.Form):
    """Progress or regress to the linked library exercise."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(max_length=5000, required=False)


class DiscontinueForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=MODIFY_REASONS)
    note = forms.CharField(max_length=5000, required=False)


class ApplyTemplateForm(forms.Form):
    template = forms.IntegerField(min_value=1)


class CheckInForm(forms.Form):
    occurred_at = BoundedDateTimeFormField(kind=Kind.CLINICAL_TIME, widget=WHEN, label="When")
    channel = forms.ChoiceField(choices=CheckIn.Channel.choices)
    mood = forms.IntegerField(min_value=1, max_value=5, help_text="1 very low, 5 very good")
    confidence = forms.IntegerField(min_value=0, max_value=10, help_text="0-10")
    barriers = any_of(Barrier.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, required=False)
    agreed = forms.CharField(max_length=5000, required=False, label="Agreed next steps")
    next_check_in = BoundedDateFormField(kind=Kind.PLAN_DATE, widget=DATE, required=False)


class CoachingNoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20000, label="Note")


class HabitGoalForm(forms.Form):
    description = forms.CharField(max_length=300)
    target_per_week = forms.IntegerField(min_value=1, max_value=DAYS_PER_WEEK, label="Days a week")


class HabitLogForm(forms.Form):
    date = BoundedDateFormField(kind=Kind.PAST_DATE, widget=DATE)


HABIT_STATUSES = HabitGoal.Status.choices


class HabitStatusForm(forms.Form):
    status = forms.ChoiceField(choices=HABIT_STATUSES)


SEGMENT_CHOICES = {value: {"pt": "PT"}.get(value, label.capitalize()) for value, label in OutcomeReport.Segment.choices}


class ReportForm(forms.Form):
    start_from = BoundedDateFormField(kind=Kind.REPORT_DATE, widget=DATE, label="Plans starting from")
    start_to = BoundedDateFormField(kind=Kind.REPORT_DATE, widget=DATE, label="to")
    as_of = BoundedDateFormField(kind=Kind.REPORT_DATE, widget=DATE, label="Report date", required=False)
    segment_by = forms.ChoiceField(choices=[("", "No segments"), *SEGMENT_CHOICES.items()], required=False)


class StaffForm(forms.Form):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(widget=forms.PasswordInput, max_length=256, help_text="At least 10 characters.")


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = ["reminder_after_days", "quiet_hours_start", "quiet_hours_end", "restrict_to_care_team"]
        widgets = {"quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member} ({member.email})"


class AuditFilterForm(forms.Form):
    patient = forms.CharField(max_length=100, required=False, label="Patient name")
    user = StaffChoiceField(queryset=None, required=False, empty_label="Anyone", label="Staff member")
    sign_ins = forms.BooleanField(required=False, label="Show sign-ins",
                                  help_text="Each sign-in stamps the user's last login; hidden unless asked for.")

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
