#!/bin/sh
# deliver.sh - end-to-end durable delivery: SMTP in until every message
# is committed in its mailbox, roost against Postfix + Dovecot LMTP from
# Debian, side by side on this machine, same load, same run.
#
#   sh bench/deliver.sh [messages] [sessions] [size] [mailboxes]
#
# Defaults: 5000 messages of 4096 bytes over 20 sessions, spread
# round-robin over user1..user50@bench.test.  Needs root: it installs
# postfix, dovecot-core and dovecot-lmtpd when missing and runs private
# instances of them (and an embedded roost) under $BENCH_DIR.
#
# Postfix hands bench.test to Dovecot's LMTP over a Unix socket
# (virtual_transport = lmtp:unix:...); Dovecot stores maildir with
# mail_fsync = always.  A message counts as delivered when its file is in
# a maildir's new/ or cur/ (Dovecot renames it there after fsync), or in
# roost's store (a msg/ file, confirmed by the store index at the end).
# Printed per system: accepted msg/s (the SMTP phase, smtpload's rate)
# and end-to-end msg/s (from the first MAIL to the last message
# committed, polled every 0.1 s), then the ratio of end-to-end rates.
#
# ONLY=postfix or ONLY=roost runs one side.  ROUNDS (default 3) rounds
# alternate the two; the median ratio of the rounds is the result.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-5000} C=${2:-20} S=${3:-4096} U=${4:-50}
W=${BENCH_DIR:-/tmp/roost-bench-deliver}
PF_PORT=${PF_PORT:-12625} ROOST_BASE=${ROOST_BASE:-31000}
WARM=${WARM:-200} LIMIT=${LIMIT:-900} ONLY=${ONLY:-} ROUNDS=${ROUNDS:-3}

bench_need_root
bench_install postfix dovecot-core dovecot-lmtpd
bench_build

stop_all() {
	bench_postfix_stop "$W/pf"
	bench_dovecot_stop "$W/dc"
	"$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true
}
# A previous run's instances must be gone before their files are.
stop_all
rm -rf "$W"
mkdir -p "$W"
trap stop_all EXIT
trap 'exit 130' INT TERM

# count_dovecot / count_roost - messages committed so far.
count_dovecot() {
	find "$W/dc/mail" \( -path '*/new/*' -o -path '*/cur/*' \) -type f \
	    2>/dev/null | wc -l
}
count_roost() {
	find "$W/roost/store/u" -path '*/msg/*' -type f 2>/dev/null | wc -l
}

