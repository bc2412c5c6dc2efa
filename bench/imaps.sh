#!/bin/sh
# imaps.sh - what IMAP over TLS costs on roost: big FETCHes through the
# TLS session (which the login process relays to imapd since the login
# split), and whole sessions (connect, TLS handshake, LOGIN, LOGOUT).
#
#   sh bench/imaps.sh [fetch|login] [count] [megabytes]
#
# fetch (the default): one message of MEGABYTES (default 20) MB, fetched
# whole COUNT times (default 10) on one IMAPS session; prints MB/s.
# login: COUNT (default 200) sessions one after another; prints sessions
# per second.  ROUNDS (default 3) rounds, the median is the result.
# Needs root; runs an embedded roost under $BENCH_DIR at port base
# $ROOST_BASE.  For a build against another: bench/versus.sh.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
MODE=${1:-fetch}
case $MODE in fetch) N=${2:-10} ;; login) N=${2:-200} ;;
*) echo "usage: $0 [fetch|login] [count] [megabytes]" >&2; exit 2 ;; esac
MB=${3:-20}
W=${BENCH_DIR:-/tmp/roost-bench-imaps} ROOST_BASE=${ROOST_BASE:-33000}
ROUNDS=${ROUNDS:-3}
PW=bench-password

bench_need_root
bench_build
R="$BIN/roostctl -d $W/roost"
stop_all() { $R stop >/dev/null 2>&1 || true; }
stop_all
rm -rf "$W"
mkdir -p "$W"
trap stop_all EXIT
trap 'exit 130' INT TERM
bench_roost_setup imapd 1 "$PW" <<CF
auth_failure_delay = 0
imapd_ip_sessions = 10000
CF
PORT=$((ROOST_BASE + 993))

rounds=
i=1
while [ "$i" -le "$ROUNDS" ]; do
	r=$(python3 - "$MODE" "$N" "$MB" "$PORT" "$PW" "$i" <<'PY'
import imaplib, ssl, sys, time
mode, n, mb, port, pw, rnd = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def session():
    return imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
if mode == "fetch":
    m = session()
    m.login("user1", pw)
    if rnd == 1:
        line = b"x" * 998 + b"\r\n"
        m.append("INBOX", None, None, b"Subject: big\r\n\r\n" +
                 line * (mb * 1024 * 1024 // len(line)))
    m.select("INBOX")
    t = time.monotonic()
    for _ in range(n):
        typ, d = m.fetch("1", "(BODY.PEEK[])")
        assert typ == "OK" and len(d[0][1]) > mb * 1000000
    dt = time.monotonic() - t
    m.logout()
    print("%.1f" % (n * mb / dt))
else:
    t = time.monotonic()
    for _ in range(n):
        m = session()
        m.login("user1", pw)
        m.logout()
    print("%.1f" % (n / (time.monotonic() - t)))
PY
)
	echo "round $i: $r"
	rounds="$rounds $r"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # the list is split on purpose
unit=$([ "$MODE" = fetch ] && echo MB/s || echo sessions/s)
echo "roost $MODE: $rounds $unit (median $(bench_median $rounds))"
