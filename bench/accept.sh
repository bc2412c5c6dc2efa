#!/bin/sh
# accept.sh - SMTP acceptance: roost against Postfix from Debian, side by
# side on this machine, same load, both fsyncing each message before 250.
#
#   sh bench/accept.sh [messages] [sessions] [size]
#
# Needs root (it installs Postfix and runs a private instance of it on a
# spare port, with every message put on hold so neither system delivers
# while the other is measured).  Prints one line per system and the ratio.
set -eu
cd "$(dirname "$0")/.."
N=${1:-5000} C=${2:-16} S=${3:-4096}
W=${BENCH_DIR:-/tmp/roost-bench}
PF_PORT=${PF_PORT:-12525} ROOST_BASE=${ROOST_BASE:-30000}

[ "$(id -u)" = 0 ] || { echo "accept.sh: run as root" >&2; exit 1; }
if ! command -v postfix >/dev/null; then
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
BIN=${ROOST_BIN:-bin}
LOADGEN=${SMTPLOAD:-build/release/bench/smtpload}
[ -n "${ROOST_BIN:-}" ] || make -s all "$LOADGEN" >/dev/null

# A previous run's instances must be gone before their files are.
postfix -c "$W/pf/etc" stop >/dev/null 2>&1 || true
"$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true
rm -rf "$W"; mkdir -p "$W/pf/etc" "$W/pf/data" "$W/pf/spool"
# Postfix runs other configuration directories only when the default
# one allows them.
touch /etc/postfix/main.cf
grep -q "^alternate_config_directories.*$W/pf/etc" /etc/postfix/main.cf ||
	echo "alternate_config_directories = $W/pf/etc" >>/etc/postfix/main.cf
cat >"$W/pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $W/pf/spool
data_directory = $W/pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination = localhost
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject
maillog_file_prefixes = /var, /dev/stdout, $W
maillog_file = $W/pf/maillog
message_size_limit = 26214400
# No network here: no client name lookups (roost does none either).
smtpd_peername_lookup = no
disable_dns_lookups = yes
alias_maps =
local_recipient_maps =
default_process_limit = 100
CF
sed -e "s/^smtp \{1,\}inet.*/127.0.0.1:$PF_PORT inet n - n - - smtpd/" \
    -e 's/^\([a-z]* *unix *[-n] *[-n] *\)y /\1n /' \
    /etc/postfix/master.cf >"$W/pf/etc/master.cf"
chown postfix "$W/pf/data"
postfix -c "$W/pf/etc" check
postfix -c "$W/pf/etc" start >/dev/null 2>&1
trap 'postfix -c "$W/pf/etc" stop >/dev/null 2>&1 || true;
      "$BIN"/roostctl -d "$W/roost" stop >/dev/null 2>&1 || true' EXIT
"$BIN"/roostctl -d "$W/roost" --port-base "$ROOST_BASE" start >/dev/null
sleep 1

load() { "$LOADGEN" -n "$N" -c "$C" -s "$S" \
    -t user@localhost "127.0.0.1:$1"; }
# Warm both up, then measure.
load "$PF_PORT" >/dev/null 2>&1 || true
load $((ROOST_BASE + 25)) >/dev/null 2>&1 || true
pf=$(load "$PF_PORT") || true
ro=$(load $((ROOST_BASE + 25))) || true
echo "postfix $(postconf -d mail_version | cut -d' ' -f3): $pf"
echo "roost: $ro"
echo "$pf" "$ro" | awk '{ for (i = 1; i <= NF; i++) if ($i == "rate")
    r[++k] = $(i + 1) + 0 } END { if (r[1] > 0)
    printf "ratio roost/postfix: %.2f\n", r[2] / r[1] }'
