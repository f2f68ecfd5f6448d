"""Everything after render: the reviewer's approval, the seal, one filing per period, the submission and its
e-mails. It never imports render, extract or checks: what it files is the staged bytes and their manifest."""
