# lib.sh - what the bench/ scripts share: sourced, not run.
#
# The caller sets W (its work directory) and, before bench_build, may set
# ROOST_BIN (built programs) and SMTPLOAD (the load generator).

bench_need_root() {
	[ "$(id -u)" = 0 ] || { echo "$0: run as root" >&2; exit 1; }
}

# bench_install PACKAGE... - apt-get install what is missing, without
# questions (Postfix is preseeded to leave the system's mail alone).
bench_install() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing \
	    >/dev/null
}

# bench_build - set BIN and LOADGEN; build them unless ROOST_BIN is given.
bench_build() {
	# shellcheck disable=SC2034 # used by the callers
	BIN=${ROOST_BIN:-bin}
	LOADGEN=${SMTPLOAD:-build/release/bench/smtpload}
	[ -n "${ROOST_BIN:-}" ] || make -s all "$LOADGEN" >/dev/null
}

# bench_postfix_setup DIR PORT - a private Postfix instance in DIR
# listening on 127.0.0.1:PORT, no DNS, no client name lookups, every
# daemon outside chroot (so it can reach sockets under DIR).  Extra
# main.cf lines come on standard input.
bench_postfix_setup() {
	pf=$1
	mkdir -p "$pf/etc" "$pf/data" "$pf/spool"
	# Postfix runs other configuration directories only when the
	# default one names them, on one line.
	touch /etc/postfix/main.cf
	if ! grep -q "^alternate_config_directories.*$pf/etc" \
	    /etc/postfix/main.cf; then
		if grep -q "^alternate_config_directories" \
		    /etc/postfix/main.cf; then
			sed -i "s|^alternate_config_directories.*|& $pf/etc|" \
			    /etc/postfix/main.cf
		else
			echo "alternate_config_directories = $pf/etc" \
			    >>/etc/postfix/main.cf
		fi
	fi
	cat >"$pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination = localhost
mynetworks = 127.0.0.0/8
maillog_file_prefixes = /var, /dev/stdout, $pf
maillog_file = $pf/maillog
message_size_limit = 26214400
# No network here: no client name lookups (roost does none either).
smtpd_peername_lookup = no
disable_dns_lookups = yes
alias_maps =
local_recipient_maps =
default_process_limit = 100
CF
	cat >>"$pf/etc/main.cf"
	sed -e "s/^smtp \{1,\}inet.*/127.0.0.1:$2 inet n - n - - smtpd/" \
	    -e 's/^\([a-z]* *unix *[-n] *[-n] *\)y /\1n /' \
	    /etc/postfix/master.cf >"$pf/etc/master.cf"
	chown postfix "$pf/data"
	postfix -c "$pf/etc" check
}

bench_postfix_start() { postfix -c "$1/etc" start >/dev/null 2>&1; }
bench_postfix_stop() { postfix -c "$1/etc" stop >/dev/null 2>&1 || true; }

# bench_now - seconds since the epoch, with nanoseconds.
bench_now() { date +%s.%N; }

# bench_rate - the "rate" figure of an smtpload result line.
bench_rate() {
	echo "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "rate")
	    print $(i + 1) + 0 }'
}
