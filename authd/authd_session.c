/*
 * authd_session - one connection from smtpd, a login process, imapd or
 * popd: the line protocol of authd(8) (summed up in lib/mail/authc.h),
 * one-time login tickets (authd_ticket.c), the plaintext rule
 * (auth_plaintext), the failed-login throttle (lib/daemon/auth_throttle.h)
 * and one log line per attempt.
 *
 * authd trusts its peers to pass on what their clients sent, not to be
 * well-behaved: every line is bounded and checked, and a malformed one
 * gets "FAIL malformed" and the end of the connection.  No password or
 * SASL payload is ever logged.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authc.h"
#include "authd.h"
#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "slots.h"
#include "sock.h"

struct auth_throttle *authd_throttle;
struct authd_peers authd_peers;
struct cidr_list authd_exempt;

#define TOKENS_MAX 8

/* One connection: who it is, and the last success on it, which a
 * TICKET request right after may turn into a ticket. */
struct conn {
	bool may_redeem;
	bool ticketable;
	char service[33];
	struct str user;
};
#define REFUSED "fail reason=\"mechanism refused\""
#define BLOCKED "fail reason=\"blocked ip\""
#define BLOCKED_IP "too many failed logins from this address"
#define BLOCKED_USER "too many failed logins of this user from this address"
#define PLAINTEXT_REFUSED "plaintext mechanism over an unprotected connection"

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* split - cut line (LF stripped) at single spaces: the count, or -1
 * when a token is empty (two spaces, leading or trailing space) or
 * there are more than max. */
static int
split(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	if (*p == '\0')
		return 0;
	for (;;) {
		char *sp = strchr(p, ' ');

		if (n == max)
			return -1;
		tok[n++] = p;
		if (sp == NULL)
			break;
		*sp = '\0';
		p = sp + 1;
		if (*p == '\0' || *p == ' ')
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (*tok[i] == '\0')
			return -1;
	return n;
}

static bool
service_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			*s == '-'))
			return false;
	return true;
}

/* mech_ok - a mechanism name (RFC 4422 3.1), upper-cased in place. */
static bool
mech_ok(char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 20)
		return false;
	for (; *s; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			*s == '-' || *s == '_'))
			return false;
	}
	return true;
}

/* ip_check - a numeric IPv4 or IPv6 address; *loopback says whether it
 * is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
static bool
ip_check(const char *s, bool *loopback)
{
	unsigned char a[16];

	if (strlen(s) > 45)
		return false;
	if (inet_pton(AF_INET, s, a) == 1) {
		*loopback = a[0] == 127;
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		static const unsigned char one[16] = {[15] = 1};
		static const unsigned char v4m[12] = {[10] = 0xff, [11] = 0xff};

		*loopback = memcmp(a, one, 16) == 0 ||
		    (memcmp(a, v4m, 12) == 0 && a[12] == 127);
		return true;
	}
	return false;
}

static bool
flag_ok(const char *s, bool *v)
{
	if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
		return false;
	*v = s[0] == '1';
	return true;
}

/* b64_arg - decode a protocol value: "=" empty, else canonical base64. */
static bool
b64_arg(const char *s, struct str *out)
{
	str_clear(out);
	if (strcmp(s, "=") == 0)
		return true;
	return base64_decode(s, strlen(s), out) == 0;
}

