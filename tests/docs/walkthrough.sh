#!/usr/bin/env bash
# docs/operators.md, run as written: every command of its `bash` blocks appears below (test_operators_doc.py
# checks that), with the walkthrough's paths and ports as variables:
#   /srv/csa-report → $REPO   /srv/ops → $OPS   4200 → $PORT   8333 → $S3PORT   2525 → $SMTPPORT
# and the doc's placeholders: <run-id> → $RUN_ID, vagabond-cuckoo → $RUN2.
#
#   tests/docs/walkthrough.sh OPS_DIR [PORT] [S3PORT] [SMTPPORT]
#
# Starts a Prefect server (its API closed by an auth string), the local S3, an SMTP server with STARTTLS and a
# self-signed certificate, and a process worker (each in its own process group, stopped on exit),
# deploys, runs the report for 2025 with a copy of the example policies in which Dara Kelly has a key of her own
# (the published example keys are refused outside the demo), signs its manifest and approves it from the shell,
# runs H2 2024 and rejects it (signed too), runs the filed 2025 again (AlreadyFiled), files and approves a correction
# of it, and gives the auditor status --json and the evidence pack, whose README commands it runs. Prints
# "walkthrough ok" at the end; any failed command stops it (set -e).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OPS="$(mkdir -p "$1" && cd "$1" && pwd)"
PORT="${2:-4200}"
S3PORT="${3:-8333}"
SMTPPORT="${4:-2525}"
export PREFECT_HOME="$OPS/prefect-home" PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
export PREFECT_SERVER_API_PORT="$PORT" PREFECT_CLI_COLORS=false COLUMNS=200
export PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED=false   # no yearly run created ahead while we test
export PREFECT_WORKER_QUERY_SECONDS=2 PREFECT_RUNNER_POLL_FREQUENCY=2
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  sleep 2
  for pid in "${pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
step() { echo "== $*"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local until=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -gt $until ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 1
  done
}

step "0. the virtualenv"
cd $REPO
source .venv/bin/activate

step "1. the Prefect server"
export PREFECT_API_URL=http://127.0.0.1:$PORT/api      # every prefect and csa-report command below uses it
export PREFECT_UI_URL=http://127.0.0.1:$PORT/v2        # every printed link opens the current UI (see below)
mkdir -p $OPS
(umask 077 && python -c 'import secrets; print("csa:" + secrets.token_urlsafe(18))' > $OPS/prefect-auth)
test "$(stat -c %a "$OPS/prefect-auth")" = 600
export PREFECT_API_AUTH_STRING=$(cat $OPS/prefect-auth)        # what the clients send
export PREFECT_SERVER_API_AUTH_STRING=$PREFECT_API_AUTH_STRING     # what the server requires
setsid prefect server start >"$OPS/server.log" 2>&1 &
pids+=($!)
wait_for 120 "the Prefect server" curl -sf "$PREFECT_API_URL/health"
curl -s $PREFECT_API_URL/health
curl -s -o /dev/null -w '%{http_code}\n' -X POST $PREFECT_API_URL/flow_runs/filter | tee "$OPS/stranger.log"
grep -qx 401 "$OPS/stranger.log"                   # closed to strangers…
curl -sf -u "$PREFECT_API_AUTH_STRING" -X POST $PREFECT_API_URL/flow_runs/filter >/dev/null   # …open with the string

step "2. work pool and deployment"
cd $REPO
prefect work-pool create csa-reports --type process
prefect --no-prompt deploy --all --prefect-file infra/prefect.yaml | tee "$OPS/deploy.log"
grep -q "annual_report/yearly" "$OPS/deploy.log"
prefect deployment ls

