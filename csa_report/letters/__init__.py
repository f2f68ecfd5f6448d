"""The content of the e-mails csa-report sends: the formal submission to the authority and the Commission
(:mod:`.submission`), the sign-off request to the approvers (:mod:`.signoff`), and the checks of what goes into
them (:mod:`.sender`, :mod:`.text`). Pure functions: the mail package sends what they build."""
