"""What the reviewer is shown and how a program reads it back (workflow.md step 5). No Prefect here.

Two forms of the same request, written together: :func:`describe_for_reviewer` (plus
:func:`signing_instructions` for a signed sign-off) is the Markdown a person reads above the form, and
:class:`Review` is the structured copy stored beside it as a flow-run input under :func:`review_key`.
``csa-report approve/reject`` reads :class:`Review` (never the Markdown): the manifest to sign, its hash and the
answers refused so far. The annex's verification note (:func:`verification_text`) is here too: it tells a
recipient how to check what the reviewer approved.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import pydantic
from pydantic import ConfigDict, Field

from csa_report.artefacts import MANIFEST, MANIFEST_SIG, REPORT_PDF
from csa_report.errors import InputError
from csa_report.filing.sshsig import NAMESPACE, REJECT_NAMESPACE

__all__ = [
    "REVIEW_SCHEMA",
    "Review",
    "describe_for_reviewer",
    "fence_for",
    "review_key",
    "reviewed_manifest",
    "signing_instructions",
    "verification_text",
]

REVIEW_SCHEMA = "csa-report/review/1"


class Review(pydantic.BaseModel):
    """The structured copy of one sign-off request: what ``csa-report approve --key`` signs and what it reports
    when the flow refused an answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: str = Field(REVIEW_SCHEMA, alias="schema")
    report_id: str
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: The manifest's exact text, for a signed sign-off (None: the typed form, nothing to sign).
    manifest: str | None = None
    #: The reasons of the answers refused so far, oldest first ("signoff-1: …").
    refused: tuple[str, ...] = ()
    #: (label, value as printed) of the report's key figures, all services: what ``approve`` shows before it signs.
    key_figures: tuple[tuple[str, str], ...] = ()


def review_key(pause_key: str) -> str:
    """The flow-run input key of the :class:`Review` of the request whose input keys start ``pause_key``
    (``suspended-signoff-1``, ``paused-signoff-2``)."""
    return f"{pause_key}-review"


def reviewed_manifest(review: Review, run: str) -> bytes:
    """The manifest bytes a signed request asks to sign, checked against the hash it states."""
    if review.manifest is None:
        raise InputError(
            f"flow run {run} does not ask for a signed sign-off (its approvers have no SSH keys); "
            "answer with --reviewer NAME --sha256 HASH"
        )
    data = review.manifest.encode("utf-8")
    if hashlib.sha256(data).hexdigest() != review.manifest_sha256:
        raise InputError(f"flow run {run}: the manifest shown does not match its stated SHA-256; not signed")
    return data