step "3. source, local S3, worker"
mkdir -p $OPS
csa-report seed --db sqlite:///$OPS/source.db --period 2025
ssh-keygen -q -t ed25519 -N '' -C dara.kelly@example.ie -f $OPS/dara-kelly.key   # Dara Kelly's own key
cp -r $REPO/policies/example $OPS/policies    # the example policies, to give Dara her own key
sed -i "s|^    key: .* dara.kelly@example.ie$|    key: $(cut -d' ' -f1,2 $OPS/dara-kelly.key.pub)|" $OPS/policies/provider.md $OPS/policies/history/provider/2025.1.md
if grep -q "$(cut -d' ' -f2 $REPO/policies/example-keys/dara-kelly.pub)" $OPS/policies/provider.md; then exit 1; fi   # the published key is gone
setsid python infra/local_s3.py $OPS/s3 --port $S3PORT >"$OPS/s3.log" 2>&1 &
pids+=($!)
wait_for 60 "the local S3" test -s "$OPS/s3/s3.env"
mkdir -p $OPS/smtp
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=walkthrough relay" -addext "subjectAltName=IP:127.0.0.1" -keyout $OPS/smtp/key.pem -out $OPS/smtp/cert.pem 2>"$OPS/openssl.log"
setsid python -m aiosmtpd -n -l 127.0.0.1:$SMTPPORT --tlscert $OPS/smtp/cert.pem --tlskey $OPS/smtp/key.pem -c aiosmtpd.handlers.Mailbox $OPS/mail >"$OPS/smtp.log" 2>&1 &
pids+=($!)
smtp_up() { python -c "import smtplib, sys; smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=2).quit()" "$SMTPPORT" 2>/dev/null; }
wait_for 30 "the SMTP server" smtp_up
source $OPS/s3/s3.env                              # CSA_S3_ENDPOINT, CSA_S3_ACCESS_KEY, CSA_S3_SECRET_KEY
test "$CSA_S3_ENDPOINT" = "http://127.0.0.1:$S3PORT"
export CSA_REPORT_HOME=$REPO                 # the pull step changes into this folder for each run
export CSA_SOURCE_DB=sqlite:///$OPS/source.db \
       CSA_POLICIES=$OPS/policies \
       CSA_AUDIT_DB=sqlite:///$OPS/audit.db \
       CSA_SMTP_HOST=127.0.0.1 CSA_SMTP_PORT=$SMTPPORT CSA_SMTP_TLS=starttls \
       CSA_SMTP_CA_FILE=$OPS/smtp/cert.pem \
       CSA_SMTP_FROM=transparency@example-communications.ie \
       CSA_OUTPUT_DIR=$OPS/reports \
       CSA_OBJECT_LOCK_DAYS=1 \
       CSA_SIGNOFF_NOTIFY='["dara.kelly@example.ie"]'
export PREFECT_API_URL=http://127.0.0.1:$PORT/api PREFECT_UI_URL=http://127.0.0.1:$PORT/v2
export PREFECT_API_AUTH_STRING=$(cat $OPS/prefect-auth)        # the worker and its runs send it too
setsid prefect worker start --pool csa-reports >"$OPS/worker.log" 2>&1 &
pids+=($!)

step "4. ad-hoc runs"
RUN_DAY=$(date -u +%F)
prefect deployment run annual_report/yearly --params '{"period": "2025", "as_of": "2026-01-15T00:00:00Z"}' | tee "$OPS/run1.log"
RUN_ID=$(grep -oE 'UUID: [0-9a-f-]{36}' "$OPS/run1.log" | head -1 | cut -d' ' -f2)
test -n "$RUN_ID"
grep -q "/v2/runs/flow-run/$RUN_ID" "$OPS/run1.log"   # Prefect's own link opens the V2 run page
paused() { prefect flow-run ls --state-type PAUSED | grep -q "$1"; }
wait_for 300 "run $RUN_ID to wait for sign-off" paused "${RUN_ID:0:8}"

