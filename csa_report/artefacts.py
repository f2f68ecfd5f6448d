"""The names of a report's files, defined once: render writes them, staging, sign-off, the seal, submission and
the evidence pack read them. A renamed file is renamed here and nowhere else."""

from __future__ import annotations

from typing import Final

__all__ = ["MANIFEST", "MANIFEST_SIG", "REPORT_PDF", "SEALED_PDF"]

#: The approved PDF, as rendered: the bytes manifest.json lists and the sign-off covers.
REPORT_PDF: Final = "report.pdf"
#: The PDF that is sent when a seal is configured: REPORT_PDF with a PAdES signature appended
#: (csa_report.filing.seal).
SEALED_PDF: Final = "report.sealed.pdf"
#: The SHA-256 of every other file of the report; its hash is what a reviewer approves.
MANIFEST: Final = "manifest.json"
#: The approver's SSH signature over MANIFEST, archived beside it.
MANIFEST_SIG: Final = "manifest.json.sig"
