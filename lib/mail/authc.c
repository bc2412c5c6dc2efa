/*
 * authc - the client of authd(8); see authc.h for the protocol.
 *
 * Whatever the remote client sent is checked here before it goes on a
 * protocol line (base64 only, no blanks or line ends), so no client can
 * add a line or a token of its own; authd checks again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "fd.h"
#include "sock.h"

#define AUTHC_TIMEOUT_MS 30000 /* for each of authd's answers */

static const char *socket_path;	/* authc_set_socket */
static bool want_ticket;		/* authc_want_ticket */

void
authc_set_socket(const char *path)
{
	socket_path = path;
}

void
authc_want_ticket(bool on)
{
	want_ticket = on;
}

void
authc_result_free(struct authc_result *res)
{
	str_free(&res->user);
	str_free(&res->code);
	str_free(&res->text);
	str_free(&res->final_data);
	str_free(&res->ticket);
}

static void
result_reset(struct authc_result *res)
{
	res->status = AUTHC_TEMPFAIL;
	str_clear(&res->user);
	str_clear(&res->code);
	str_clear(&res->text);
	str_clear(&res->final_data);
	str_clear(&res->ticket);
	res->delay_ms = 0;
}

static void
tempfail(struct authc_result *res, const char *why)
{
	res->status = AUTHC_TEMPFAIL;
	str_copys(&res->code, "tempfail");
	str_copys(&res->text, why);
}

/* token_ok - text that may stand as one protocol token. */
static bool
token_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* b64_ok - base64 alphabet only (canonical form is authd's to check). */
static bool
b64_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			(*s >= '0' && *s <= '9') || *s == '+' || *s == '/' ||
			*s == '='))
			return false;
	return true;
}

/* dial - connect to authd; the fd, or -1 with the reason in err. */
static int
dial(struct str *err)
{
	int fd;

	if (socket_path == NULL) {
		str_copys(err, "authd's socket is not configured");
		return -1;
	}
	fd = sock_unix_connect(socket_path, AUTHC_TIMEOUT_MS, err);
	if (fd < 0 && err->len == 0)
		str_copyf(err, "cannot connect to authd at %s: %s",
		    socket_path, strerror(errno));
	return fd;
}

/* get - the next line from authd, LF stripped: 0, or -1. */
static int
get(struct buf *b, struct str *line)
{
	if (buf_flush(b) != BUF_OK ||
	    buf_getline(b, line, AUTHC_LINE_MAX) != BUF_OK)
		return -1;
	str_chomp(line);
	return 0;
}

/* A connection to authd with one request under way. */
struct conn {
	struct buf b;
	int fd;
	struct str first;	/* authd's first answer, already read */
	bool has_first;
};

/*
 * conn_open - connect and send request (one line, LF included) behind
 * "VERSION <major> <minor>", pipelined: authd answers the version line
 * first.  An authd that predates versions answers it "FAIL malformed"
 * and hangs up; it speaks 1.0 all the same, so the request goes again
 * on a new connection without the line.  Any other first line is
 * authd's answer to the request (a refusal of our uid, say).  0, or -1
 * with the reason in err.
 */
static int
conn_open(struct conn *c, const char *request, struct str *err)
{
	unsigned maj, min;
	char extra;
	int versioned;

	c->has_first = false;
	for (versioned = 1; versioned >= 0; versioned--) {
		if ((c->fd = dial(err)) < 0) {
			str_free(&c->first);
			return -1;
		}
		buf_init(&c->b, c->fd, 0);
		buf_set_timeout(&c->b, AUTHC_TIMEOUT_MS);
		if (versioned)
			buf_printf(&c->b, "VERSION %d %d\n",
			    AUTHC_VERSION_MAJOR, AUTHC_VERSION_MINOR);
		buf_puts(&c->b, request);
		if (!versioned)
			return 0;
		if (get(&c->b, &c->first) < 0) {
			str_copys(err, "authd went away");
			break;
		}
		if (sscanf(c->first.s, "VERSION %u %u%c", &maj, &min,
		    &extra) == 2) {
			if (maj == AUTHC_VERSION_MAJOR)
				return 0;
			str_copyf(err, "authd speaks version %u.%u", maj, min);
			break;
		}
		if (strncmp(c->first.s, "FAIL malformed ", 15) != 0) {
			c->has_first = true;
			return 0;
		}
		buf_free(&c->b);
		fd_close(c->fd);
	}
	buf_free(&c->b);
	fd_close(c->fd);
	str_free(&c->first);
	return -1;
}

