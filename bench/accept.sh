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

load() { "$LOADGEN" -n "$N" -c "$C" -s "$S" \
    -t user@remote.example "127.0.0.1:$1"; }
# Warm both up, then alternate them over ROUNDS rounds.
[ "$ONLY" = roost ] || load "$PF_PORT" >/dev/null 2>&1 || true
[ "$ONLY" = postfix ] || load $((ROOST_BASE + 25)) >/dev/null 2>&1 || true
pf_name="postfix $(postconf -d mail_version | cut -d' ' -f3)"
pf_rates='' ro_rates='' ratios=''
round=1
while [ "$round" -le "$ROUNDS" ]; do
	pf='' ro=''
	if [ "$ONLY" != roost ]; then
		sync
		out=$(load "$PF_PORT") || true
		echo "round $round $pf_name: $out"
		pf=$(bench_rate "$out")
		pf_rates="$pf_rates $pf"
	fi
	if [ "$ONLY" != postfix ]; then
		sync
		out=$(load $((ROOST_BASE + 25))) || true
		echo "round $round roost: $out"
		ro=$(bench_rate "$out")
		ro_rates="$ro_rates $ro"
	fi
	if [ -n "$pf" ] && [ -n "$ro" ]; then
		r=$(awk -v p="$pf" -v r="$ro" \
		    'BEGIN { printf "%.2f", (p > 0 ? r / p : 0) }')
		ratios="$ratios $r"
		echo "round $round: ratio roost/postfix $r"
	fi
	round=$((round + 1))
done
# shellcheck disable=SC2086 # the lists are split on purpose
[ -z "$pf_rates" ] || echo "postfix accepted msg/s:$pf_rates" \
    "(median $(bench_median $pf_rates))"
# shellcheck disable=SC2086
[ -z "$ro_rates" ] || echo "roost accepted msg/s:$ro_rates" \
    "(median $(bench_median $ro_rates))"
# shellcheck disable=SC2086
[ -z "$ratios" ] || echo "ratio roost/postfix, accepted: median" \
    "$(bench_median $ratios) of$ratios"
