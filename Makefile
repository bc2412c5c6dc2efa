# roost — one top-level makefile (GNU make).
#
#   make              build every program into bin/ (-O2, warnings are errors)
#   make asan         the same with AddressSanitizer + UBSan into build/asan/bin/
#   make deps         install the missing Debian packages for building
#   make deps-test    ... and those the tests drive
#   make test         unit tests (TAP, run by prove)
#   make check        deps + build + unit tests + end-to-end tests
#   make check-asan   unit and end-to-end tests against the sanitizer build
#   make e2e E2E=t/e2e/test_crash.py   some of the end-to-end tests
#   make check-pinned the crash tests on one CPU (a slow machine)
#   make fuzz         every libFuzzer harness for FUZZ_TIME s (default 60)
#   make check-fuzz   each for 15 s, and the regression inputs (CI)
#   make start        deps + build + start the embedded system in ./local
#   make install DESTDIR=... PREFIX=...

PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/roost
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/roost
DESTDIR    ?=

VARIANT ?= release
ifeq ($(VARIANT),asan)
OUT      := build/asan
BINDIR   := build/asan/bin
OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
OPTLDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
# libFuzzer needs clang; the harnesses (fuzz/) link the libraries and
# the daemons' parsers built with coverage, ASan and UBSan.
CC       := clang
OUT      := build/fuzz
BINDIR   := build/fuzz/bin
OPTFLAGS := -O1 -g -fno-omit-frame-pointer \
            -fsanitize=address,undefined,fuzzer-no-link \
            -fno-sanitize-recover=all
OPTLDFLAGS := -fsanitize=address,undefined
else
OUT      := build/release
BINDIR   := bin
OPTFLAGS := -O2 -g
OPTLDFLAGS :=
endif

# O=DIR puts objects and programs under DIR (DIR/bin), e.g. to build
# beside another build without touching it.
ifdef O
OUT      := $(O)
BINDIR   := $(O)/bin
endif

CC      ?= cc
PKGS    := lmdb openssl libseccomp libcares
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -DLIBEXECDIR='"$(LIBEXECDIR)"' \
            -DSYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS  ?=
ALL_CFLAGS  = -std=gnu11 $(OPTFLAGS) $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lssl -lcrypto -lseccomp -lcares) -lcrypt
# libsasl2 only where it is used: authd holds the server side.
LDLIBS_authd := $(shell pkg-config --libs libsasl2 2>/dev/null || echo -lsasl2)

