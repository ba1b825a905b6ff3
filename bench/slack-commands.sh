#!/usr/bin/env bash
# Load test of POST /slack/commands: signed `/digest search` requests mixing
# the search benchmark's four query classes, against the running bot with a
# 100,000-story SQLite archive, driven by wrk (apt-get install wrk) with 16
# connections on this machine.
#
# It runs ROUNDS rounds (default 3) of DURATION (default 15s); each round
# starts a fresh bot (cold reply cache) and replays freshly signed requests.
# It prints wrk's report for each round, then one line per round and the
# median: requests/s, p50, p99. Every response must be 2xx: a round that
# runs out of fresh requests (replays get 401) is flagged; raise REQUESTS.
#
# FLOOR=1 measures the harness instead: the same requests against a server
# that answers a fixed 2 KB reply and does nothing else (bench/slackload
# -floor), i.e. what wrk and the kernel alone cost on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/digestbot-bench}
mkdir -p "$work"
secret=bench-signing-secret
addr=127.0.0.1:18080
duration=${DURATION:-15s}
rounds=${ROUNDS:-3}
requests=${REQUESTS:-600000}
threads=2

go build -o "$work/digestbot" ./cmd/digestbot
go build -o "$work/slackload" ./bench/slackload

server=
stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
trap stop EXIT

# ms converts wrk's latency ("541.00us", "7.04ms", "1.20s") to milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

summary=()
for round in $(seq "$rounds"); do
  "$work/slackload" -db "$work/bench.db" -requests "$requests" -secret "$secret" -out "$work/requests.txt"
  if [ -n "${FLOOR:-}" ]; then
    "$work/slackload" -floor "$addr" 2>"$work/bot.log" &
  else
    DIGESTBOT_DB="$work/bench.db" DIGESTBOT_FEED_URL=testdata/sample-feed.xml DIGESTBOT_DELIVER_NEWEST=0 \
    DIGESTBOT_HTTP_ADDR=$addr DIGESTBOT_SLACK_SIGNING_SECRET=$secret DIGESTBOT_SLACK_COMMANDS=http \
    DIGESTBOT_LOG_LEVEL=warn "$work/digestbot" run >/dev/null 2>"$work/bot.log" &
  fi
  server=$!
  for _ in $(seq 50); do
    "$work/digestbot" healthcheck "http://$addr/healthz" 2>/dev/null && break
    if [ -n "${FLOOR:-}" ]; then sleep 0.5; break; fi
    sleep 0.2
  done
  echo "round $round/$rounds: wrk -t$threads -c16 -d$duration" >&2
  out=$(wrk -t$threads -c16 -d"$duration" --latency -s bench/slack-commands.lua "http://$addr" -- "$work/requests.txt" $threads)
  stop
  echo "$out"
  rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  flag=
  if grep -q "Non-2xx" <<<"$out"; then flag=" (NON-2XX RESPONSES: raise REQUESTS)"; fi
  summary+=("$rps $p50 $p99$flag")
done

echo
echo "round  requests/s  p50 ms  p99 ms"
i=0
for line in "${summary[@]}"; do
  i=$((i + 1))
  read -r rps p50 p99 rest <<<"$line"
  printf "%5d  %10s  %6s  %6s %s\n" "$i" "$rps" "$p50" "$p99" "$rest"
done
n=${#summary[@]}
m=$(( (n + 1) / 2 ))
med_rps=$(printf '%s\n' "${summary[@]}" | awk '{ print $1 }' | sort -n | sed -n "${m}p")
med_p99=$(printf '%s\n' "${summary[@]}" | awk '{ print $3 }' | sort -g | sed -n "${m}p")
printf "median %10s          %6s\n" "$med_rps" "$med_p99"
