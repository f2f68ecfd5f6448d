"""Every field of the standard form (Annex to Implementing Regulation (EU) 2024/2916), as listed in
the Annex of Implementing Regulation (EU) 2024/2916, with the phrase the rendered report must contain for it.

``HEADER`` must appear in the header; ``SECTIONS[n]`` in section n; ``GROUPS[group id]`` in the field table of
that group (for fields the form repeats per category: known CSAM, possible new CSAM, solicitation).
Phrases are matched case-insensitively on the text of the HTML (tags stripped, whitespace collapsed).
"""

from __future__ import annotations

HEADER = (
    "Provider",
    "Services concerned",  # specific NI-ICS concerned (one or more)
    "Reporting period",
    "Publication date",
    "Legal instrument(s) in force during the period",
)

SECTIONS: dict[int, tuple[str, ...]] = {
    1: (
        # 1.1 metadata: yes/no, types, volume
        "Metadata about the users in the exchange",
        "Metadata processed (yes/no)",
        "Types of metadata processed",
        "Volume of metadata processed — EU users",
        "Volume of metadata processed — non-EU users",
        # 1.2 content: yes/no, images, videos, other files (+ types), bytes of text — EU / non-EU
        "Content data of the exchange",
        "Content data processed (yes/no)",
        "Images processed — EU users",
        "Images processed — non-EU users",
        "Videos processed — EU users",
        "Videos processed — non-EU users",
        "Other files processed — EU users",
        "Other files processed — non-EU users",
        "Other files processed — file types",
        "Bytes of text processed to detect solicitation — EU users",
        "Bytes of text processed to detect solicitation — non-EU users",
        # 1.3
        "Other relevant information on types and volumes",
    ),
    2: (
        "Legal basis (GDPR Art. 6(1) point(s))",
        "Union or Member State law relied on (GDPR Art. 6(3)",
    ),
    3: (
        "Personal data transferred outside the Union",  # in what kinds of cases
        "Chapter V ground",  # which grounds were used
        "for what purpose",
    ),
    4: (
        "Known CSAM",
        "Possible new CSAM",
        "Solicitation of children",
    ),
    5: (
        "Known CSAM — content",
        "Known CSAM — accounts",
        "Possible new CSAM — content",
        "Possible new CSAM — accounts",
        "Solicitation of children — accounts",
    ),
    6: (
        "Error rate = items automatically flagged as possible abuse that human review found not to be abuse",
        "A1",
        "B1",
        "B1/A1",
        "C1",
        "A2",
        "B2",
        "B2/A2",
        "C2",
        "A3",
        "B3",
        "B3/A3",
        "C3",
    ),
    7: (
        "Known CSAM",
        "Possible new CSAM",
        "Solicitation of children",
    ),
    8: (
        # retention
        "content items identified as child sexual abuse",
        "non-content data about reports (including after the user deactivates the account)",
        "data about complaints and policy violations",
        "Other retention policies",
        # safeguards
        "De-identification, pseudonymisation and anonymisation",
        "encryption of data in transit between private infrastructure and public networks",
        "Data-governance or privacy programme",
        "Procedures to review anonymisation and data governance",
        "Security-incident response plans",
        "Other technical and organisational security measures",
        # internal redress (i)–(v)
        "the person is told the facts behind the decision",
        "procedures to assess the user's enquiries",
        "a dedicated communication channel",
        "the user is told when the assessment is complete",
        "extra information sent to the Art. 3(1)(h)(i) recipients depending on the outcome of the complaint",
        # right of access, other safeguards
        "Right of access",
        "Other safeguards",
    ),
    9: (
        "NCMEC",
        "EU Centre",
        "Others (specify)",
    ),
}

_REPORTED = (
    "Images reported",
    "Videos reported",
    "Other files reported",
    "Other files reported — file types",
    "EU user accounts reported as sending at least one item",
    "EU user accounts reported as receiving at least one item",
)
_CONTENT_COMPLAINTS = (
    "Items removed",
    "Complaints to the internal redress mechanism",
    "Reasons for the internal complaints",
    "Items restored after an internal complaint",
    "Average time to decide on an internal complaint",
    "Complaints to a judicial authority",
    "Reasons for the judicial complaints",
    "Items restored after a judicial complaint",
    "Average time to comply with the judicial decision",
)
_ACCOUNT_COMPLAINTS = (
    "Complaints to the internal redress mechanism",
    "Reasons for the internal complaints",
    "Accounts restored after an internal complaint",
    "Average time to decide on an internal complaint",
    "Complaints to a judicial authority",
    "Reasons for the judicial complaints",
    "Accounts restored after a judicial complaint",
    "Average time to comply with the judicial decision",
)
_MEASURES = (
    "how the quality of existing indicators is checked",
    "how indicators are vetted before being added",
    "Indicators: other measures",
    "implementation plan vetted by an independent third party",
    "Deployment: other measures",
    "every flagged item reviewed before reporting",
    "a sample reviewed before reporting",
    "reviewer training (type and length; refreshers)",
    "periodic quality control of reviewers and verdicts",
    "Feedback from NCMEC or other public-interest organisations",
    "Feedback from law enforcement",
    "Feedback from outcomes of internal or judicial complaints",
    "Other feedback",
    "Error rate achieved after any new measures",
)


def _errors(n: str, unit: str, counted: str) -> tuple[str, ...]:
    """Every field of section 6 says what it counts and for which users (``counted``)."""
    return (
        f"A{n}: {unit} automatically flagged",
        f"B{n}: of these",
        f"B{n}/A{n}: error rate (%) — {counted}",
        f"C{n}: {unit} that went to human review — {counted}",
        f"Other findings — {counted}",
    )


GROUPS: dict[str, tuple[str, ...]] = {
    "4.known_csam": ("Reports concerning known CSAM", *_REPORTED),
    "4.new_csam": ("Reports concerning possible new CSAM", *_REPORTED),
    "4.solicitation": (
        "Reports of possible solicitation of children",
        "EU user accounts reported as possibly soliciting a child",
        "EU user accounts reported as possibly being solicited",
    ),
    "5.known_csam.content": _CONTENT_COMPLAINTS,
    "5.new_csam.content": _CONTENT_COMPLAINTS,
    "5.known_csam.account": ("EU user accounts suspended for sharing", *_ACCOUNT_COMPLAINTS),
    "5.new_csam.account": ("EU user accounts suspended for sharing", *_ACCOUNT_COMPLAINTS),
    "5.solicitation.account": ("EU user accounts suspended for soliciting a child", *_ACCOUNT_COMPLAINTS),
    "6.known_csam.-": _errors("1", "items", "content items, all regions"),
    "6.new_csam.-": _errors("2", "items", "content items, all regions"),
    "6.solicitation.-": _errors("3", "accounts", "EU user accounts"),
    "7.known_csam": _MEASURES,
    "7.new_csam": _MEASURES,
    "7.solicitation": _MEASURES,
}
