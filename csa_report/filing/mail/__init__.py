"""The e-mails of a filing: one message builder, one transport, one claim → send → record state machine."""
