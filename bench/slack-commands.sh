#!/usr/bin/env bash
# Load test of POST /slack/commands: signed `/digest search` requests mixing
# the search benchmark's four query classes, against the running bot with a
# 100,000-story SQLite archive, driven by wrk (apt-get install wrk) with 16
# connections on this machine. Prints wrk's report (requests/s, latency
# percentiles; "Non-2xx" must be absent).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/digestbot-bench}
mkdir -p "$work"
secret=bench-signing-secret
addr=127.0.0.1:18080
duration=${DURATION:-15s}
threads=2

go build -o "$work/digestbot" ./cmd/digestbot
go run ./bench/slackload -db "$work/bench.db" -requests "${REQUESTS:-300000}" -secret "$secret" -out "$work/requests.txt"

DIGESTBOT_DB="$work/bench.db" DIGESTBOT_FEED_URL=testdata/sample-feed.xml DIGESTBOT_DELIVER_NEWEST=0 \
DIGESTBOT_HTTP_ADDR=$addr DIGESTBOT_SLACK_SIGNING_SECRET=$secret DIGESTBOT_SLACK_COMMANDS=http \
DIGESTBOT_LOG_LEVEL=warn "$work/digestbot" run >/dev/null 2>"$work/bot.log" &
bot=$!
trap 'kill $bot 2>/dev/null; wait $bot 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  "$work/digestbot" healthcheck "http://$addr/healthz" 2>/dev/null && break
  sleep 0.2
done
echo "bot ready; wrk -t$threads -c16 -d$duration" >&2
wrk -t$threads -c16 -d"$duration" --latency -s bench/slack-commands.lua "http://$addr" -- "$work/requests.txt" $threads
