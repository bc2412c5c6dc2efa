#!/bin/sh
# pop.sh - POP3 under load, roost's popd against Dovecot's from Debian,
# side by side on this machine, same maildrops, same sessions.
#
#   sh bench/pop.sh [clients] [seconds] [users] [messages] [size]
#
# Defaults: 20 clients for 20 s per round, 10 users with 200 messages of
# 4 KiB each.  Each client loops on sessions that retrieve every message
# and leave them on the server (USER, PASS, STAT, UIDL, LIST, RETR of
# each, QUIT without DELE), the next user each time.  Needs root: it
# installs dovecot-core, dovecot-pop3d and dovecot-imapd when missing
# and runs a private Dovecot (POP3 and IMAP, its own base_dir and ports,
# users from a passwd-file, maildir, mail_fsync = always) and an
# embedded roost under $BENCH_DIR.  Both get their maildrops filled over
# IMAP by imapload's fill mode (the same messages in the same order),
# then a warm-up, then ROUNDS (default 3) rounds alternating the two;
# each round prints both rates (messages retrieved per second) and the
# ratio, the median ratio is the result.
#
# ONLY=dovecot or ONLY=roost runs one side; WINDOW (default 1) is the
# count of RETRs a client keeps in flight (PIPELINING).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
C=${1:-20} T=${2:-20} U=${3:-10} M=${4:-200} S=${5:-4096}
W=${BENCH_DIR:-/tmp/roost-bench-pop}
DC_POP=${DC_POP:-12210} DC_IMAP=${DC_IMAP:-12243}
ROOST_BASE=${ROOST_BASE:-15000}
ROUNDS=${ROUNDS:-3} WARM=${WARM:-20} WINDOW=${WINDOW:-1} ONLY=${ONLY:-}
PW=bench-password

bench_need_root
bench_install dovecot-core dovecot-pop3d dovecot-imapd
bench_build
# popload and imapload sit beside the programs' build: build/release/bench,
# or O=DIR's DIR/bench when ROOST_BIN=DIR/bin.
LOADDIR=build/release/bench
if [ -n "${ROOST_BIN:-}" ] && [ -d "${ROOST_BIN%/bin}/bench" ]; then
	LOADDIR=${ROOST_BIN%/bin}/bench
fi
IMAPLOAD=${IMAPLOAD:-$LOADDIR/imapload} POPLOAD=${POPLOAD:-$LOADDIR/popload}
[ -x "$IMAPLOAD" ] || make -s "$IMAPLOAD" >/dev/null
[ -x "$POPLOAD" ] || make -s "$POPLOAD" >/dev/null

R="$BIN/roostctl -d $W/roost"
stop_all() {
	bench_dovecot_stop "$W/dc"
	$R stop >/dev/null 2>&1 || true
}
stop_all
rm -rf "$W"
mkdir -p "$W"
trap stop_all EXIT
trap 'exit 130' INT TERM

load() { # PORT SECONDS
	"$POPLOAD" -c "$C" -t "$2" -w "$WINDOW" -u 'user%d' -r "$U" \
	    -p "$PW" "127.0.0.1:$1"
}
fill() { # IMAP-PORT
	"$IMAPLOAD" -F "$M" -s "$S" -u 'user%d' -r "$U" -p "$PW" \
	    "127.0.0.1:$1"
}

# -- Dovecot ---------------------------------------------------------------
if [ "$ONLY" != roost ]; then
	bench_dovecot_setup "$W/dc" "imap pop3" "$U" 'user%d' "$PW" <<CF
instance_name = roost-bench-pop
listen = 127.0.0.1
disable_plaintext_auth = no
auth_failure_delay = 0
protocol pop3 {
  mail_max_userip_connections = 10000
}
protocol imap {
  mail_max_userip_connections = 10000
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DC_POP
  }
  inet_listener pop3s {
    port = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DC_IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3 {
  process_limit = 2000
}
default_client_limit = 4000
CF
	bench_dovecot_start "$W/dc"
	sleep 1
	dc_name=$(bench_dovecot_name)
	echo "$dc_name: $(fill "$DC_IMAP")"
fi

# -- roost -------------------------------------------------------------------
if [ "$ONLY" != dovecot ]; then
	# As for Dovecot: no per-user or per-address session limit in the
	# way of C clients of U users from 127.0.0.1, and no login delay.
	bench_roost_setup popd "$U" "$PW" <<CF
popd_user_sessions = 10000
popd_ip_sessions = 10000
auth_failure_delay = 0
CF
	RO_POP=$((ROOST_BASE + 110))
	echo "roost: $(fill $((ROOST_BASE + 143)))"
fi

# -- load rounds -------------------------------------------------------------
bench_rounds "$DC_POP" "$RO_POP" messages/s
