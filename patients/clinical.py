"""Clinical rules of intake: episode type and red flags (clinical-reference §2)."""

from datetime import date

from django.db import models

# clinical-reference §2: acute < 6 weeks, subacute 6 to < 12 weeks, chronic >= 12 weeks, counted
# from pain onset to care-plan start. The ACP 2017 guideline uses < 4 weeks for acute: change here only.
ACUTE_BEFORE_DAYS = 6 * 7
SUBACUTE_BEFORE_DAYS = 12 * 7


class EpisodeType(models.TextChoices):
    ACUTE = "acute"
    SUBACUTE = "subacute"
    CHRONIC = "chronic"


def episode_type(onset: date | None, at: date) -> str | None:
    if onset is None:
        return None
    days = (at - onset).days
    if days < ACUTE_BEFORE_DAYS:
        return EpisodeType.ACUTE
    if days < SUBACUTE_BEFORE_DAYS:
        return EpisodeType.SUBACUTE
    return EpisodeType.CHRONIC


class DaysBetween(models.Func):
    """`later - earlier` in whole days (PostgreSQL date subtraction)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = models.IntegerField()


def episode_type_sql(onset: str, start: str) -> str:
    """`episode_type` as SQL over two date expressions (`"p.pain_onset_date"`, `"cp.start_date"`), written
    from the same constants, for set-based queries such as the report's episode-type segments."""
    return (f"CASE WHEN {start} - {onset} < {ACUTE_BEFORE_DAYS} THEN '{EpisodeType.ACUTE.value}' "
            f"WHEN {start} - {onset} < {SUBACUTE_BEFORE_DAYS} THEN '{EpisodeType.SUBACUTE.value}' "
            f"ELSE '{EpisodeType.CHRONIC.value}' END")


class RedFlagCategory(models.TextChoices):
    """The condition a red flag points to (clinical-reference §2, v2), in the order the form shows them."""

    CAUDA_EQUINA = "cauda_equina", "Cauda equina syndrome"
    VASCULAR = "vascular", "Vascular (abdominal aortic aneurysm)"
    FRACTURE = "fracture", "Fracture"
    CANCER = "cancer", "Cancer"
    INFECTION = "infection", "Infection"


# clinical-reference §2 (v2): these conditions need same-day emergency assessment
EMERGENCY_CATEGORIES = (RedFlagCategory.CAUDA_EQUINA, RedFlagCategory.VASCULAR)


class RedFlag(models.TextChoices):
    """clinical-reference §2 (v2): AHCPR 1994 table 1, ACP/APS 2007, NICE CKS, Finucane et al. 2020.
    The codes stored before v2 stay valid (existing rows and API clients); two of them group several
    v2 items under one checkbox."""

    SADDLE_ANAESTHESIA = "saddle_anaesthesia", "Saddle anaesthesia (numbness between the legs or buttocks)"
    BLADDER_DYSFUNCTION = "bladder_dysfunction", "Recent bladder dysfunction (retention, frequency, overflow)"
    BOWEL_DYSFUNCTION = "bowel_dysfunction", "Bowel incontinence or loss of anal sensation"
    SEXUAL_DYSFUNCTION = "sexual_dysfunction", "New sexual dysfunction or loss of genital sensation"
    BILATERAL_LEG_SYMPTOMS = "bilateral_leg_symptoms", "Sciatica or leg symptoms in both legs"
    PROGRESSIVE_NEURO_DEFICIT = "progressive_neuro_deficit", "Severe or progressive neurological deficit in the legs"
    PULSATILE_ABDOMINAL_MASS = "pulsatile_abdominal_mass", (
        "Pulsatile abdominal mass, or back pain with a known abdominal aortic aneurysm"
    )
    MAJOR_TRAUMA = "major_trauma", "Major trauma"
    MINOR_TRAUMA_AT_RISK = "minor_trauma_at_risk", (
        "Minor trauma or strenuous lifting in an older or osteoporotic patient"
    )
    PROLONGED_CORTICOSTEROIDS = "prolonged_corticosteroids", "Prolonged corticosteroid use"
    KNOWN_OSTEOPOROSIS = "known_osteoporosis", "Known osteoporosis"
    STRUCTURAL_DEFORMITY = "structural_deformity", "Structural deformity of the spine"
    HISTORY_OF_CANCER = "history_of_cancer", "History of cancer"
    UNEXPLAINED_WEIGHT_LOSS = "unexplained_weight_loss", "Unexplained weight loss"
    PAIN_WORSE_LYING_OR_NIGHT = "pain_worse_lying_or_night", "Pain worse lying down or severe at night"
    THORACIC_PAIN = "thoracic_pain", "New non-mechanical thoracic (mid-back) pain"
    FEVER_OR_CHILLS = "fever_or_chills", "Fever or chills"
    INFECTION_RISK = "infection_risk", (
        "Recent bacterial infection, IV drug use or immunosuppression (HIV, transplant, long-term steroids)"
    )
    HISTORY_OF_TUBERCULOSIS = "history_of_tuberculosis", "History of tuberculosis"
    # before v2: one item for what v2 splits into fever or chills (infection) and unexplained weight loss (cancer)
    FEVER_CHILLS_WEIGHT_LOSS = "fever_chills_weight_loss", "Fever, chills or unexplained weight loss (older item)"