# wait_count COUNTER TARGET - poll until COUNTER reaches TARGET; fails
# after LIMIT seconds.
wait_count() {
	t_end=$(awk -v t="$(bench_now)" -v l="$LIMIT" \
	    'BEGIN { printf "%.3f", t + l }')
	while [ "$($1)" -lt "$2" ]; do
		if awk -v n="$(bench_now)" -v e="$t_end" 'BEGIN { exit !(n > e) }'
		then
			echo "deliver.sh: $1: $($1) of $2 after ${LIMIT}s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# measure NAME PORT COUNTER - warm up, then load and wait for delivery;
# sets RESULT to "accepted_rate e2e_rate seconds" and prints a line.
measure() {
	load() { "$LOADGEN" -n "$1" -c "$C" -s "$S" \
	    -t 'user%d@bench.test' -r "$U" "127.0.0.1:$2"; }
	base=$($3)
	w=$(load "$WARM" "$2") || true
	w=$(bench_field accepted "$w")
	wait_count "$3" $((base + ${w:-0})) || return 1
	base=$($3)
	# Let the warm-up's (and the other system's) dirty pages reach the
	# disk first, so neither side pays for the other's writeback.
	sync
	sleep 3
	t0=$(bench_now)
	out=$(load "$N" "$2") || true
	acc=$(bench_field accepted "$out")
	acc=${acc:-0}
	wait_count "$3" $((base + acc)) || return 1
	t1=$(bench_now)
	RESULT=$(awk -v a="$acc" -v t0="$t0" -v t1="$t1" \
	    -v r="$(bench_field rate "$out")" 'BEGIN { printf "%.1f %.1f %.3f",
	    r, a / (t1 - t0), t1 - t0 }')
	# shellcheck disable=SC2086 # split RESULT into its three figures
	set -- "$1" $RESULT "$acc"
	echo "$1: $5 of $N accepted at $2 msg/s; all delivered after" \
	    "$4 s: $3 msg/s end-to-end ($out)"
}

# Other work on the machine moves the figures: say how busy it was, and
# alternate the two systems over ROUNDS rounds, reporting the median.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$ONLY" != roost ]; then
	bench_dovecot_setup "$W/dc" lmtp "$U" 'user%d@bench.test' <<CF
lmtp_save_to_detail_mailbox = no
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
CF
	bench_dovecot_start "$W/dc"
	bench_postfix_setup "$W/pf" "$PF_PORT" <<CF
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = bench.test
virtual_transport = lmtp:unix:$W/dc/run/lmtp
CF
	bench_postfix_start "$W/pf"
	sleep 1
	pf_name="postfix $(postconf -d mail_version | cut -d' ' -f3) + dovecot"
	pf_name="$pf_name $(bench_dovecot_name | cut -d' ' -f2)"
fi
if [ "$ONLY" != postfix ]; then
	R="$BIN/roostctl -d $W/roost"
	$R --port-base "$ROOST_BASE" start >/dev/null
	$R domain add bench.test >/dev/null
	i=1
	while [ "$i" -le "$U" ]; do
		echo "bench-password-$i" |
		    $R user add "user$i@bench.test" --password-stdin >/dev/null
		i=$((i + 1))
	done
fi

# rate_of - the end-to-end rate from measure's RESULT.
rate_of() { r=${RESULT#* }; echo "${r% *}"; }
pf_rates='' ro_rates='' ratios=''
round=1
while [ "$round" -le "$ROUNDS" ]; do
	pf_rate='' ro_rate=''
	if [ "$ONLY" != roost ]; then
		measure "$pf_name" "$PF_PORT" count_dovecot
		pf_rate=$(rate_of)
		pf_rates="$pf_rates $pf_rate"
	fi
	if [ "$ONLY" != postfix ]; then
		measure roost "$((ROOST_BASE + 25))" count_roost
		ro_rate=$(rate_of)
		ro_rates="$ro_rates $ro_rate"
	fi
	if [ -n "$pf_rate" ] && [ -n "$ro_rate" ]; then
		r=$(awk -v p="$pf_rate" -v r="$ro_rate" \
		    'BEGIN { printf "%.2f", (p > 0 ? r / p : 0) }')
		ratios="$ratios $r"
		echo "round $round: ratio roost/(postfix+dovecot) $r"
	fi
	round=$((round + 1))
done
if [ "$ONLY" != roost ]; then
	bench_postfix_stop "$W/pf"
	bench_dovecot_stop "$W/dc"
fi
if [ "$ONLY" != postfix ]; then
	# The files are linked before the index commits: check the index.
	if $R mailbox list user1@bench.test >/dev/null 2>&1; then
		i=1 total=0
		while [ "$i" -le "$U" ]; do
			# NAME, special-use, messages, unseen, ... (tabs)
			n=$($R mailbox list "user$i@bench.test" |
			    awk -F '\t' '$1 == "INBOX" { print $3 }')
			total=$((total + ${n:-0}))
			i=$((i + 1))
		done
		echo "roost: the store index holds $total messages in the" \
		    "INBOXes (files: $(count_roost))"
	else
		echo "roost: index check skipped (no roostctl mailbox list)"
	fi
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # the lists are split on purpose
[ -z "$pf_rates" ] || echo "postfix+dovecot end-to-end msg/s:$pf_rates" \
    "(median $(bench_median $pf_rates))"
# shellcheck disable=SC2086
[ -z "$ro_rates" ] || echo "roost end-to-end msg/s:$ro_rates" \
    "(median $(bench_median $ro_rates))"
# shellcheck disable=SC2086
[ -z "$ratios" ] || echo "ratio roost/(postfix+dovecot), end-to-end:" \
    "median $(bench_median $ratios) of$ratios"
