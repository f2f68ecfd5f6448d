"""The kinds of incident the seed generates (csa_report.seed.activity): which technology flags what, how many
items, how often a reviewer overturns the flag, how long review takes. Hash matches dominate; classifiers and
user reports are rarer and less precise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from csa_report.demo_provider import TECHNOLOGIES, USER_REPORT
from csa_report.seed.clock import DAY, HOUR, MINUTE
from csa_report.vocabulary import CATEGORIES

KNOWN, NEW, SOLICITATION = CATEGORIES


@dataclass(frozen=True)
class Kind:
    """How one kind of incident is flagged and reviewed."""

    technology: str
    category: str
    automated: bool
    weight: float  # share of incidents
    items: tuple[tuple[str, str | None, float], ...]  # (data_type, file_type, weight)
    p_more: float  # chance of one more item in the incident (geometric size)
    max_items: int
    p_not_abuse: float  # reviewer overturns the flag
    p_never_reviewed: float  # stays in the queue
    review_delay: tuple[int, int]  # seconds after flagging


_PHOTODNA, _CSAI = TECHNOLOGIES[KNOWN]
(_CLASSIFIER,) = TECHNOLOGIES[NEW]
(_GROOMING,) = TECHNOLOGIES[SOLICITATION]

# Hash matches dominate; classifiers and user reports are rarer and less precise. The automated error rate
# comes out near 1 % overall.
KINDS: Final = (
    Kind(
        _PHOTODNA,
        KNOWN,
        True,
        0.55,
        (("image", None, 0.92), ("other_file", "gif", 0.06), ("other_file", "pdf", 0.02)),
        0.4,
        12,
        0.003,
        0.02,
        (5 * MINUTE, 12 * HOUR),
    ),
    Kind(_CSAI, KNOWN, True, 0.18, (("video", None, 1.0),), 0.3, 8, 0.005, 0.02, (10 * MINUTE, 24 * HOUR)),
    Kind(
        _CLASSIFIER,
        NEW,
        True,
        0.08,
        (("image", None, 0.75), ("video", None, 0.2), ("other_file", "pdf", 0.05)),
        0.25,
        5,
        0.04,
        0.05,
        (HOUR, 3 * DAY),
    ),
    Kind(_GROOMING, SOLICITATION, True, 0.08, (("text", None, 1.0),), 0.2, 3, 0.06, 0.05, (HOUR, 3 * DAY)),
    Kind(
        USER_REPORT,
        NEW,
        False,
        0.05,
        (("image", None, 0.6), ("video", None, 0.3), ("other_file", "docx", 0.1)),
        0.1,
        3,
        0.3,
        0.03,
        (2 * HOUR, 5 * DAY),
    ),
    Kind(USER_REPORT, KNOWN, False, 0.02, (("image", None, 1.0),), 0.1, 3, 0.2, 0.03, (2 * HOUR, 5 * DAY)),
    Kind(USER_REPORT, SOLICITATION, False, 0.04, (("text", None, 1.0),), 0.1, 2, 0.35, 0.03, (2 * HOUR, 5 * DAY)),
)
#: Mean items per incident, to turn ``scale`` (detections) into an expected number of incidents.
MEAN_ITEMS: Final = sum(k.weight / (1 - k.p_more) for k in KINDS) / sum(k.weight for k in KINDS)
