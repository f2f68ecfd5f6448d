"""The faults the suite injects and the inputs it fuzzes, with the outcome each test asserts. The table in
docs/reliability.md is generated from this (tests/reliability/test_reliability_doc.py keeps them equal), so the
document states only what a passing suite has shown."""

from __future__ import annotations

from tests.storage.test_kill9 import EXPECTED as KILL_OUTCOMES
from tests.support.kill_child import POINTS

#: (fault, where it is injected, outcome asserted, test)
FAULTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "SMTP 250 after DATA, then 421 on QUIT",
        "scripted SMTP server",
        "sent once; re-runs send nothing",
        "tests/filing/mail/test_delivery_states.py::test_error_after_the_server_accepted_never_resends",
    ),
    (
        "SMTP 250 after DATA, then connection reset",
        "scripted SMTP server",
        "sent once; re-runs send nothing",
        "tests/filing/mail/test_delivery_states.py::test_error_after_the_server_accepted_never_resends",
    ),
    (
        "SMTP connection reset after the message, before the answer",
        "scripted SMTP server",
        "exit 3, `delivery-unknown`; confirm / resend (same Message-ID, same bytes) settle it; then submitted",
        "tests/filing/mail/test_delivery_states.py::test_reset_before_the_answer_is_unknown_then_resend_sends_the_same_"
        "message",
    ),
    (
        "SMTP server never greets",
        "scripted SMTP server (timeout `CSA_SMTP_TIMEOUT_S`)",
        "exit 3, delivery `failed`, nothing sent; next run sends once",
        "tests/filing/mail/test_delivery_states.py::test_never_greeting_server_fails_without_sending_and_next_run_sends_"
        "once",
    ),
    (
        "SMTP server slow (every reply delayed)",
        "scripted SMTP server",
        "sent once",
        "tests/filing/mail/test_delivery_states.py::test_never_greeting_server_fails_without_sending_and_next_run_sends_"
        "once",
    ),
    (
        "SMTP 451 to MAIL FROM, then accepts",
        "scripted SMTP server",
        "exit 3, `failed`; next run sends once",
        "tests/filing/mail/test_delivery_states.py::test_temporary_failure_then_accept_delivers_exactly_once",
    ),
    (
        "SMTP 550 at RCPT for one recipient",
        "scripted SMTP server (rcpt550)",
        "exit 7, that delivery `failed` with the server's answer after one attempt, never retried; the other sent",
        "tests/filing/mail/test_refusals.py::test_permanent_refusal_is_one_attempt_exit_7_and_the_others_delivered",
    ),
    (
        "SMTP 550 after DATA for one recipient",
        "scripted SMTP server (data550)",
        "exit 7, `failed` with the answer, the attachment sent once and never again; the other sent",
        "tests/filing/mail/test_refusals.py::test_permanent_refusal_is_one_attempt_exit_7_and_the_others_delivered",
    ),
    (
        "SMTP relay with a certificate the worker does not trust (STARTTLS and SMTPS)",
        "aiosmtpd with a self-signed certificate",
        "the delivery fails naming `CSA_SMTP_HOST` and `CSA_SMTP_CA_FILE`; nothing is sent, never in plain text",
        "tests/filing/mail/test_tls_modes.py::test_an_untrusted_certificate_names_the_settings_and_sends_nothing",
    ),
    (
        "the same relay with `CSA_SMTP_CA_FILE` naming its certificate",
        "aiosmtpd with a self-signed certificate",
        "delivered over STARTTLS and over SMTPS",
        "tests/filing/mail/test_tls_modes.py::test_tls_delivers_when_the_ca_file_vouches_for_the_server",
    ),
    (
        "SMTP server that requires STARTTLS, `CSA_SMTP_TLS=none`",
        "aiosmtpd with `require_starttls`",
        "530: exit 7 naming `CSA_SMTP_TLS`, nothing sent",
        "tests/filing/mail/test_tls_modes.py::test_plain_text_to_a_server_that_requires_starttls_is_refused_not_sent",
    ),
    (
        "`delivery confirm` / `resend` while a live run waits for a slow answer",
        "scripted SMTP server (slowdata)",
        "exit 2 naming the run that holds the claim; nothing changed; one copy each",
        "tests/filing/mail/test_refusals.py::test_a_claim_held_by_a_live_run_is_not_touched",
    ),
    (
        "provider.md (contact point, DPO) and `CSA_SMTP_FROM` changed between the submission and `delivery resend`",
        "aiosmtpd keeping a copy it answered 554 to; SQLite and PostgreSQL audit DB",
        "the recorded letter again: same subject, body, attachments, Message-ID and bytes",
        "tests/filing/mail/test_resend_recorded.py::test_a_resend_after_provider_md_changed_sends_the_original_letter",
    ),
    (
        "`delivery resend` of a delivery made before messages were recorded (audit DB without its row)",
        "audit DB row deleted; aiosmtpd",
        "exit 2 naming `--rebuild`, nothing sent, delivery unchanged; `--rebuild` writes it from today's policies",
        "tests/filing/mail/test_resend_recorded.py::test_a_delivery_without_a_recorded_message_is_resent_only_when_"
        "told_to_rebuild_it",
    ),
    (
        "two `delivery resend`s of one delivery at once: the later one decided on a read taken before the other "
        "claimed it",
        "scripted SMTP server (slowdata); the later operator's S3 reads delayed by the fault proxy",
        "the later one is refused (`changed meanwhile`), nothing changed by it; one copy",
        "tests/filing/mail/test_concurrent_settle.py::test_a_resend_decided_on_a_stale_read_never_sends_a_second_copy",
    ),
    (
        "an as-of before the period's end for `run` and for a deployment's run (the flow's `as_of`)",
        "the flow called with `as_of` 2025-06-30, without and with `allow_incomplete_period`",
        "exit 2 without; with it the report is rendered provisional and nothing is staged, archived, sent or "
        "filed; the run with a complete as-of then files once",
        "tests/flows/test_provisional_run.py::test_a_provisional_run_files_nothing_and_the_real_run_then_files_once",
    ),
    (
        "both deliveries of unknown outcome, or both refused for good",
        "scripted SMTP server (reset-before-reply, rcpt550 for every address)",
        "the stop message names `delivery confirm` / `delivery resend` for every recipient, not the first only",
        "tests/filing/mail/test_settle_messages.py::test_every_unknown_delivery_gets_its_own_commands",
    ),
    (
        "another run of the period (another as-of) files it after this run passed the guard and was staged",
        "the audit DB's filing of the other report between guard and claim (SQLite and PostgreSQL)",
        "exit 2 at the claim, nothing archived or sent; the message says the report stays staged",
        "tests/filing/test_guard.py::test_a_run_that_loses_the_period_after_staging_says_its_report_stays_staged",
    ),
    (
        "claim left by a process that died",
        "audit DB row of a dead pid",
        "exit 3, `delivery-unknown`, the two commands named, nothing submitted; a re-run never settles it alone",
        "tests/filing/mail/test_delivery_states.py::test_claim_of_a_dead_process_is_unknown_never_delivered",
    ),
    (
        "S3 503/500, connection resets, lost replies and delays during archive and public copy",
        "fault proxy in front of SeaweedFS",
        "every object stored once, each recipient one copy, submitted",
        "tests/storage/test_s3_submission_faults.py::test_submission_behind_5xx_resets_lost_replies_and_delays",
    ),
    (
        "SeaweedFS stopped after the deliveries, before the public copy, then restarted",
        "stopping the server",
        "exit 3, run not submitted; after the restart the re-run publishes and sends nothing again",
        "tests/storage/test_s3_submission_faults.py::test_seaweedfs_stopped_before_publishing_then_restarted",
    ),
    (
        "ephemeral Prefect API never answers / API vanishes during a run",
        "the exceptions Prefect raises",
        "exit 3",
        "tests/reliability/test_prefect_lifecycle.py::test_prefect_startup_timeout_and_vanished_api_are_exit_3",
    ),
    (
        "kill -9 of a run that started Prefect's ephemeral API",
        "SIGKILL of the parent",
        "the API server dies too",
        "tests/reliability/test_prefect_lifecycle.py::test_ephemeral_server_dies_with_a_killed_parent",
    ),
    *(
        (
            f"kill -9 of the submission at `{point}`",
            "SIGKILL of a child process",
            "re-run: every recipient exactly one copy, submitted"
            if KILL_OUTCOMES[point] == "submitted"
            else "re-run: exit 3 `delivery-unknown`, at most one copy, nothing submitted",
            f"tests/storage/test_kill9.py::test_kill9_then_rerun_delivers_exactly_once_or_stops_unknown[{point}]",
        )
        for point in POINTS
    ),
    (
        "kill -9 of `csa-report run` before extract, then after extract, check, render and stage (each re-run killed "
        "one boundary further)",
        "SIGKILL of the run's process group at each boundary in turn",
        "last re-run: exit 0, submitted; one staged set, one version of each archived object, one submitted audit run, "
        "no duplicate findings, one copy per recipient, artefacts byte-identical to an uninterrupted run",
        "tests/reliability/test_run_kill9_steps.py::test_kill9_at_every_step_boundary_in_turn_then_rerun_loses_nothing_"
        "and_repeats_nothing",
    ),
    (
        "kill -9 of `csa-report run` while it waits for sign-off",
        "SIGKILL of the run's process group",
        "re-run: exit 0, submitted; the same checks, one approval",
        "tests/reliability/test_run_kill9_steps.py::test_kill9_while_waiting_for_signoff_then_rerun_loses_nothing_"
        "and_repeats_nothing",
    ),
    (
        "kill -9 of `csa-report demo`",
        "SIGKILL of its pid",
        "its ephemeral Prefect API and SeaweedFS die too",
        "tests/reliability/test_demo_lifecycle.py::test_kill9_of_demo_leaves_no_prefect_or_s3_server_behind",
    ),
    (
        "S3 unreachable inside a task of `csa-report run`",
        "a closed port as `CSA_S3_ENDPOINT`",
        "exit 3, one line, no traceback on the terminal, no crash log",
        "tests/reliability/test_terminal_output.py::test_unreachable_s3_inside_the_stage_task_is_one_line_exit_3_"
        "without_a_traceback",
    ),
    (
        "a bug inside a task of `csa-report run`",
        "the task's function raises `KeyError`",
        "exit 4, one line naming the crash log, which holds the traceback; none on the terminal",
        "tests/reliability/test_terminal_output.py::test_a_bug_inside_a_task_is_one_line_exit_4_and_the_traceback_"
        "goes_to_the_crash_log",
    ),
)

