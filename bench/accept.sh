#!/bin/sh
# accept.sh - SMTP acceptance: roost against Postfix from Debian, side by
# side on this machine, same load, both fsyncing each message before 250.
#
#   sh bench/accept.sh [messages] [sessions] [size]
#
# Needs root (it installs Postfix and runs a private instance of it on a
# spare port).  Neither system delivers while measured: Postfix puts every
# message on hold, roost's queue manager is stopped.  The recipient is in
# a remote domain, which both relay for loopback clients without looking
# it up.  Prints one line per system and the ratio.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-5000} C=${2:-16} S=${3:-4096}
W=${BENCH_DIR:-/tmp/roost-bench}
PF_PORT=${PF_PORT:-12525} ROOST_BASE=${ROOST_BASE:-30000}

bench_need_root
bench_install postfix
bench_build

# A previous run's instances must be gone before their files are.
bench_postfix_stop "$W/pf"
"$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true
rm -rf "$W"
bench_postfix_setup "$W/pf" "$PF_PORT" <<CF
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject
CF
bench_postfix_start "$W/pf"
trap 'bench_postfix_stop "$W/pf";
      "$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true' EXIT
"$BIN"/roostctl -d "$W/roost" --port-base "$ROOST_BASE" start >/dev/null
s6-svc -d "$W/roost/run/service/qmgr"
sleep 1

load() { "$LOADGEN" -n "$N" -c "$C" -s "$S" \
    -t user@remote.example "127.0.0.1:$1"; }
# Warm both up, then measure.
load "$PF_PORT" >/dev/null 2>&1 || true
load $((ROOST_BASE + 25)) >/dev/null 2>&1 || true
pf=$(load "$PF_PORT") || true
ro=$(load $((ROOST_BASE + 25))) || true
echo "postfix $(postconf -d mail_version | cut -d' ' -f3): $pf"
echo "roost: $ro"
awk -v p="$(bench_rate "$pf")" -v r="$(bench_rate "$ro")" 'BEGIN {
    if (p > 0) printf "ratio roost/postfix: %.2f\n", r / p }'