/* conn_get - authd's next answer line. */
static int
conn_get(struct conn *c, struct str *line)
{
	if (c->has_first) {
		c->has_first = false;
		str_copyb(line, c->first.s, c->first.len);
		return buf_flush(&c->b) == BUF_OK ? 0 : -1;
	}
	return get(&c->b, line);
}

static void
conn_close(struct conn *c)
{
	buf_free(&c->b);
	fd_close(c->fd);
	str_free(&c->first);
}

int
authc_mechs(const char *service, bool secured, const char *ip, struct str *out)
{
	struct str err = STR_INIT, line = STR_INIT, req = STR_INIT;
	struct conn c = { .first = STR_INIT };
	int rc = -1;

	str_clear(out);
	if (!token_ok(service) || !token_ok(ip))
		return -1;
	str_copyf(&req, "MECHS %s %d %s\n", service, secured ? 1 : 0, ip);
	if (conn_open(&c, req.s, &err) < 0) {
		str_free(&err);
		str_free(&req);
		return -1;
	}
	if (conn_get(&c, &line) == 0 &&
	    strncmp(str_cstr(&line), "MECHS", 5) == 0 &&
	    (line.s[5] == '\0' || line.s[5] == ' ')) {
		str_copys(out, line.s[5] ? line.s + 6 : "");
		rc = 0;
	}
	conn_close(&c);
	str_free(&err);
	str_free(&req);
	str_free(&line);
	return rc;
}

/* final - parse OK or FAIL into res; -1 when line is neither. */
static int
final(const char *line, struct authc_result *res)
{
	if (strncmp(line, "OK ", 3) == 0) {
		const char *sp = strchr(line + 3, ' ');

		if (sp == NULL)
			str_copys(&res->user, line + 3);
		else {
			str_copyb(
			    &res->user, line + 3, (size_t)(sp - (line + 3)));
			str_copys(&res->final_data, sp + 1);
		}
		if (res->user.len == 0)
			return -1;
		res->status = AUTHC_OK;
		return 0;
	}
	if (strncmp(line, "FAIL ", 5) == 0) {
		const char *code = line + 5, *sp = strchr(code, ' ');
		char *end;
		long d;

		if (sp == NULL)
			return -1;
		str_copyb(&res->code, code, (size_t)(sp - code));
		d = strtol(sp + 1, &end, 10);
		if (end == sp + 1 || d < 0 || d > 3600000)
			return -1;
		res->delay_ms = d;
		str_copys(&res->text, *end == ' ' ? end + 1 : "");
		res->status = str_eqs(&res->code, "tempfail") ? AUTHC_TEMPFAIL
							      : AUTHC_FAIL;
		return 0;
	}
	return -1;
}

/* ticket - after OK: TICKET on the same connection, into res->ticket;
 * no ticket makes the login a temporary failure. */
static void
ticket(struct conn *c, struct authc_result *res)
{
	struct str line = STR_INIT;

	buf_puts(&c->b, "TICKET\n");
	if (conn_get(c, &line) == 0 && strncmp(line.s, "TICKET ", 7) == 0 &&
	    token_ok(line.s + 7))
		str_copys(&res->ticket, line.s + 7);
	else
		tempfail(res, "authd issued no ticket");
	str_free(&line);
}

