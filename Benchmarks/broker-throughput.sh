#!/usr/bin/env bash
# Broker throughput with kcat on this machine (broker and client share the cores):
# produce MESSAGES 100-byte messages with each codec and acks=1 / acks=all, then consume
# them all; RUNS repetitions, medians printed. Needs a release build of `sluice`
# (swift build -c release --product sluice) and kcat.
#   Benchmarks/broker-throughput.sh [MESSAGES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
messages="${1:-10000000}"
runs="${2:-3}"
work="$(mktemp -d /tmp/sluice-broker-bench.XXXX)"
trap 'kill "$broker" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$messages" > "$work/messages.txt" <<'PY'
import sys
line = ("sluice benchmark message %010d " + "x" * 100)[:99]  # 99 characters + newline = 100 bytes
out = sys.stdout
for i in range(int(sys.argv[1])):
    out.write(line % i + "\n")
PY

./.build/release/sluice serve --data-dir "$work/data" --kafka-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 > "$work/broker.log" 2>&1 &
broker=$!
for _ in $(seq 100); do grep -q "^kafka-port" "$work/broker.log" && break; sleep 0.1; done
bootstrap="127.0.0.1:$(awk '/^kafka-port/ {print $2}' "$work/broker.log")"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

echo "messages: $messages x 100 bytes; runs: $runs; $(nproc) cores shared by broker and kcat"
for codec in none gzip; do
  for acks in 1 all; do
    rates=()
    for run in $(seq "$runs"); do
      topic="bench-$codec-$acks-$run"
      t=$(seconds kcat -b "$bootstrap" -P -t "$topic" -z "$codec" -X acks="$acks" \
          -X linger.ms=5 -X batch.num.messages=100000 -X queue.buffering.max.messages=1000000 -l "$work/messages.txt")
      rates+=("$(echo "$messages / $t" | bc -l)")
    done
    printf 'produce codec=%-5s acks=%-3s %12.0f msg/s   (runs: %s)\n' "$codec" "$acks" \
      "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%.0f ' "${rates[@]}")"
  done
done
sync  # let write-back of the produced data finish before reading
# librdkafka 2.0.2 (Debian's kcat) stops fetching when its pre-fetch queue holds
# queued.min.messages (100k) and re-checks only about a second later, so with a broker
# faster than kcat's output the default settings measure that pause. Both are reported.
for settings in "default" "queued.min.messages=10000000 queued.max.messages.kbytes=2097151"; do
  options=()
  [ "$settings" = default ] || for setting in $settings; do options+=(-X "$setting"); done
  rates=()
  for run in $(seq "$runs"); do
    t=$(seconds sh -c "kcat -b '$bootstrap' -C -t bench-none-1-1 -o beginning -e -q ${options[*]:-} | wc -l > '$work/consumed.txt'")
    count=$(cat "$work/consumed.txt")
    [ "$count" -eq "$messages" ] || { echo "consumed $count of $messages"; exit 1; }
    rates+=("$(echo "$messages / $t" | bc -l)")
  done
  printf 'consume (%s) %12.0f msg/s   (runs: %s)\n' "$settings" "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%.0f ' "${rates[@]}")"
done

# Produce latency at a fixed rate with acks=all (confluent-kafka, from produce() to the
# delivery report), once the write-back of the gigabytes above has finished: each ack
# waits for an fdatasync, whose latency is the disk queue's.
sync
python3 Benchmarks/broker-latency.py "$bootstrap" 10000 10 "$runs"
