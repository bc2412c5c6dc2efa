#!/bin/sh
# imap.sh - IMAP under load, roost's imapd against Dovecot's from Debian,
# side by side on this machine, same mailboxes, same commands.
#
#   sh bench/imap.sh [sessions] [seconds] [users] [messages] [size]
#
# Defaults: 20 sessions (4 of them in IDLE) for 20 s per round, 10
# users with 2000 messages of 4 KiB each in INBOX.  Needs root: it
# installs dovecot-core and dovecot-imapd when missing and runs a private
# Dovecot (IMAP only, its own base_dir and ports, users from a
# passwd-file, maildir, mail_fsync = always) and an embedded roost under
# $BENCH_DIR.  Both get their mailboxes filled over IMAP by imapload's
# fill mode (the same messages in the same order), then a warm-up, then
# ROUNDS (default 3) rounds alternating the two; each round prints both
# rates and the ratio, the median ratio is the result.  Last, IDLERS
# (default 200) idle sessions are opened on each and the resident memory
# of the server's processes is summed and divided by that count: roost's
# imapd and imap-login workers, Dovecot's imap and imap-login processes.
#
# ONLY=dovecot or ONLY=roost runs one side.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
C=${1:-20} T=${2:-20} U=${3:-10} M=${4:-2000} S=${5:-4096}
W=${BENCH_DIR:-/tmp/roost-bench-imap}
DC_PORT=${DC_PORT:-12143} ROOST_BASE=${ROOST_BASE:-32000}
IDLE_IN_LOAD=${IDLE_IN_LOAD:-4} ROUNDS=${ROUNDS:-3} IDLERS=${IDLERS:-200}
WARM=${WARM:-5} ONLY=${ONLY:-}
PW=bench-password

bench_need_root
bench_install dovecot-core dovecot-imapd
bench_build
# imapload sits beside the programs' build: build/release/bench, or
# O=DIR's DIR/bench when ROOST_BIN=DIR/bin.
if [ -z "${IMAPLOAD:-}" ]; then
	IMAPLOAD=build/release/bench/imapload
	if [ -n "${ROOST_BIN:-}" ] && [ -x "${ROOST_BIN%/bin}/bench/imapload" ]
	then
		IMAPLOAD=${ROOST_BIN%/bin}/bench/imapload
	fi
fi
[ -x "$IMAPLOAD" ] || make -s "$IMAPLOAD" >/dev/null

R="$BIN/roostctl -d $W/roost"
stop_all() {
	[ -z "${IDLE_PID:-}" ] || kill "$IDLE_PID" 2>/dev/null || true
	bench_dovecot_stop "$W/dc"
	$R stop >/dev/null 2>&1 || true
}
stop_all
rm -rf "$W"
mkdir -p "$W"
trap stop_all EXIT
trap 'exit 130' INT TERM

load() { # PORT SECONDS
	"$IMAPLOAD" -c "$C" -i "$IDLE_IN_LOAD" -t "$2" -u 'user%d' -r "$U" \
	    -p "$PW" "127.0.0.1:$1"
}
fill() { # PORT
	"$IMAPLOAD" -F "$M" -s "$S" -u 'user%d' -r "$U" -p "$PW" \
	    "127.0.0.1:$1"
}

# -- Dovecot ---------------------------------------------------------------
if [ "$ONLY" != roost ]; then
	bench_dovecot_setup "$W/dc" imap "$U" 'user%d' "$PW" <<CF
instance_name = roost-bench-imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_failure_delay = 0
protocol imap {
  mail_max_userip_connections = 10000
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DC_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  process_limit = 2000
}
default_client_limit = 4000
CF
	bench_dovecot_start "$W/dc"
	sleep 1
	dc_name=$(bench_dovecot_name)
	echo "$dc_name: $(fill "$DC_PORT")"
fi

# -- roost -------------------------------------------------------------------
if [ "$ONLY" != dovecot ]; then
	# As for Dovecot: no per-user or per-address session limit in the
	# way of IDLERS sessions from 127.0.0.1, and no login delay.
	bench_roost_setup imapd "$U" "$PW" <<CF
imapd_user_sessions = 10000
imapd_ip_sessions = 10000
auth_failure_delay = 0
CF
	RO_PORT=$((ROOST_BASE + 143))
	echo "roost: $(fill "$RO_PORT")"
fi

# -- load rounds -------------------------------------------------------------
bench_rounds "$DC_PORT" "$RO_PORT" ops/s

# -- memory per idle session -------------------------------------------------
# kib PID... - the summed VmRSS and Pss (from smaps_rollup) of the PIDs,
# in KiB: "rss pss".
kib() {
	for p in "$@"; do
		awk '/^VmRSS:/ { print "rss", $2 }' "/proc/$p/status" \
		    2>/dev/null || true
		awk '/^Pss:/ { print "pss", $2 }' "/proc/$p/smaps_rollup" \
		    2>/dev/null || true
	done | awk '{ s[$1] += $2 } END { printf "%d %d", s["rss"], s["pss"] }'
}
# children PID [NAME] - the child processes of PID (named NAME).
children() {
	for d in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$d/stat" 2>/dev/null)" = "$1" ] ||
		    continue
		[ -z "${2:-}" ] || [ "$(cat "$d/comm" 2>/dev/null)" = "$2" ] ||
		    continue
		echo "${d#/proc/}"
	done
}
# idle_memory NAME PORT PIDS-FUNCTION - open IDLERS idle sessions, then
# sum the memory of the processes PIDS-FUNCTION names.
idle_memory() {
	rm -f "$W/idle.fifo"
	mkfifo "$W/idle.fifo"
	"$IMAPLOAD" -I "$IDLERS" -w 600 -u 'user%d' -r "$U" -p "$PW" \
	    "127.0.0.1:$2" <"$W/idle.fifo" >"$W/idle.out" &
	IDLE_PID=$!
	exec 9>"$W/idle.fifo"
	n=0
	while ! grep -q '^idle' "$W/idle.out" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 1200 ] || { echo "$1: idle sessions not up" >&2; break; }
		sleep 0.1
	done
	sleep 1
	up=$(awk '{ print $2 }' "$W/idle.out")
	pids=$($3)
	nprocs=$(echo "$pids" | grep -c .)
	# shellcheck disable=SC2086 # one PID per word
	mem=$(kib $pids)
	rss=${mem% *} pss=${mem#* }
	echo "$1: $up idle sessions: processes $nprocs," \
	    "RSS $rss KiB in all, $((rss / ${up:-1})) KiB per session;" \
	    "PSS $pss KiB in all, $((pss / ${up:-1})) KiB per session"
	exec 9>&-
	wait "$IDLE_PID" || true
	IDLE_PID=
}
dovecot_pids() {
	m=$(cat "$W/dc/run/master.pid")
	children "$m" imap
	children "$m" imap-login
}
roost_pids() {	# imapd's workers, and imap-login's where it exists
	for svc in imapd imap-login; do
		m=$($R status |
		    awk -v s="$svc" '$1 == s { gsub(/[^0-9]/, "", $4); print $4 }')
		[ -z "$m" ] || children "$m"
	done
}
[ "$ONLY" = roost ] || idle_memory "$dc_name" "$DC_PORT" dovecot_pids
[ "$ONLY" = dovecot ] || idle_memory roost "$RO_PORT" roost_pids