# Programs: folder -> binary name.
DAEMONS := smtpd cleanup qmgr lmtpd pipe authd imap-login pop3-login imapd popd
PROGS   := $(DAEMONS) roostctl sendmail
src_of   = $(wildcard $(if $(filter roostctl,$1),ctl,$1)/*.c)

# lib/ is layered, each layer a folder and an archive: base -> dns ->
# daemon -> mail -> mime and store (lib/README.md). A layer is compiled with the
# headers of its own and the lower layers only, so an include of a
# higher layer fails the build. Programs and tests see every layer.
LAYERS    := base dns daemon mail mime store
INC_base  := -Ilib/base
INC_dns   := $(INC_base) -Ilib/dns
INC_daemon := $(INC_dns) -Ilib/daemon
INC_mail  := $(INC_daemon) -Ilib/mail
INC_mime  := $(INC_mail) -Ilib/mime
INC_store := $(INC_mail) -Ilib/store
INC_all   := $(INC_mail) -Ilib/mime -Ilib/store
LIB_SRC := $(wildcard $(LAYERS:%=lib/%/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(OUT)/%.o)
# the archives in link order: the highest layer first
LIBROOST := $(foreach l,store mime mail daemon dns base,$(OUT)/lib/lib$l.a)

UNIT_SRC := $(wildcard t/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(OUT)/t/%)

PROG_BINS := $(PROGS:%=$(BINDIR)/%)
# sendmail is also mailq and newaliases: it picks its mode by name.
SENDMAIL_LINKS := $(BINDIR)/mailq $(BINDIR)/newaliases
ALL_OBJ := $(LIB_OBJ) $(foreach p,$(PROGS),$(call src_of,$p):%.c=$(OUT)/%.o) \
           $(UNIT_SRC:%.c=$(OUT)/%.o)

# Rebuild everything when the flags change (e.g. another PREFIX).
FLAGS_NOW := $(CPPFLAGS) $(ALL_CFLAGS) $(LDLIBS)
ifneq ($(file <$(OUT)/flags),$(FLAGS_NOW))
$(shell mkdir -p $(OUT))
$(file >$(OUT)/flags,$(FLAGS_NOW))
endif

.PHONY: all asan deps deps-test deps-fuzz test check check-asan check-pinned \
        unit e2e fuzz fuzz-bins check-fuzz start stop install clean
.DEFAULT_GOAL := all

all: $(PROG_BINS) $(SENDMAIL_LINKS) $(UNIT_BIN) $(OUT)/bench/smtpload \
     $(OUT)/bench/imapload $(OUT)/bench/popload

$(OUT)/%.o: %.c $(OUT)/flags
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(INC_all) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

define layer_rule
$(OUT)/lib/$1/%.o: lib/$1/%.c $(OUT)/flags
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $(INC_$1) $$(ALL_CFLAGS) -MMD -MP -c -o $$@ $$<

$(OUT)/lib/lib$1.a: $(patsubst %.c,$(OUT)/%.o,$(wildcard lib/$1/*.c))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rule,$l)))

# A program that shares another's parser names its objects: OBJ_<prog>.
OBJ_imap-login := imapd/imap_parse imapd/imap_search
$(OUT)/imap-login/%.o: CPPFLAGS += -Iimapd

define prog_rule
$(BINDIR)/$1: $(patsubst %.c,$(OUT)/%.o,$(call src_of,$1)) \
    $(addprefix $(OUT)/,$(addsuffix .o,$(OBJ_$1))) $(LIBROOST)
	@mkdir -p $$(@D)
	$$(CC) $(OPTLDFLAGS) $(LDFLAGS) -o $$@ $$^ $(LDLIBS) $(LDLIBS_$1)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$p)))

# A test of a daemon's own pure parts (no I/O, no configuration) links
# that daemon's objects: TESTED_<test> names them.
TESTED_test-sendmail-opts := sendmail/sendmail_opts sendmail/sendmail_filter
TESTED_test-imap-parse  := imapd/imap_parse imapd/imap_search
TESTED_test-imap-search := imapd/imap_parse imapd/imap_search
TESTED_test-pipe        := pipe/pipe_req pipe/pipe_exit pipe/pipe_mbox
TESTED_test-lmtpd-msgid := lmtpd/lmtpd_msgid

.SECONDEXPANSION:
$(OUT)/t/%: $(OUT)/t/unit/%.o \
    $$(addprefix $(OUT)/,$$(addsuffix .o,$$(TESTED_$$*))) $(LIBROOST)
	@mkdir -p $(@D)
	$(CC) $(OPTLDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SENDMAIL_LINKS): $(BINDIR)/sendmail
	ln -sf sendmail $@

# libFuzzer harnesses, one per parser (fuzz/README.md): built by
# VARIANT=fuzz only.  TESTED_<harness> names the daemon objects one uses.
FUZZ_SRC := $(wildcard fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(OUT)/fuzz/%)
TESTED_fuzz-imap := imapd/imap_parse imapd/imap_search
fuzz-bins: $(FUZZ_BIN)
$(FUZZ_BIN): $(OUT)/fuzz/%: $(OUT)/fuzz/%.o $(OUT)/fuzz/fuzzbuf.o \
    $$(addprefix $(OUT)/,$$(addsuffix .o,$$(TESTED_$$*))) $(LIBROOST)
	$(CC) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Benchmarks' own programs (not installed).
$(OUT)/bench/smtpload $(OUT)/bench/imapload $(OUT)/bench/popload: \
    $(OUT)/bench/%: $(OUT)/bench/%.o $(OUT)/bench/loadlib.o $(LIBROOST)
	@mkdir -p $(@D)
	$(CC) $(OPTLDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)

asan:
	$(MAKE) VARIANT=asan all

# Debian packages: what the build needs, then what the tests drive.
DEB_BUILD := gcc make pkg-config libssl-dev libsasl2-dev libpcre2-dev \
             liblmdb-dev libc-ares-dev zlib1g-dev libseccomp-dev s6 openssl \
             libsasl2-modules
DEB_TEST  := python3 python3-pytest python3-pytest-timeout perl swaks libnet-ssleay-perl curl \
             procps lmdb-utils \
             postfix isync mutt offlineimap3 bsdutils gsasl \
             fetchmail getmail6 msmtp sasl2-bin unbound
# install_missing - apt-get install those of $(1) that are not installed.
# Postfix (a peer the tests deliver through) is preseeded to configure
# nothing, so it neither takes over port 25 nor asks questions.
define install_missing
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "installing:" $$missing; \
	if [ "$$(id -u)" != 0 ]; then \
	    echo "make: run as root, or: apt-get install $$missing" >&2; \
	    exit 1; fi; \
	echo "postfix postfix/main_mailer_type select No configuration" | \
	    debconf-set-selections; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing
endef

DEB_FUZZ  := clang libclang-rt-14-dev

deps:
	$(call install_missing,$(DEB_BUILD))
deps-fuzz:
	$(call install_missing,$(DEB_BUILD) $(DEB_FUZZ))
deps-test:
	$(call install_missing,$(DEB_BUILD) $(DEB_TEST))

# The corpora of other projects sit beside the repository, in
# ../shared/corpora. A test skips one that is missing, unless
# ROOST_REQUIRE_CORPORA=1 (CI) makes that a failure.
export ROOST_CORPORA ?= $(abspath $(CURDIR)/../shared/corpora)

# prove runs each TAP program directly, killed if it hangs for 2 minutes.
# Each end-to-end test has its own timeout (t/e2e/pytest.ini); the
# whole run's is a last resort.
PROVE := prove --exec 'timeout 120' --timer
PYTEST := timeout 1500 /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfEs \
          --durations=10
# E2E: which end-to-end tests (files or node IDs) `make e2e` runs.
E2E ?= t/e2e

test unit: all
	$(PROVE) $(UNIT_BIN)

e2e: all
	ROOST_BIN=$(abspath $(BINDIR)) $(PYTEST) $(E2E)

check: deps-test
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) e2e

check-asan: deps-test
	$(MAKE) VARIANT=asan all
	$(MAKE) VARIANT=asan unit
	$(MAKE) VARIANT=asan e2e

# The crash tests on one CPU, as on a slow machine: their kills are tied
# to progress, so they must still finish (t/fresh-debian.sh runs this).
check-pinned: all
	taskset -c 0 $(MAKE) e2e \
	    E2E="t/e2e/test_crash.py t/e2e/test_crash_delivery.py"

# Fuzzing: FUZZ_TIME seconds per harness; the corpus each builds up is
# kept in build/fuzz/corpus/, a crash lands in build/fuzz/crash/.
FUZZ_TIME ?= 60
fuzz: deps-fuzz
	$(MAKE) VARIANT=fuzz fuzz-bins
	sh fuzz/run.sh build/fuzz $(FUZZ_TIME)
check-fuzz: deps-fuzz
	$(MAKE) VARIANT=fuzz fuzz-bins
	sh fuzz/run.sh build/fuzz 15

EMBED_DIR ?= $(CURDIR)/local
start: deps
	$(MAKE) all
	$(BINDIR)/roostctl -d $(EMBED_DIR) start

stop:
	$(BINDIR)/roostctl -d $(EMBED_DIR) stop

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for p in $(DAEMONS); do install -m 755 $(BINDIR)/$$p $(DESTDIR)$(LIBEXECDIR)/$$p; done
	install -m 755 $(BINDIR)/roostctl $(DESTDIR)$(SBINDIR)/roostctl
	install -m 755 $(BINDIR)/sendmail $(DESTDIR)$(SBINDIR)/sendmail
	for l in mailq newaliases; do \
	    ln -sf sendmail $(DESTDIR)$(SBINDIR)/$$l; done
	ln -sf $(SBINDIR)/roostctl $(DESTDIR)$(LIBEXECDIR)/roostctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/roost.conf ] || \
	    install -m 644 conf/roost.conf $(DESTDIR)$(SYSCONFDIR)/roost.conf
	install -m 644 man/man5/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/man8/*.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf build bin