step "5. watch it"
prefect flow-run ls                          # state of every run; PAUSED = waiting for sign-off
prefect flow-run ls --state-type PAUSED      # only the runs waiting for sign-off
prefect flow-run ls | grep -q "annual-report-2025-example-communications"
prefect flow-run logs $RUN_ID               # the id (the names of runs of one report repeat)
csa-report status --audit-db sqlite:///$OPS/audit.db      # runs, findings, sign-offs, deliveries
signoff_mail() { grep -l "^X-RcptTo: dara.kelly@example.ie" "$OPS"/mail/new/* 2>/dev/null | xargs -r grep -l "^Subject: Sign-off needed"; }
wait_for 30 "the sign-off request e-mail (over STARTTLS)" signoff_mail

step "6. sign the manifest, approve from the shell"
MANIFEST=$(ls "$OPS"/reports/*/2025-01-01_2025-12-31/manifest.json)
(cd "$(dirname "$MANIFEST")" && csa-report sign --manifest manifest.json --key $OPS/dara-kelly.key > $OPS/approval.sig)
grep -q -- "-----BEGIN SSH SIGNATURE-----" "$OPS/approval.sig"
# What a recipient runs later: OpenSSH alone accepts the signature for Dara's public key.
echo "dara.kelly@example.ie namespaces=\"csa-report\" $(cut -d' ' -f1,2 $OPS/dara-kelly.key.pub)" > "$OPS/allowed_signers"
ssh-keygen -Y verify -f "$OPS/allowed_signers" -I dara.kelly@example.ie -n csa-report -s "$OPS/approval.sig" < "$MANIFEST"
csa-report approve $RUN_ID --key $OPS/dara-kelly.key --sha256 $(sha256sum "$MANIFEST" | cut -d' ' -f1) --comment "figures checked" --wait 300 | tee "$OPS/approve.log"
grep -q "manifest SHA-256 $(sha256sum "$MANIFEST" | cut -d' ' -f1)" "$OPS/approve.log"   # shown before signing
grep -q "ended Completed" "$OPS/approve.log"
grep -q "127.0.0.1:$PORT/v2/runs/flow-run/$RUN_ID" "$OPS/approve.log"   # and so does csa-report's
# Filed today: the report's publication date is the day of filing, not the as-of the run was given.
python - "$(dirname "$MANIFEST")/report.json" "$RUN_DAY" "$(date -u +%F)" <<'PY'
import json, sys
date = json.load(open(sys.argv[1], encoding="utf-8"))["report"]["publication_date"]
assert date in sys.argv[2:] and date != "2026-01-15", date
PY
# The report went to the authority and the Commission through the STARTTLS relay, once each.
test "$(grep -l '^X-RcptTo: supervisory-authority@example.org' "$OPS"/mail/new/* | wc -l)" = 1
test "$(grep -l '^X-RcptTo: commission-csa@example.org' "$OPS"/mail/new/* | wc -l)" = 1

step "7. reject"
prefect deployment run annual_report/yearly --param period='"2024-07-01/2024-12-31"' --param as_of=2025-01-15T00:00:00Z | tee "$OPS/run2.log"
RUN2=$(grep -oE 'UUID: [0-9a-f-]{36}' "$OPS/run2.log" | head -1 | cut -d' ' -f2)
wait_for 300 "run $RUN2 to wait for sign-off" paused "${RUN2:0:8}"
csa-report reject $RUN2 --key $OPS/dara-kelly.key --comment "H2 2024 is out of scope" --wait 90 | tee "$OPS/reject.log"
grep -q "ended Rejected" "$OPS/reject.log"
csa-report status --audit-db sqlite:///$OPS/audit.db      # runs, findings, sign-offs, deliveries