int
authc_redeem(const char *service, const char *tkt, struct authc_result *res)
{
	struct str err = STR_INIT, line = STR_INIT, req = STR_INIT;
	struct conn c = { .first = STR_INIT };

	result_reset(res);
	if (!token_ok(service) || !token_ok(tkt)) {
		res->status = AUTHC_FAIL;
		str_copys(&res->code, "malformed");
		str_copys(&res->text, "malformed ticket");
		return res->status;
	}
	str_copyf(&req, "REDEEM %s %s\n", service, tkt);
	if (conn_open(&c, req.s, &err) < 0)
		tempfail(res, err.s);
	else {
		if (conn_get(&c, &line) < 0)
			tempfail(res, "authd went away");
		else if (final(line.s, res) < 0 || res->final_data.len > 0)
			tempfail(res, "authd broke the protocol");
		conn_close(&c);
	}
	explicit_bzero(req.s, req.len);
	str_free(&req);
	str_free(&line);
	str_free(&err);
	return res->status;
}

int
authc_run(const char *service, const char *mech, const char *ip, bool secured,
    const char *ir, authc_challenge_fn *challenge, void *ctx,
    struct authc_result *res)
{
	struct str err = STR_INIT, line = STR_INIT, resp = STR_INIT;
	struct str req = STR_INIT;
	struct conn c = { .first = STR_INIT };

	result_reset(res);
	if (!token_ok(service) || !token_ok(mech) || !token_ok(ip)) {
		tempfail(res, "bad service, mechanism or address");
		return res->status;
	}
	if (ir != NULL && (!b64_ok(ir) || strlen(ir) > AUTHC_LINE_MAX - 512)) {
		res->status = AUTHC_FAIL;
		str_copys(&res->code, "malformed");
		str_copys(&res->text, "initial response is not base64");
		return res->status;
	}
	str_copyf(&req, "AUTH %s %s %s %d %s\n", service, mech, ip,
	    secured ? 1 : 0,
	    ir == NULL ? "-"
		: *ir  ? ir
		       : "=");
	if (conn_open(&c, req.s, &err) < 0) {
		tempfail(res, err.s);
		explicit_bzero(req.s, req.len);
		str_free(&req);
		str_free(&err);
		return res->status;
	}
	explicit_bzero(req.s, req.len);
	for (;;) {
		if (conn_get(&c, &line) < 0) {
			tempfail(res, "authd went away");
			break;
		}
		if (strncmp(line.s, "CONT ", 5) == 0) {
			const char *chal =
			    strcmp(line.s + 5, "=") == 0 ? "" : line.s + 5;

			/* The client's time, not authd's, from here. */
			str_clear(&resp);
			if (challenge == NULL ||
			    challenge(ctx, chal, &resp) < 0) {
				buf_puts(&c.b, "*\n");
				continue;
			}
			if (!b64_ok(str_cstr(&resp)) ||
			    resp.len > AUTHC_LINE_MAX - 2) {
				res->status = AUTHC_FAIL;
				str_copys(&res->code, "malformed");
				str_copys(&res->text, "response is not base64");
				break;
			}
			buf_printf(&c.b, "%s\n", resp.len ? resp.s : "=");
			continue;
		}
		if (final(line.s, res) < 0)
			tempfail(res, "authd broke the protocol");
		else if (res->status == AUTHC_OK && want_ticket)
			ticket(&c, res);
		break;
	}
	conn_close(&c);
	if (resp.s != NULL)
		explicit_bzero(resp.s, resp.len);
	str_free(&resp);
	str_free(&req);
	str_free(&line);
	str_free(&err);
	return res->status;
}

int
authc_password(const char *service, const char *user, const char *pass,
    const char *ip, bool secured, struct authc_result *res)
{
	struct str msg = STR_INIT, enc = STR_INIT;
	int rc;

	/* RFC 4616: [authzid] NUL authcid NUL passwd */
	str_catc(&msg, '\0');
	str_cats(&msg, user);
	str_catc(&msg, '\0');
	str_cats(&msg, pass);
	base64_encode(msg.s, msg.len, &enc);
	rc = authc_run(service, "PLAIN", ip, secured, enc.s, NULL, NULL, res);
	explicit_bzero(msg.s, msg.len);
	explicit_bzero(enc.s, enc.len);
	str_free(&msg);
	str_free(&enc);
	return rc;
}
