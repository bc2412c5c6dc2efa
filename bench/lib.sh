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

# bench_dovecot_setup DIR PROTOCOLS USERS PATTERN [PASSWORD] - a private
# Dovecot instance in DIR (dovecot.conf, its own base_dir and state_dir,
# the log in DIR/dovecot.log) serving PROTOCOLS ("imap pop3", "lmtp"),
# no TLS, maildir under DIR/mail/%n with mail_fsync = always, owned by
# the system user roost-bench-mail (created when missing).  Its users
# come from the passwd-file DIR/users: PATTERN with its %d replaced by
# 1..USERS ("user%d@bench.test"), with the plaintext PASSWORD when one is
# given: hashed as roost hashes its users' passwords (yescrypt through
# crypt(3), Dovecot's CRYPT scheme), or in plaintext when DC_SCHEME is
# PLAIN.  The protocol-specific lines (listeners, limits) come on
# standard input and go to the end of dovecot.conf.
bench_dovecot_setup() {
	_dc=$1
	_mu=roost-bench-mail
	id "$_mu" >/dev/null 2>&1 || useradd --system --user-group \
	    --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$_mu"
	_uid=$(id -u "$_mu") _gid=$(id -g "$_mu")
	mkdir -p "$_dc/mail" "$_dc/state"
	chown "$_mu:$_mu" "$_dc/mail"
	_pw=
	_i=1
	while [ "$_i" -le "$3" ]; do
		# shellcheck disable=SC2059 # the pattern is the format
		_u=$(printf "$4" "$_i")
		if [ "${DC_SCHEME:-CRYPT}" = PLAIN ]; then
			_pw=${5:+"{PLAIN}$5"}
		elif [ -n "${5:-}" ]; then
			_pw="{CRYPT}$(bench_crypt "$5")"
		fi
		echo "$_u:$_pw:$_uid:$_gid::$_dc/mail/${_u%%@*}::"
		_i=$((_i + 1))
	done >"$_dc/users"
	cat >"$_dc/dovecot.conf" <<CF
# A private Dovecot for bench/: $2.
base_dir = $_dc/run
state_dir = $_dc/state
log_path = $_dc/dovecot.log
protocols = $2
ssl = no
first_valid_uid = $_uid
mail_location = maildir:$_dc/mail/%n
mail_fsync = always
passdb {
  driver = passwd-file
  args = $_dc/users
}
userdb {
  driver = passwd-file
  args = $_dc/users
}
CF
	cat >>"$_dc/dovecot.conf"
}

# bench_crypt PASSWORD - its yescrypt hash, with a fresh salt and
# libxcrypt's default cost, the way roostctl user add stores it.
bench_crypt() {
	perl -e '@c = (".", "/", 0 .. 9, "A" .. "Z", "a" .. "z");
	    $s = join "", map { $c[rand 64] } 1 .. 16;
	    $h = crypt($ARGV[0], "\$y\$j9T\$$s\$");
	    defined $h && $h =~ /^\$y\$/ or die "no yescrypt in crypt(3)\n";
	    print $h' "$1"
}

bench_dovecot_start() { dovecot -c "$1/dovecot.conf"; }
bench_dovecot_stop() {
	[ ! -f "$1/dovecot.conf" ] ||
	    dovecot -c "$1/dovecot.conf" stop >/dev/null 2>&1 || true
}
# bench_dovecot_name - "dovecot VERSION".
bench_dovecot_name() { echo "dovecot $(dovecot --version | cut -d' ' -f1)"; }

# bench_now - seconds since the epoch, with nanoseconds.
bench_now() { date +%s.%N; }

# bench_field NAME LINE - the number after NAME in a load generator's
# result line ("rate 123.4/s" -> 123.4).
bench_field() {
	echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k)
	    print $(i + 1) + 0 }'
}

# bench_rate - the "rate" figure of an smtpload result line.
bench_rate() { bench_field rate "$1"; }

# bench_median NUMBER... - their median (the lower middle one of an even
# count).
bench_median() {
	echo "$@" | tr ' ' '\n' | grep . | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# bench_rounds PEER_PORT RO_PORT UNIT - the caller's `load PORT SECONDS`
# on the peer (Dovecot, or Postfix with peer=postfix) and on roost: a
# warm-up of WARM seconds on each, then ROUNDS rounds alternating the two
# (ONLY=<peer>|roost runs one side), each after a sync and a pause,
# printing both rates and their ratio; last the rates and the median
# ratio, UNIT naming what the rate counts.  Needs T (seconds per round)
# and dc_name (the peer's name and version).
bench_rounds() {
	p=${peer:-dovecot}
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	[ "$ONLY" = roost ] || load "$1" "$WARM" >/dev/null || true
	[ "$ONLY" = "$p" ] || load "$2" "$WARM" >/dev/null || true
	dc_rates='' ro_rates='' ratios=''
	round=1
	while [ "$round" -le "$ROUNDS" ]; do
		dc='' ro=''
		if [ "$ONLY" != roost ]; then
			sync
			sleep 2
			out=$(load "$1" "$T") || echo "$p: failures" >&2
			echo "round $round $dc_name: $out"
			dc=$(bench_field rate "$out")
			dc_rates="$dc_rates $dc"
		fi
		if [ "$ONLY" != "$p" ]; then
			sync
			sleep 2
			out=$(load "$2" "$T") || echo "roost: failures" >&2
			echo "round $round roost: $out"
			ro=$(bench_field rate "$out")
			ro_rates="$ro_rates $ro"
		fi
		if [ -n "$dc" ] && [ -n "$ro" ]; then
			r=$(awk -v d="$dc" -v r="$ro" \
			    'BEGIN { printf "%.2f", (d > 0 ? r / d : 0) }')
			ratios="$ratios $r"
			echo "round $round: ratio roost/$p $r"
		fi
		round=$((round + 1))
	done
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2086 # the lists are split on purpose
	[ -z "$dc_rates" ] || echo "$p $3:$dc_rates (median" \
	    "$(bench_median $dc_rates))"
	# shellcheck disable=SC2086
	[ -z "$ro_rates" ] || echo "roost $3:$ro_rates (median" \
	    "$(bench_median $ro_rates))"
	# shellcheck disable=SC2086
	[ -z "$ratios" ] || echo "ratio roost/$p, $3: median" \
	    "$(bench_median $ratios) of$ratios"
}

# bench_roost_setup SERVICE USERS PASSWORD - start the embedded roost
# of $R at port base $ROOST_BASE, add the roost.conf lines on standard
# input (the limits that would get in the way of the load), restart
# authd and SERVICE to apply them, and add users user1..USERS.
bench_roost_setup() {
	$R --port-base "$ROOST_BASE" start >/dev/null
	cat >>"$W/roost/etc/roost.conf"
	$R restart authd >/dev/null
	$R restart "$1" >/dev/null
	i=1
	while [ "$i" -le "$2" ]; do
		echo "$3" | $R user add "user$i" --password-stdin >/dev/null
		i=$((i + 1))
	done
}
