#!/usr/bin/env bash
# Monthly churn report for cron: reports the previous month, keeps the whole output in a log,
# retries only what a retry can fix, and on failure prints ONE line to stderr (cron mails it to
# MAILTO) and to syslog, then exits with churn-report's exit code. A published run prints nothing.
#
# crontab (crontab -e, or a file in /etc/cron.d/ with a user field after the time fields):
#   MAILTO=ops@example.com
#   CHURN_CONFIG=/etc/churn/report.yml
#   CHURN_REPORT=/opt/churnreport/.venv/bin/churn-report
#   # 06:00 on the 1st of every month, in the machine's time zone (see CHURN_TZ)
#   0 6 1 * * /opt/churnreport/examples/cron/churn-report-monthly.sh
#
# Settings (environment; the crontab lines above set them):
#   CHURN_REPORT       churn-report executable (default: churn-report on PATH)
#   CHURN_CONFIG       report config (default /etc/churn/report.yml)
#   CHURN_OUT          output directory (default: the config's output_dir)
#   CHURN_LOG_DIR      where <as_of>.log keeps every line of the month's tries (default /var/log/churn)
#   CHURN_TZ           time zone whose calendar gives "the previous month" (default: the machine's)
#   CHURN_AS_OF        report date YYYY-MM-DD, to rerun another month (default: previous month's end)
#   CHURN_RETRY_DELAY  seconds before a retry (default 600)
#   CHURN_SYSLOG       0: do not copy the failure line to syslog (default 1)
#
# Exit codes (docs/SCHEDULING.md): 3 (another run holds the lock) is retried up to 6 times;
# 1 (a notebook failed), 5 (the machine failed), 7 (published, the database write failed)
# and 137 (SIGKILL, often out of memory) once;
# 2, 4 (published with alerts: never rerun), 6, 130 and 143 are reported at once.
set -uo pipefail

exe=${CHURN_REPORT:-churn-report}
config=${CHURN_CONFIG:-/etc/churn/report.yml}
log_dir=${CHURN_LOG_DIR:-/var/log/churn}
delay=${CHURN_RETRY_DELAY:-600}
lock_retries=6

if [ -n "${CHURN_TZ:-}" ]; then export TZ=$CHURN_TZ; fi
as_of=${CHURN_AS_OF:-$(date -d "$(date +%Y-%m-01) -1 day" +%F)}

fail() {  # one line for cron's mail and syslog, then the exit code
  local line="churn-report-monthly: report $as_of failed: $1"
  echo "$line" >&2
  if [ "${CHURN_SYSLOG:-1}" != 0 ]; then
    logger -t churn-report -p user.err -- "$line" 2>/dev/null || true
  fi
  exit "$2"
}

mkdir -p "$log_dir" 2>/dev/null || fail "cannot create the log folder $log_dir" 2
log="$log_dir/$as_of.log"
cmd=("$exe" run --config "$config" --as-of "$as_of" --fail-on-alert)
if [ -n "${CHURN_OUT:-}" ]; then cmd+=(--out "$CHURN_OUT"); fi

try=1
while :; do
  echo "$(date -Iseconds) churn-report-monthly: try $try: ${cmd[*]}" >>"$log" \
    || fail "cannot write the log $log" 2
  start=$(wc -l <"$log")
  "${cmd[@]}" >>"$log" 2>&1
  code=$?
  case $code in
    0) exit 0 ;;
    3) retry=$((try <= lock_retries)) ;;
    1 | 5 | 7 | 137) retry=$((try == 1)) ;;
    *) retry=0 ;;
  esac
  [ "$retry" = 1 ] || break
  sleep "$delay"
  try=$((try + 1))
done

case $code in
  1) what="a notebook failed (executed copy under the output folder's _failed/)" ;;
  2) what="bad config or input; fix the data or the mapping" ;;
  3) what="another run still holds the output folder's lock" ;;
  4) what="published with alerts; do not rerun, read the alerts" ;;
  5) what="the machine failed the run (disk, memory, input/output)" ;;
  6) what="internal error (a bug); report it with the run.log its ERROR line names" ;;
  7) what="published, but writing the results to the publish database failed" ;;
  127) what="$exe not found" ;;
  130 | 143) what="stopped by a signal" ;;
  137) what="killed (SIGKILL, often out of memory)" ;;
  *) what="unexpected exit code" ;;
esac
# the last try's ERROR line (churn-report writes exactly one per failure)
error=$(tail -n +"$((start + 1))" "$log" | grep ' ERROR ' | tail -n 1 | sed 's/^.* ERROR //')
fail "exit $code after $try tr$([ "$try" = 1 ] && echo y || echo ies): $what${error:+ [$error]}; run.log: $log" "$code"
