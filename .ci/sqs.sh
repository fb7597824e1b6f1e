#!/usr/bin/env bash
# Start or stop a throwaway SQS-compatible server (moto's server mode) for the push tests.
#
#   eval "$(bash .ci/sqs.sh start)"   # prints the export lines below
#   pytest tests/push
#   bash .ci/sqs.sh stop
#
# Listens on 127.0.0.1:$AMZCANCEL_SQS_PORT (default 54330). Exports AMZCANCEL_TEST_SQS (the
# tests use that server instead of starting their own), AWS_ENDPOINT_URL_SQS, fake AWS keys and
# a region, so boto3 talks to it and never to AWS. Installs moto from PyPI when it is missing
# (it is in the dev extra too).
set -euo pipefail

PORT="${AMZCANCEL_SQS_PORT:-54330}"
PIDFILE="${TMPDIR:-/tmp}/amzcancel-sqs-$PORT.pid"
URL="http://127.0.0.1:$PORT"

log() { echo "sqs.sh: $*" >&2; }

exports() {
  echo "export AMZCANCEL_TEST_SQS=$URL"
  echo "export AWS_ENDPOINT_URL_SQS=$URL"
  echo "export AWS_ACCESS_KEY_ID=testing"
  echo "export AWS_SECRET_ACCESS_KEY=testing"
  echo "export AWS_DEFAULT_REGION=us-east-1"
}

answers() { python -c "import urllib.request as u; u.urlopen('$URL/moto-api/', timeout=2)" 2>/dev/null; }

start() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && answers; then
    log "already running on $URL"
    exports
    return 0
  fi
  if ! python -c "import moto.server" 2>/dev/null; then
    log "installing moto[server]"
    pip install -q "moto[server]>=5.0" >&2
  fi
  nohup python -m moto.server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
  local server=$!
  echo "$server" >"$PIDFILE"
  # The server ends with the shell that started us (CI's .ci/run): a watchdog, since that
  # shell's one EXIT trap already stops PostgreSQL.
  local owner=$PPID
  nohup bash -c "while kill -0 $owner 2>/dev/null; do sleep 2; done; kill $server 2>/dev/null; rm -f '$PIDFILE'" \
    >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if answers; then
      log "moto SQS listening on $URL"
      exports
      return 0
    fi
    sleep 0.2
  done
  log "moto did not answer on $URL"
  exit 1
}

stop() {
  if [ -f "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
    log "stopped $URL"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