#: (input fuzzed, cases in CI, outcome asserted, test)
FUZZED: tuple[tuple[str, int, str, str], ...] = (
    (
        "`--period` and `--as-of` text (parsers)",
        6000,
        "parses or exit 2, one line",
        "tests/reliability/test_fuzz.py::test_fuzz_period_and_as_of",
    ),
    (
        "`extract` arguments: --db, --period, --as-of, --out, junk (in-process CLI)",
        1000,
        "exit code in 0–6, no traceback, no internal error",
        "tests/reliability/test_fuzz.py::test_fuzz_cli_extract_arguments",
    ),
    (
        "`status`, `check`, `delivery`, `seed` argument lists (in-process CLI)",
        2500,
        "exit code in 0–6, no traceback, no internal error",
        "tests/reliability/test_fuzz.py::test_fuzz_cli_other_commands",
    ),
    (
        "policy documents: example documents with YAML fragments spliced in",
        1500,
        "loads or exit 2 naming the file, one line",
        "tests/reliability/test_fuzz.py::test_fuzz_policy_documents",
    ),
    (
        "waivers files built from waiver lines and YAML fragments",
        2000,
        "loads or exit 2 naming the file, one line",
        "tests/reliability/test_fuzz.py::test_fuzz_waivers",
    ),
)

BEGIN = "<!-- BEGIN generated by tests/reliability/test_reliability_doc.py -->"
END = "<!-- END generated -->"


def table() -> str:
    lines = [
        BEGIN,
        "",
        "### Faults injected",
        "",
        "| fault | injected by | outcome asserted | test |",
        "|---|---|---|---|",
    ]
    lines += [f"| {f} | {how} | {outcome} | `{test.split('::')[1]}` |" for f, how, outcome, test in FAULTS]
    total = sum(n for _, n, _, _ in FUZZED)
    lines += [
        "",
        "### Inputs fuzzed",
        "",
        f"Hypothesis, derandomized, each case under a deadline; {total:,} cases in `make test`, ten times as "
        "many in `make fuzz` (`CSA_FUZZ_SCALE=10`).",
        "",
        "| input | cases (CI) | outcome asserted | test |",
        "|---|---:|---|---|",
    ]
    lines += [f"| {what} | {n:,} | {outcome} | `{test.split('::')[1]}` |" for what, n, outcome, test in FUZZED]
    lines += ["", END]
    return "\n".join(lines)