/* enabled - is mech in the list authd offers at all? */
static bool
enabled(const char *mech)
{
	const char *l = authd_sasl_mechs();
	size_t n = strlen(mech);

	for (const char *p = l; (p = strstr(p, mech)) != NULL; p += n)
		if ((p == l || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* plaintext_allowed - may a client at this address, so protected, send
 * its password itself (auth_plaintext)? */
static bool
plaintext_allowed(bool secured, bool loopback)
{
	return secured ||
	    (loopback &&
		strcmp(var_auth_plaintext, "tls_or_loopback") == 0);
}

/* printable - text safe for a log line: control bytes, spaces, '%' and
 * non-ASCII escaped %XX, bounded. */
static const char *
printable(const char *s, struct str *tmp)
{
	str_clear(tmp);
	for (; *s && tmp->len < 400; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '%')
			str_catf(tmp, "%%%02X", c);
		else
			str_catc(tmp, (char)c);
	}
	return tmp->len ? tmp->s : "-";
}

/* delay_ms - how long the client daemon waits before answering this
 * failure: auth_failure_delay, doubled for each auth_user_ip_failure_
 * limit failures of the user over all addresses, at most 8 times. */
static long
delay_ms(unsigned user_failures)
{
	long base = (long)var_auth_failure_delay * 1000;
	long lim = (long)var_auth_user_ip_failure_limit;
	unsigned shift = 0;

	if (lim > 0)
		shift = (unsigned)(user_failures / (unsigned long)lim);
	if (shift > 3)
		shift = 3;
	return base << shift;
}

static void reply(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct buf *b, const char *fmt, ...)
{
	struct str line = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	str_catc(&line, '\n');
	buf_put(b, line.s, line.len);
	str_free(&line);
}

static void
log_attempt(const struct authd_attempt *a, const char *user, const char *result)
{
	struct str u = STR_INIT;

	log_info("auth: %s user=%s mech=%s service=%s ip=%s tls=%s", result,
	    printable(user, &u), a->mech, a->service, a->ip,
	    a->secured ? "yes" : "no");
	str_free(&u);
}

static const char *
reason_text(enum authd_reason r)
{
	switch (r) {
	case AUTHD_R_NOUSER:
		return "unknown user";
	case AUTHD_R_NOSECRET:
		return "no SCRAM secret (set the password again)";
	case AUTHD_R_MALFORMED:
		return "malformed";
	case AUTHD_R_TEMP:
		return "temporary failure";
	case AUTHD_R_BADPASS:
	case AUTHD_R_NONE:
		break;
	}
	return "bad credentials";
}

/* number_ok - a version number: digits, at most 9 of them. */
static bool
number_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 9 && s[n] == '\0';
}

/* cmd_version - VERSION <major> <minor>: ours in return, whatever the
 * client's; a client that cannot speak ours hangs up. */
static int
cmd_version(struct buf *b, char **tok, int n)
{
	if (n != 3 || !number_ok(tok[1]) || !number_ok(tok[2]))
		return -1;
	reply(b, "VERSION %d %d", AUTHC_VERSION_MAJOR, AUTHC_VERSION_MINOR);
	return 0;
}

/* cmd_mechs - MECHS <service> <secured> <ip> */
static int
cmd_mechs(struct buf *b, char **tok, int n)
{
	struct str out = STR_INIT;
	bool secured, loopback;
	char *save = NULL, *m;
	struct str l = STR_INIT;

	if (n != 4 || !service_ok(tok[1]) || !flag_ok(tok[2], &secured) ||
	    !ip_check(tok[3], &loopback))
		return -1;
	str_copys(&l, authd_sasl_mechs());
	for (m = l.len ? strtok_r(l.s, " ", &save) : NULL; m != NULL;
	     m = strtok_r(NULL, " ", &save)) {
		if (authd_plaintext(m) && !plaintext_allowed(secured, loopback))
			continue;
		str_catf(&out, " %s", m);
	}
	reply(b, "MECHS%s", str_cstr(&out));
	str_free(&out);
	str_free(&l);
	return 0;
}

/* busy_slot - one of the authd_ip_sessions slots of ip (lib/base/slots.h):
 * an fd to close when the exchange ends, -1 when all are taken, or -2
 * when the slot files fail (logged; the exchange goes on). */
static int
busy_slot(const char *ip)
{
	struct str dir = STR_INIT, err = STR_INIT;
	int fd;

	str_copyf(&dir, "%s/authd", var_run_dir);
	fd = slot_take(dir.s, ip, (unsigned)var_authd_ip_sessions,
	    &err);
	if (fd == -2)
		log_warn("login limit: %s", err.s);
	str_free(&dir);
	str_free(&err);
	return fd;
}

/* exchange - run the SASL exchange of a; 0 success, -1 failure (reason
 * in a), -2 cancelled, -3 the peer broke the protocol, -4 it went away,
 * -5 too many exchanges of this address wait for their client. */
static int
exchange(struct buf *b, struct authd_attempt *a, const struct str *ir,
    struct authd_sasl **s, struct str *out)
{
	struct str line = STR_INIT, in = STR_INIT;
	int rc, slot = -2;

	rc = authd_sasl_start(s, a, ir, out);
	while (rc == 1) {
		struct str enc = STR_INIT;
		enum buf_status st;

		/* Waiting for the remote client's answer holds this worker:
		 * one address may have only a few such waits at once. */
		if (slot == -2 && (slot = busy_slot(a->ip)) == -1) {
			rc = -5;
			break;
		}
		base64_encode(out->s, out->len, &enc);
		reply(b, "CONT %s", enc.len ? enc.s : "=");
		str_free(&enc);
		st = buf_getline(b, &line, AUTHC_LINE_MAX);
		if (st == BUF_TOOLONG) {
			rc = -3;
			break;
		}
		if (st != BUF_OK) {
			rc = -4;
			break;
		}
		str_chomp(&line);
		if (str_eqs(&line, "*")) {
			rc = -2;
			break;
		}
		if (line.len == 0 || !b64_arg(line.s, &in)) {
			rc = -3;
			break;
		}
		rc = authd_sasl_step(*s, &in, out);
	}
	if (slot >= 0)
		close(slot);
	if (in.s != NULL)
		explicit_bzero(in.s, in.len);
	str_free(&in);
	str_free(&line);
	return rc;
}

/* cmd_auth - AUTH <service> <mech> <ip> <secured> <ir>: 0 to go on, -1
 * malformed (the caller answers and closes), -2 to close quietly. */
static int
cmd_auth(struct buf *b, struct conn *cn, char **tok, int n)
{
	struct authd_attempt a = {
	    NULL, NULL, NULL, false, STR_INIT, AUTHD_R_NONE};
	struct authd_sasl *s = NULL;
	struct str out = STR_INIT, enc = STR_INIT, ir = STR_INIT;
	bool loopback, exempt;
	long base = (long)var_auth_failure_delay * 1000;
	int64_t now = now_s();
	int rc, ret = 0;

	if (n != 6 || !service_ok(tok[1]) || !mech_ok(tok[2]) ||
	    !ip_check(tok[3], &loopback) || !flag_ok(tok[4], &a.secured) ||
	    (strcmp(tok[5], "-") != 0 && !b64_arg(tok[5], &ir))) {
		str_free(&ir);
		return -1;
	}
	a.service = tok[1];
	a.mech = tok[2];
	a.ip = tok[3];
	/* an exempt address is never blocked as such; its users are */
	exempt = cidr_match(&authd_exempt, a.ip);
	if (!exempt && auth_throttle_ip_blocked(authd_throttle, a.ip, now)) {
		log_attempt(&a, "", BLOCKED);
		reply(b, "FAIL blocked %ld %s", base, BLOCKED_IP);
		goto out;
	}

	if (!enabled(a.mech)) {
		log_attempt(&a, "", REFUSED " (not enabled)");
		reply(b, "FAIL mechanism 0 mechanism not enabled");
		goto out;
	}
	if (authd_plaintext(a.mech) &&
	    !plaintext_allowed(a.secured, loopback)) {
		log_attempt(&a, "", REFUSED " (plaintext without TLS)");
		reply(b, "FAIL mechanism 0 %s", PLAINTEXT_REFUSED);
		goto out;
	}
	rc = exchange(b, &a, strcmp(tok[5], "-") == 0 ? NULL : &ir, &s, &out);
	now = now_s();
	/* A user blocked from this address gets the same answer whether
	 * the password was right or wrong: anything else would tell a
	 * guesser which guess was right. */
	if ((rc == 0 || (rc == -1 && a.reason != AUTHD_R_TEMP)) &&
	    auth_throttle_user_blocked(authd_throttle, rc == 0 ?
	    authd_sasl_user(s) : str_cstr(&a.user), a.ip, now)) {
		if (rc == -1)
			(void)auth_throttle_fail(authd_throttle,
			    str_cstr(&a.user), a.ip, !exempt, now);
		log_attempt(&a, rc == 0 ? authd_sasl_user(s) :
		    str_cstr(&a.user), BLOCKED " (user from here)");
		reply(b, "FAIL blocked %ld %s", base, BLOCKED_USER);
	} else if (rc == 0) {
		const char *user = authd_sasl_user(s);

		auth_throttle_success(authd_throttle, user, a.ip, now);
		log_attempt(&a, user, "ok");
		cn->ticketable = true;
		snprintf(cn->service, sizeof cn->service, "%s", a.service);
		str_copys(&cn->user, user);
		base64_encode(out.s, out.len, &enc);
		if (enc.len > 0)
			reply(b, "OK %s %s", user, enc.s);
		else
			reply(b, "OK %s", user);
	} else if (rc == -1) {
		struct str why = STR_INIT;
		unsigned uf = 0;

		if (a.reason == AUTHD_R_TEMP) {
			log_attempt(&a, str_cstr(&a.user),
			    "fail reason=\"temporary failure\"");
			reply(b, "FAIL tempfail 0 password check unavailable");
		} else {
			uf = auth_throttle_fail(authd_throttle,
			    str_cstr(&a.user), a.ip, !exempt, now);
			str_copyf(
			    &why, "fail reason=\"%s\"", reason_text(a.reason));
			log_attempt(&a, str_cstr(&a.user), why.s);
			reply(b, "FAIL credentials %ld authentication failed",
			    delay_ms(uf));
		}
		str_free(&why);
	} else if (rc == -2) {
		log_attempt(&a, str_cstr(&a.user), "fail reason=cancelled");
		reply(b, "FAIL cancelled 0 cancelled by the client");
	} else if (rc == -5) {
		log_attempt(&a, str_cstr(&a.user), "fail reason=\"too many "
		    "logins waiting for the client at this address\"");
		reply(b, "FAIL tempfail 0 too many logins in progress");
	} else if (rc == -3) {
		log_attempt(&a, str_cstr(&a.user), "fail reason=malformed");
		ret = -1;
	} else {
		log_attempt(&a, str_cstr(&a.user),
		    "fail reason=cancelled (peer went away)");
		ret = -2;
	}
	authd_sasl_end(&s);
out:
	if (ir.s != NULL)
		explicit_bzero(ir.s, ir.len);
	str_free(&ir);
	if (out.s != NULL)
		explicit_bzero(out.s, out.len);
	str_free(&out);
	str_free(&enc);
	str_free(&a.user);
	return ret;
}

/* cmd_ticket - TICKET, right after an OK on this connection: a
 * one-time ticket for that user and service. */
static int
cmd_ticket(struct buf *b, struct conn *cn, int n)
{
	char hex[AUTHD_TICKET_HEX + 1];

	if (n != 1 || !cn->ticketable)
		return -1;
	cn->ticketable = false;
	if (authd_ticket_issue(cn->service, cn->user.s, hex) < 0)
		reply(b, "FAIL tempfail 0 cannot issue a ticket");
	else
		reply(b, "TICKET %s", hex);
	return 0;
}

/* cmd_redeem - REDEEM <service> <ticket>: the ticket's user, once. */
static int
cmd_redeem(struct buf *b, struct conn *cn, char **tok, int n)
{
	struct str user = STR_INIT, u = STR_INIT;

	if (n != 3 || !service_ok(tok[1]) || !authd_ticket_ok(tok[2]))
		return -1;
	if (!cn->may_redeem) {
		log_warn("ticket refused: this peer may not redeem tickets");
		reply(b, "FAIL tempfail 0 permission denied");
	} else if (authd_ticket_redeem(tok[1], tok[2], &user) < 0) {
		log_warn("ticket refused: unknown, used or expired (service=%s)",
		    tok[1]);
		reply(b, "FAIL credentials 0 unknown ticket");
	} else {
		log_info("ticket redeemed user=%s service=%s",
		    printable(user.s, &u), tok[1]);
		reply(b, "OK %s", user.s);
	}
	str_free(&user);
	str_free(&u);
	return 0;
}

/* peer_allowed - whether the peer may talk to authd at all, and
 * whether it may redeem tickets. */
static bool
peer_allowed(int fd, bool *redeem)
{
	uid_t uid;
	gid_t gid;
	pid_t pid;

	if (sock_peer_cred(fd, &uid, &gid, &pid) < 0) {
		log_warn("cannot read the peer's credentials: refused");
		return false;
	}
	for (size_t i = 0; i < authd_peers.n; i++)
		if (authd_peers.uid[i] == uid) {
			*redeem = authd_peers.redeem[i];
			return true;
		}
	log_warn("refused peer uid=%ld pid=%ld: not root, authd, smtpd, "
		 "imapd, popd or a login process",
	    (long)uid, (long)pid);
	return false;
}

void
authd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct buf b;
	struct str line = STR_INIT;
	struct conn cn = { .user = STR_INIT };
	char *tok[TOKENS_MAX];
	int n, rc;

	(void)l;
	(void)ctx;
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, (int)var_authd_timeout * 1000);
	if (!peer_allowed(fd, &cn.may_redeem)) {
		reply(&b, "FAIL tempfail 0 permission denied");
		goto out;
	}
	for (;;) {
		enum buf_status st = buf_getline(&b, &line, AUTHC_LINE_MAX);

		if (st == BUF_EOF && line.len == 0)
			break;
		if (st != BUF_OK && st != BUF_TOOLONG)
			break;
		rc = -1;
		if (st == BUF_OK && line.s[line.len - 1] == '\n') {
			line.s[--line.len] = '\0';
			if (memchr(line.s, '\0', line.len) == NULL &&
			    memchr(line.s, '\r', line.len) == NULL &&
			    (n = split(line.s, tok, TOKENS_MAX)) > 0) {
				bool ticketable = cn.ticketable;

				cn.ticketable = false;
				if (strcmp(tok[0], "VERSION") == 0)
					rc = cmd_version(&b, tok, n);
				else if (strcmp(tok[0], "MECHS") == 0)
					rc = cmd_mechs(&b, tok, n);
				else if (strcmp(tok[0], "AUTH") == 0)
					rc = cmd_auth(&b, &cn, tok, n);
				else if (strcmp(tok[0], "TICKET") == 0) {
					cn.ticketable = ticketable;
					rc = cmd_ticket(&b, &cn, n);
				} else if (strcmp(tok[0], "REDEEM") == 0)
					rc = cmd_redeem(&b, &cn, tok, n);
			}
		}
		if (rc == -2)
			break;
		if (rc < 0) {
			log_warn("malformed request from a client daemon: "
				 "closing");
			reply(&b, "FAIL malformed 0 malformed request");
			break;
		}
		if (buf_flush(&b) != BUF_OK)
			break;
	}
out:
	(void)buf_flush(&b);
	if (line.s != NULL)
		explicit_bzero(line.s, line.len);
	str_free(&line);
	str_free(&cn.user);
	buf_free(&b);
}
