"""Outcome instruments: answers, scores and bands exactly as clinical-reference §1 says.

The server computes every score from the answers; a client never sends one. A wrong number of
answers or a value out of range is an error, and nothing is stored."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from core.errors import InvalidInput


class Code(models.TextChoices):
    NPRS = "nprs", "Numeric Pain Rating Scale"
    ODI = "odi", "Oswestry Disability Index"
    PHQ9 = "phq9", "PHQ-9"
    PHQ2 = "phq2", "PHQ-2"
    GAD7 = "gad7", "GAD-7"
    GAD2 = "gad2", "GAD-2"
    PSFS = "psfs", "Patient-Specific Functional Scale"
    PGIC = "pgic", "Patient Global Impression of Change"


ONE_DECIMAL = Decimal("0.1")
ODI_MIN_ANSWERED = 8  # clinical-reference §1: product rule
PHQ9_SELF_HARM_ITEM = 9  # clinical-reference §1, safety rule (Simon et al. 2013)
PSFS_LABEL_MAX = 100
# clinical-reference §1 (v2): the PGIC answers as the patient reads them
PGIC_ANSWERS = {1: "very much improved", 2: "much improved", 3: "minimally improved", 4: "no change",
                5: "minimally worse", 6: "much worse", 7: "very much worse"}


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _bands(*upper_bounds: tuple[float, str]) -> Callable[[Decimal], str]:
    """Bands by inclusive upper bound, e.g. ((4, "minimal"), (9, "mild"), ...)."""

    def band(score: Decimal) -> str:
        for upper, name in upper_bounds:
            if score <= upper:
                return name
        raise AssertionError(f"score {score} above every band")

    return band


def _screen(score: Decimal) -> str:
    return "positive" if score >= 3 else "negative"  # PHQ-2 / GAD-2: >= 3 is a positive screen


@dataclass(frozen=True)
class Instrument:
    code: str
    loinc: str | None
    answers: int | None  # exact count; None for PSFS (1-5 activities)
    low: int
    high: int
    band: Callable[[Decimal], str] | None
    score_max: Decimal

    def score(self, answers) -> Decimal:
        """Validate the answers and compute the score (400 via InvalidInput otherwise)."""
        if self.code == Code.PSFS:
            return _psfs_score(answers)
        if not isinstance(answers, list) or len(answers) != self.answers:
            raise InvalidInput({"answers": [f"{self.code} needs exactly {self.answers} answers."]})
        allowed_missing = self.code == Code.ODI
        for position, value in enumerate(answers, start=1):
            if value is None and allowed_missing:
                continue
            if not _is_int(value) or not self.low <= value <= self.high:
                raise InvalidInput({"answers": [
                    f"Answer {position} must be a whole number from {self.low} to {self.high}."]})
        if self.code == Code.ODI:
            return _odi_score(answers)
        return Decimal(sum(answers))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _odi_score(answers: list) -> Decimal:
    """Sum ÷ (5 × answered sections) × 100, one decimal; at least 8 of 10 sections answered."""
    answered = [value for value in answers if value is not None]
    if len(answered) < ODI_MIN_ANSWERED:
        raise InvalidInput({"answers": [f"At least {ODI_MIN_ANSWERED} of the 10 ODI sections must be answered."]})
    return _one_decimal(Decimal(sum(answered)) * 100 / (5 * len(answered)))


def _psfs_score(answers) -> Decimal:
    """1-5 activities, each {"label", "rating" 0-10}, labels unique (without case and surrounding
    spaces, clinical-reference §1 v2); the score is the mean rating, one decimal."""
    if not isinstance(answers, list) or not 1 <= len(answers) <= 5:
        raise InvalidInput({"answers": ["psfs needs 1 to 5 activities."]})
    seen = set()
    for position, item in enumerate(answers, start=1):
        label = item.get("label") if isinstance(item, dict) else None
        rating = item.get("rating") if isinstance(item, dict) else None
        if set(item if isinstance(item, dict) else {}) != {"label", "rating"} or not isinstance(label, str) \
                or not label.strip() or len(label.strip()) > PSFS_LABEL_MAX or not _is_int(rating) \
                or not 0 <= rating <= 10:
            raise InvalidInput({"answers": [
                f'Activity {position} must be {{"label": a short text, "rating": a whole number 0-10}}.']})
        if _psfs_label_key(label) in seen:
            raise InvalidInput({"answers": [f'Activity {position} ("{label.strip()}") is already rated above; '
                                            "rate each activity once."]})
        seen.add(_psfs_label_key(label))
    return _one_decimal(Decimal(sum(item["rating"] for item in answers)) / len(answers))


def _psfs_label_key(label: str) -> str:
    """Two PSFS labels name the same activity when they differ only in case and surrounding spaces."""
    return label.strip().casefold()


def psfs_stripped(answers):
    """The activities as stored: labels without surrounding spaces; anything else is left for the
    validation to refuse."""
    if not isinstance(answers, list):
        return answers
    return [{**item, "label": item["label"].strip()} if isinstance(item, dict) and isinstance(item.get("label"), str)
            else item for item in answers]


INSTRUMENTS: dict[str, Instrument] = {
    Code.NPRS: Instrument(Code.NPRS, "72514-3", 1, 0, 10,
                          _bands((0, "none"), (3, "mild"), (6, "moderate"), (10, "severe")), Decimal(10)),
    Code.ODI: Instrument(Code.ODI, None, 10, 0, 5,  # no LOINC total (clinical-reference §1: local code odi-2.1a)
                         _bands((20, "minimal"), (40, "moderate"), (60, "severe"), (80, "crippled"),
                                (100, "bed_bound")), Decimal(100)),
    Code.PHQ9: Instrument(Code.PHQ9, "44261-6", 9, 0, 3,
                          _bands((4, "none_minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"),
                                 (27, "severe")), Decimal(27)),
    Code.PHQ2: Instrument(Code.PHQ2, "55758-7", 2, 0, 3, _screen, Decimal(6)),
    Code.GAD7: Instrument(Code.GAD7, "70274-6", 7, 0, 3,
                          _bands((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")), Decimal(21)),
    Code.GAD2: Instrument(Code.GAD2, None, 2, 0, 3, _screen, Decimal(6)),
    Code.PSFS: Instrument(Code.PSFS, None, None, 0, 10, None, Decimal(10)),
    Code.PGIC: Instrument(Code.PGIC, None, 1, 1, 7, _bands((2, "improved"), (5, "unchanged"), (7, "worse")),
                          Decimal(7)),
}


def score_and_band(code: str, answers) -> tuple[Decimal, str]:
    instrument = INSTRUMENTS[code]
    score = instrument.score(answers)
    return score, instrument.band(score) if instrument.band else ""


def phq9_self_harm_answer(answers) -> int:
    """PHQ-9 item 9, read before anything else is validated (clinical-reference §1, v2): the ninth
    answer must be a whole number 0-3, whatever the rest; otherwise the PHQ-9 is refused on item 9."""
    position = PHQ9_SELF_HARM_ITEM
    item = answers[position - 1] if isinstance(answers, list) and len(answers) >= position else None
    if not _is_int(item) or not 0 <= item <= 3:
        raise InvalidInput({"answers": [
            f"Answer {position} (thoughts of self-harm) must be answered with a whole number from 0 to 3."]})
    return item


def item_9_errors(code: str, answers) -> dict:
    """The error on item 9 of a PHQ-9 whose item 9 is not answered, to be shown with whatever else
    refused the submission (clinical-reference §1, v2); none for another instrument."""
    if code != Code.PHQ9:
        return {}
    try:
        phq9_self_harm_answer(answers)
    except InvalidInput as error:
        return error.detail
    return {}


def with_item_9_first(code: str, answers, errors: dict) -> dict:
    """`errors` with the item-9 error (if any) first on its field, whatever else refused the submission
    (clinical-reference §1, v2: a PHQ-9 without a valid item 9 is refused with the error on item 9)."""
    merged = dict(errors)
    for field, messages in item_9_errors(code, answers).items():
        others = merged.get(field, [])
        merged[field] = [*messages, *(others if isinstance(others, list) else [others])]
    return merged


def raises_safety_alert(code: str, answers) -> bool:
    """A PHQ-9 whose item 9 is a valid answer above 0, whatever the total and whatever else refuses the
    submission (clinical-reference §1, safety rule)."""
    return code == Code.PHQ9 and not item_9_errors(code, answers) and answers[PHQ9_SELF_HARM_ITEM - 1] > 0