def _cell(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _plain(text: str) -> str:
    """A line shown as written: every Markdown and HTML character escaped (the summary quotes provider.md)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~&])", r"\\\1", " ".join(text.split()))


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def describe_for_reviewer(
    *,
    title: str,
    manifest_sha256: str,
    key_figures: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    findings: Sequence[str] = (),
    links: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    preparer: str | None = None,
    approvers: Sequence[str] = (),
    links_expire: str | None = None,
    deadline: str | None = None,
    summary: Sequence[str] = (),
    signed: bool = False,
) -> str:
    """The markdown shown above the sign-off form. Plain inputs only: ``key_figures`` as (label, value) pairs,
    ``findings`` as one line each, ``links`` as (file name, presigned URL), ``deadline`` as one line (DEADLINE-1,
    see csa_report.deadline), ``summary`` as the plain-text lines of the report's summary page (the render step's
    ``summary_text``, the same the approvers are e-mailed), ``signed`` when the form takes a signature instead of
    the typed hash."""
    lines = [f"## Sign-off: {title}", ""]
    if deadline:
        lines += [f"**Deadline (Art. 3(1)(g)(vii)):** {_cell(deadline)}", ""]
    if summary:
        quoted = [f"> {_plain(s)}" if s.strip() else ">" for s in "\n".join(summary).strip("\n").splitlines()]
        lines += ["**What the authority will read first (the report's summary):**", "", *quoted, ""]
    figures = list(key_figures.items()) if isinstance(key_figures, Mapping) else list(key_figures)
    if figures:
        # A list, not a table: Prefect's V1 dialog puts a table in a fixed box ~454 px wide that scrolls
        # sideways and hides the values; list items wrap within the dialog in both UIs.
        lines += ["**Key figures:**", ""]
        lines += [f"- {_plain(label)}: **{_plain(value)}**" for label, value in figures]
        lines.append("")
    if findings:
        lines += [f"**Findings ({len(findings)}):**", ""]
        lines += [f"- {_cell(f)}" for f in findings]
    else:
        lines.append("No findings.")
    lines.append("")
    pairs = list(links.items()) if isinstance(links, Mapping) else list(links)
    if pairs:
        expiry = f" (links valid until {links_expire})" if links_expire else ""
        lines += [
            f"**Review the staged files{expiry}:** "
            + " · ".join(f"[{_cell(name)}]({_url(url)})" for name, url in pairs),
            "",
        ]
    confirm = (
        f"**The manifest you sign.** Its SHA-256 (`sha256sum {MANIFEST}`) is:"
        if signed
        else f"**Confirm the manifest you reviewed.** Its SHA-256 (`sha256sum {MANIFEST}`) must be:"
    )
    lines += [
        confirm,
        "",
        "```",
        manifest_sha256,
        "```",
        "",
        f"(in groups: {' '.join(manifest_sha256[i : i + 16] for i in range(0, len(manifest_sha256), 16))})",
        "",
    ]
    who = []
    if approvers:
        who.append("approvers: " + ", ".join(approvers))
    if preparer:
        who.append(f"prepared by {preparer}, who cannot sign off")
    if who:
        text = "; ".join(who)
        lines += [text[0].upper() + text[1:] + ".", ""]
    return "\n".join(lines)


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text`` (CommonMark allows any length of 3 or more), so
    that a correction reason holding ``` cannot end the block early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def signing_instructions(manifest: bytes, signers: Sequence[str] = (), without_key: Sequence[str] = ()) -> str:
    """How to sign, who can, and the manifest itself, for the person reading the form (a program reads the
    manifest from :class:`Review`)."""
    text = manifest.decode("utf-8")
    fence = fence_for(text)
    who = ""
    if signers:
        who = "Who can sign: " + ", ".join(signers) + " (approvers with a key in provider.md)"
        if without_key:
            who += "; " + ", ".join(without_key) + " cannot sign off: provider.md lists no key for them"
        who += ".\n\n"
    return (
        "\n**Sign off with your SSH key.** Either run `csa-report approve RUN --key ~/.ssh/id_ed25519` "
        f"(or `csa-report reject RUN --key …`), or sign the reviewed {MANIFEST} with `csa-report sign "
        f"--manifest {MANIFEST} --key ~/.ssh/id_ed25519` and paste the whole signature block into the form. "
        f"A rejection is signed apart (`csa-report sign --reject`, namespace {REJECT_NAMESPACE}): a signature "
        "counts only for the decision it was made for.\n\n"
        + who
        + f"{MANIFEST}:\n\n{fence}json\n"
        + text
        + f"{fence}\n"
    )


def verification_text(provider: str, signed: bool, sealed: bool) -> str | None:
    """The annex's note on how a recipient checks the two signatures, in their own tools."""
    parts = []
    if signed:
        parts.append(
            f"The approval is an SSH signature over {MANIFEST}, kept as {MANIFEST_SIG} with the archived report. "
            "Put the approver's public key in a file allowed_signers as a line 'NAME namespaces=\"csa-report\" "
            f"ssh-ed25519 AAAA…', then 'ssh-keygen -Y verify -f allowed_signers -I NAME -n {NAMESPACE} -s "
            f"{MANIFEST_SIG} < {MANIFEST}' prints 'Good signature'; {MANIFEST} lists the SHA-256 of every "
            "other file."
        )
    if sealed:
        parts.append(
            f"The PDF carries a PAdES signature (seal) of {provider}: a PDF reader's signature "
            f"panel, or 'pyhanko sign validate --trust CA.pem {REPORT_PDF}', checks it against the provider's "
            f"certificate; its signed first revision is byte for byte the {REPORT_PDF} whose SHA-256 {MANIFEST} "
            "lists."
        )
    return " ".join(parts) or None