step "9a. the filed period again, then a correction"
REPORT_ID=$(sha256sum "$MANIFEST" | cut -c1-16)            # the report id is the manifest hash's first 16 digits
FILED_ON=$(date -u +%F)
mails_to() { grep -l "^X-RcptTo: $1" "$OPS"/mail/new/* | wc -l; }
prefect deployment run annual_report/yearly --params '{"period": "2025", "as_of": "2026-01-15T00:00:00Z"}' | tee "$OPS/run3.log"
RUN3=$(grep -oE 'UUID: [0-9a-f-]{36}' "$OPS/run3.log" | head -1 | cut -d' ' -f2)
ended() { prefect flow-run inspect "$1" | grep -q "$2"; }
wait_for 300 "run $RUN3 to end AlreadyFiled" ended "$RUN3" "AlreadyFiled"
prefect flow-run inspect "$RUN3" | grep -q "already filed as report $REPORT_ID"
test "$(mails_to supervisory-authority@example.org)" = 1    # nothing sent again
csa-report status --period 2025 --audit-db sqlite:///$OPS/audit.db | tee "$OPS/status3.log"      # already-filed; the report id
grep -q "already-filed" "$OPS/status3.log"
grep -q "report id $REPORT_ID" "$OPS/status3.log"
prefect deployment run annual_report/yearly -p period='"2025"' -p as_of=2026-01-15T00:00:00Z -p supersedes=$REPORT_ID -p reason="two reports of Example Chat were counted twice" | tee "$OPS/run4.log"
RUN4=$(grep -oE 'UUID: [0-9a-f-]{36}' "$OPS/run4.log" | head -1 | cut -d' ' -f2)
wait_for 300 "correction run $RUN4 to wait for sign-off" paused "${RUN4:0:8}"
mail_says() {  # mail_says RECIPIENT SUBJECT-START TEXT: a message to RECIPIENT, decoded, has both
  python - "$OPS/mail/new" "$@" <<'PY'
import email, email.policy, pathlib, sys
folder, to, subject, text = sys.argv[1:]
mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in pathlib.Path(folder).iterdir()]
sys.exit(0 if any(m["X-RcptTo"] == to and str(m["Subject"]).startswith(subject) and text in " ".join(m.get_body(("plain",)).get_content().split()) for m in mails) else 1)
PY
}
wait_for 30 "the sign-off request of the correction" mail_says dara.kelly@example.ie "Sign-off needed: correction of report $REPORT_ID" "correction of report $REPORT_ID because two reports of Example Chat were counted twice"
SHA4=$(sha256sum "$MANIFEST" | cut -d' ' -f1)                # the staged correction's manifest, same folder
test "${SHA4:0:16}" != "$REPORT_ID"
csa-report approve $RUN4 --key $OPS/dara-kelly.key --sha256 $SHA4 --comment "correction checked" --wait 300 | tee "$OPS/approve4.log"
grep -q "ended Completed" "$OPS/approve4.log"
python - "$(dirname "$MANIFEST")/report.json" "$REPORT_ID" "$FILED_ON" "$(date -u +%F)" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))["report"]
assert (report["supersedes"], report["reason"]) == (sys.argv[2], "two reports of Example Chat were counted twice"), report
assert report["publication_date"] in sys.argv[3:], report["publication_date"]   # the day of filing, not the as-of
PY
test "$(mails_to supervisory-authority@example.org)" = 2    # the original and the correction, once each
python - "$OPS/mail/new" <<'PY'
import email, email.policy, pathlib, sys
mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in pathlib.Path(sys.argv[1]).iterdir()]
to_authority = [m for m in mails if m["X-RcptTo"] == "supervisory-authority@example.org"]
[original] = [m for m in to_authority if m["In-Reply-To"] is None]
[correction] = [m for m in to_authority if m["In-Reply-To"] is not None]
assert correction["In-Reply-To"] == correction["References"] == original["Message-ID"], (correction, original)
PY
csa-report status --period 2025 --audit-db sqlite:///$OPS/audit.db | tee "$OPS/status4.log"
grep -q "filing #1: correction of $REPORT_ID because two reports of Example Chat were counted twice" "$OPS/status4.log"
grep -q "filing #0: first filing of the period; superseded by ${SHA4:0:16}" "$OPS/status4.log"
grep -q "not published (no publication bucket set" "$OPS/status4.log"

step "9b. for the auditor"
mkdir -p "$OPS/elsewhere"
if (cd "$OPS/elsewhere" && env -u CSA_AUDIT_DB csa-report status 2>"$OPS/elsewhere.err"); then exit 1; else test $? = 2; fi
grep -q "no audit database at csa-audit.db" "$OPS/elsewhere.err"
test -z "$(ls -A "$OPS/elsewhere")"                        # nothing created
csa-report status --period 2025 --json --audit-db sqlite:///$OPS/audit.db > $OPS/status-2025.json
csa-report evidence --period 2025 --out $OPS/evidence-2025 --audit-db sqlite:///$OPS/audit.db
python - "$OPS/status-2025.json" "$OPS/evidence-2025" "$REPORT_ID" "${SHA4:0:16}" <<'PY'
import json, pathlib, re, subprocess, sys
runs = json.load(open(sys.argv[1], encoding="utf-8"))
original, correction = sys.argv[3], sys.argv[4]
outcomes = [(r["report_id"], r["outcome"]) for r in runs]
assert outcomes.count((original, "submitted")) == 1 and outcomes.count((correction, "submitted")) == 1, outcomes
assert (original, "already-filed") in outcomes, outcomes
fix = next(r for r in runs if r["report_id"] == correction)
assert fix["filing"]["supersedes"] == original and fix["filing"]["kind"] == "correction", fix["filing"]
assert fix["publication_url"] is None and {d["attempts_this_run"] for d in fix["deliveries"]} == {1}, fix
pack = pathlib.Path(sys.argv[2])
chain = json.loads((pack / "evidence.json").read_text(encoding="utf-8"))["filings"]
assert [(f["report_id"], f["supersedes"]) for f in chain] == [(original, None), (correction, original)], chain
blocks = re.findall(r"^```sh\n(.*?)^```$", (pack / "README.md").read_text(encoding="utf-8"), re.M | re.S)
assert len(blocks) >= 2, blocks  # the files, the approvals' signatures (no seal in the walkthrough)
for block in blocks:
    subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=pack, check=True)
print(f"evidence pack: {len(blocks)} README command blocks pass")
PY
echo "walkthrough ok"
