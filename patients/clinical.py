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


def episode_type_sql(onset, start) -> models.Case:
    """`episode_type` as a database expression over two date expressions, for set-based queries."""
    days = DaysBetween(start, onset)
    return models.Case(
        models.When(models.lookups.LessThan(days, ACUTE_BEFORE_DAYS), then=models.Value(EpisodeType.ACUTE)),
        models.When(models.lookups.LessThan(days, SUBACUTE_BEFORE_DAYS), then=models.Value(EpisodeType.SUBACUTE)),
        default=models.Value(EpisodeType.CHRONIC),
        output_field=models.CharField(),
    )


class RedFlagCategory(models.TextChoices):
    FRACTURE = "fracture"
    TUMOUR_OR_INFECTION = "tumour_or_infection"
    CAUDA_EQUINA = "cauda_equina"


class RedFlag(models.TextChoices):
    """clinical-reference §2 (AHCPR, Acute Low Back Problems in Adults, table 1)."""

    MAJOR_TRAUMA = "major_trauma", "Major trauma"
    MINOR_TRAUMA_AT_RISK = "minor_trauma_at_risk", (
        "Minor trauma or strenuous lifting in an older or osteoporotic patient"
    )
    HISTORY_OF_CANCER = "history_of_cancer", "History of cancer"
    FEVER_CHILLS_WEIGHT_LOSS = "fever_chills_weight_loss", "Fever, chills or unexplained weight loss"
    INFECTION_RISK = "infection_risk", "Recent bacterial infection, IV drug use or immunosuppression"
    PAIN_WORSE_LYING_OR_NIGHT = "pain_worse_lying_or_night", "Pain worse lying down or severe at night"
    SADDLE_ANAESTHESIA = "saddle_anaesthesia", "Saddle anaesthesia"
    BLADDER_DYSFUNCTION = "bladder_dysfunction", "Recent bladder dysfunction (retention, frequency, overflow)"
    PROGRESSIVE_NEURO_DEFICIT = "progressive_neuro_deficit", "Severe or progressive neurological deficit in the legs"


RED_FLAG_CATEGORY = {
    RedFlag.MAJOR_TRAUMA: RedFlagCategory.FRACTURE,
    RedFlag.MINOR_TRAUMA_AT_RISK: RedFlagCategory.FRACTURE,
    RedFlag.HISTORY_OF_CANCER: RedFlagCategory.TUMOUR_OR_INFECTION,
    RedFlag.FEVER_CHILLS_WEIGHT_LOSS: RedFlagCategory.TUMOUR_OR_INFECTION,
    RedFlag.INFECTION_RISK: RedFlagCategory.TUMOUR_OR_INFECTION,
    RedFlag.PAIN_WORSE_LYING_OR_NIGHT: RedFlagCategory.TUMOUR_OR_INFECTION,
    RedFlag.SADDLE_ANAESTHESIA: RedFlagCategory.CAUDA_EQUINA,
    RedFlag.BLADDER_DYSFUNCTION: RedFlagCategory.CAUDA_EQUINA,
    RedFlag.PROGRESSIVE_NEURO_DEFICIT: RedFlagCategory.CAUDA_EQUINA,
}


def red_flag_categories(flags) -> list[str]:
    return sorted({RED_FLAG_CATEGORY[RedFlag(flag)] for flag in flags})


def is_emergency(flags) -> bool:
    """A cauda equina flag is an emergency (clinical-reference §2)."""
    return RedFlagCategory.CAUDA_EQUINA in red_flag_categories(flags)


def age(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def age_is_risk_factor(years: int) -> bool:
    """Age > 50 or < 20 is shown as a risk factor, not a flag (clinical-reference §2)."""
    return years > 50 or years < 20
