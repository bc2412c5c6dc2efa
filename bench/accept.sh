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
# it up.  ROUNDS (default 3) rounds alternate the two, each printing both
# figures and their ratio; last come the medians.  ONLY=postfix or
# ONLY=roost runs one side.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-5000} C=${2:-16} S=${3:-4096}
W=${BENCH_DIR:-/tmp/roost-bench}
PF_PORT=${PF_PORT:-12525} ROOST_BASE=${ROOST_BASE:-30000}
ROUNDS=${ROUNDS:-3} ONLY=${ONLY:-}

bench_need_root
[ "$ONLY" = roost ] || bench_install postfix
bench_build

# A previous run's instances must be gone before their files are.
bench_postfix_stop "$W/pf"
"$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true
rm -rf "$W"
if [ "$ONLY" != roost ]; then
	bench_postfix_setup "$W/pf" "$PF_PORT" <<CF
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject
CF
	bench_postfix_start "$W/pf"
fi
trap 'bench_postfix_stop "$W/pf";
      "$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true' EXIT
if [ "$ONLY" != postfix ]; then
	"$BIN"/roostctl -d "$W/roost" --port-base "$ROOST_BASE" start \
	    >/dev/null
	s6-svc -d "$W/roost/run/service/qmgr"
fi
sleep 1

# load PORT - one load (bench_rounds' seconds do not apply: N messages)
load() { "$LOADGEN" -n "$N" -c "$C" -s "$S" \
    -t user@remote.example "127.0.0.1:$1"; }
# shellcheck disable=SC2034 # bench_rounds reads them
peer=postfix dc_name="postfix $(postconf -d mail_version 2>/dev/null |
    cut -d' ' -f3)" T='' WARM=''
bench_rounds "$PF_PORT" $((ROOST_BASE + 25)) "accepted msg/s"