_C = RedFlagCategory
# Each flag and the conditions it points to; the combined pre-v2 item points to both of its conditions,
# so that neither is missed in the review.
RED_FLAG_CATEGORIES = {
    RedFlag.SADDLE_ANAESTHESIA: (_C.CAUDA_EQUINA,),
    RedFlag.BLADDER_DYSFUNCTION: (_C.CAUDA_EQUINA,),
    RedFlag.BOWEL_DYSFUNCTION: (_C.CAUDA_EQUINA,),
    RedFlag.SEXUAL_DYSFUNCTION: (_C.CAUDA_EQUINA,),
    RedFlag.BILATERAL_LEG_SYMPTOMS: (_C.CAUDA_EQUINA,),
    RedFlag.PROGRESSIVE_NEURO_DEFICIT: (_C.CAUDA_EQUINA,),
    RedFlag.PULSATILE_ABDOMINAL_MASS: (_C.VASCULAR,),
    RedFlag.MAJOR_TRAUMA: (_C.FRACTURE,),
    RedFlag.MINOR_TRAUMA_AT_RISK: (_C.FRACTURE,),
    RedFlag.PROLONGED_CORTICOSTEROIDS: (_C.FRACTURE,),
    RedFlag.KNOWN_OSTEOPOROSIS: (_C.FRACTURE,),
    RedFlag.STRUCTURAL_DEFORMITY: (_C.FRACTURE,),
    RedFlag.HISTORY_OF_CANCER: (_C.CANCER,),
    RedFlag.UNEXPLAINED_WEIGHT_LOSS: (_C.CANCER,),
    RedFlag.PAIN_WORSE_LYING_OR_NIGHT: (_C.CANCER,),
    RedFlag.THORACIC_PAIN: (_C.CANCER,),
    RedFlag.FEVER_OR_CHILLS: (_C.INFECTION,),
    RedFlag.INFECTION_RISK: (_C.INFECTION,),
    RedFlag.HISTORY_OF_TUBERCULOSIS: (_C.INFECTION,),
    RedFlag.FEVER_CHILLS_WEIGHT_LOSS: (_C.INFECTION, _C.CANCER),
}
# asked no more at intake: a patient's stored answer stays, but a new screen asks the v2 items
LEGACY_RED_FLAGS = (RedFlag.FEVER_CHILLS_WEIGHT_LOSS,)


def red_flag_categories(flags) -> list[str]:
    """The conditions `flags` point to, in the order of RedFlagCategory (emergencies first)."""
    found = {category for flag in flags for category in RED_FLAG_CATEGORIES[RedFlag(flag)]}
    return [category for category in RedFlagCategory if category in found]


def emergency_categories(flags) -> list[str]:
    """The emergency conditions among `flags` (clinical-reference §2, v2: cauda equina, vascular)."""
    return [category for category in red_flag_categories(flags) if category in EMERGENCY_CATEGORIES]


def red_flags_by_category(flags=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """(condition label, [(code, label)]) groups for a form: every v2 flag, and of the pre-v2 items
    only those in `flags` (a stored answer is shown, never dropped)."""
    kept = set(flags or ())
    return [(category.label, [(flag.value, flag.label) for flag in RedFlag
                              if RED_FLAG_CATEGORIES[flag][0] == category
                              and (flag not in LEGACY_RED_FLAGS or flag in kept)])
            for category in RedFlagCategory]


def age(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def age_is_risk_factor(years: int) -> bool:
    """Age > 50 or < 20 is shown as a risk factor, not a flag (clinical-reference §2)."""
    return years > 50 or years < 20
