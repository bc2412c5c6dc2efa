#!/usr/bin/env bash
# fresh-debian.sh - the README's two commands on a Debian 12 root that
# has never seen roost.
#
#   bash t/fresh-debian.sh [--keep] [--no-pinned] [--ci]
#
# As root. Builds (once, then reuses) a `debootstrap --variant=minbase
# bookworm` root with build-essential, git, python3 and ca-certificates,
# from the Debian mirror this machine's apt is configured with. Every
# run starts from a new copy of it, copies the working tree to
# /root/roost and ../shared to /root/shared, and inside a chroot - in its
# own network, mount and pid namespaces, loopback up, /proc, /sys, /dev
# and /dev/pts mounted - runs `sh bootstrap` (checking that SMTP
# answers), `make check`, and then the crash tests again pinned to one
# CPU (`taskset -c 0`) to show that they progress on a slow machine.
# With --ci it runs CI's whole `bash .ci/run` (make check and make
# check-asan) in place of `make check`. It prints how long each step
# took and the test summaries; the full output is in $FRESH_DIR/log/.
# Not part of `make check`.
#
# The namespace has no route out: apt reaches the mirror through a Unix
# socket that a socat on the host forwards, and the chroot's /etc/hosts
# points the mirror's name at the namespace's end of it.
#
# FRESH_DIR (default /var/tmp/roost-fresh) holds the base tarball, the
# root and the logs. --keep leaves the root in place afterwards;
# --no-pinned skips the pinned crash run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=${FRESH_DIR:-/var/tmp/roost-fresh}
keep=0 pinned=1 ci=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	--no-pinned) pinned=0 ;;
	--ci) ci=1 ;;
	*) echo "usage: $0 [--keep] [--no-pinned] [--ci]" >&2; exit 2 ;;
	esac
done
die() { echo "fresh-debian: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, namespaces)"
[ -d "$top/../shared" ] || die "no ../shared beside the repository"
shared=$(cd "$top/../shared" && pwd)

need=""
for p in debootstrap socat; do
	command -v $p >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi

# The first bookworm "main" mirror of this machine's apt sources.
mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null || true; } | awk '
	/^deb[ \t]/ && $0 ~ / bookworm / { print $2; exit }
	/^URIs:/ { uri = $2 }
	/^Suites:/ && uri != "" && $0 ~ /[ \t]bookworm([ \t]|$)/ { print uri; exit }')
[ -n "$mirror" ] || die "no bookworm mirror in /etc/apt/sources.list*"
case $mirror in
http://*) ;;
*) die "mirror $mirror: only http:// mirrors can be forwarded" ;;
esac
hostport=${mirror#http://}
hostport=${hostport%%/*}
mhost=${hostport%%:*}
mport=80
[ "$hostport" = "$mhost" ] || mport=${hostport#*:}

mkdir -p "$work/log"
base="$work/base-bookworm.tar"
root="$work/root"
log="$work/log"

elapsed() { local s=$1; printf '%dm%02ds' $((s / 60)) $((s % 60)); }

if [ ! -s "$base" ]; then
	echo "fresh-debian: debootstrap bookworm from $mirror (once)"
	rm -rf "$work/base"
	t0=$SECONDS
	debootstrap --variant=minbase \
		--include=build-essential,git,python3,ca-certificates \
		bookworm "$work/base" "$mirror" >"$log/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $log/debootstrap.log"
	tar -C "$work/base" -cf "$base.part" . && mv "$base.part" "$base"
	rm -rf "$work/base"
	echo "fresh-debian: base root in $(elapsed $((SECONDS - t0)))"
fi

rm -rf "$root"
find "$log" -name '*.log' ! -name debootstrap.log -delete
mkdir -p "$root"
tar -C "$root" -xf "$base"
# The working tree as it is (committed or not), without build output.
mkdir -p "$root/root/roost" "$root/root/shared"
(cd "$top" && git ls-files -co --exclude-standard -z |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
	tar -C "$root/root/roost" -xf -
(cd "$top" && { git rev-parse --short=12 HEAD; git diff --quiet HEAD ||
	echo "+ uncommitted changes"; } | paste -sd' ' >"$root/root/roost/.fresh-commit")
cp -a "$shared/." "$root/root/shared/"
echo "127.0.80.80 $mhost" >>"$root/etc/hosts"

sock="$work/mirror.sock"
rm -f "$sock"
socat UNIX-LISTEN:"$sock",fork,mode=600 TCP:"$mhost:$mport" &
bridge=$!
cleanup() {
	kill $bridge 2>/dev/null || true
	rm -f "$sock"
	[ $keep = 1 ] || rm -rf "$root"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || die "the mirror bridge did not start"

# inside - run in the new namespaces: mounts, loopback, the bridge's
# near end, then the steps in the chroot. Each step's time and status
# go to $log/steps.
inside() {
	set -u
	mount --make-rprivate /
	mount -t sysfs sysfs "$root/sys"
	mount --bind /dev "$root/dev"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
	mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
	mount -t tmpfs tmpfs "$root/dev/shm"
	mount -t tmpfs tmpfs "$root/run"
	ip link set lo up
	socat TCP-LISTEN:"$mport",bind=127.0.80.80,reuseaddr,fork \
		UNIX-CONNECT:"$sock" &
	: >"$log/steps"
	step() {	# step NAME COMMAND...: run in the chroot, time it
		local name=$1 t0=$SECONDS rc=0
		shift
		echo "fresh-debian: $name ..."
		chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 ROOST_REQUIRE_CORPORA=1 \
			/bin/sh -c "cd /root/roost && $*" \
			>"$log/$name.log" 2>&1 || rc=$?
		echo "$name $((SECONDS - t0)) $rc" >>"$log/steps"
		return $rc
	}
	step bootstrap "sh bootstrap" || return 1
	step smtp-greeting "python3 -c 'import socket; s = socket.create_connection((\"127.0.0.1\", 10025), 10); print(s.recv(512).decode())'" ||
		return 1
	step stop "make stop" || return 1
	if [ $ci = 1 ]; then
		step ci "bash .ci/run" || return 1
	else
		step make-check "make check" || return 1
	fi
	if [ $pinned = 1 ]; then
		step crash-pinned "make check-pinned" ||
			return 1
	fi
}
export -f inside
export root log sock mport pinned ci
rc=0
unshare --mount --net --pid --fork --mount-proc="$root/proc" \
	bash -c inside || rc=$?

echo
echo "fresh-debian: Debian 12 minbase root, tree at $(cat "$root/root/roost/.fresh-commit")"
while read -r name secs st; do
	printf '  %-14s %8s  %s\n' "$name" "$(elapsed "$secs")" \
		"$([ "$st" = 0 ] && echo ok || echo "FAILED ($st)")"
done <"$log/steps"
echo
if [ -s "$log/smtp-greeting.log" ]; then
	echo "SMTP greeting: $(head -n1 "$log/smtp-greeting.log")"
fi
for f in make-check ci crash-pinned; do
	[ -s "$log/$f.log" ] || continue
	echo "$f:"
	grep -E '^(Files=|Result:)|^(FAILED|ERROR) |[0-9]+ (passed|failed)' \
		"$log/$f.log" | sed 's/^/  /'
done
[ $rc = 0 ] || echo "fresh-debian: FAILED; the logs are in $log/"
exit $rc
