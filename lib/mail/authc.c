/*
 * authc - the client of authd(8); see authc.h for the protocol.
 *
 * Whatever the remote client sent is checked here before it goes on a
 * protocol line (base64 only, no blanks or line ends), so no client can
 * add a line or a token of its own; authd checks again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "cfg.h"
#include "fd.h"
#include "listen.h"
#include "sock.h"

#define AUTHC_TIMEOUT_MS 30000 /* for each of authd's answers */

static const char *socket_override;

void
authc_set_socket(const char *path)
{
	socket_override = path;
}

void
authc_result_free(struct authc_result *res)
{
	str_free(&res->user);
	str_free(&res->code);
	str_free(&res->text);
	str_free(&res->final_data);
}

static void
result_reset(struct authc_result *res)
{
	res->status = AUTHC_TEMPFAIL;
	str_clear(&res->user);
	str_clear(&res->code);
	str_clear(&res->text);
	str_clear(&res->final_data);
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
	struct str path = STR_INIT;
	int fd = -1;

	if (socket_override != NULL)
		str_copys(&path, socket_override);
	else if (listen_unix_path("authd_listen", var_authd_listen,
	    var_run_dir, &path, err) < 0)
		goto out;
	fd = sock_unix_connect(path.s, AUTHC_TIMEOUT_MS, err);
	if (fd < 0 && err->len == 0)
		str_copyf(err, "cannot connect to authd at %s: %s", path.s,
		    strerror(errno));
out:
	str_free(&path);
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

int
authc_mechs(const char *service, bool secured, const char *ip, struct str *out)
{
	struct str err = STR_INIT, line = STR_INIT;
	struct buf b;
	int fd, rc = -1;

	str_clear(out);
	if (!token_ok(service) || !token_ok(ip))
		return -1;
	if ((fd = dial(&err)) < 0) {
		str_free(&err);
		return -1;
	}
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, AUTHC_TIMEOUT_MS);
	buf_printf(&b, "MECHS %s %d %s\n", service, secured ? 1 : 0, ip);
	if (get(&b, &line) == 0 && strncmp(str_cstr(&line), "MECHS", 5) == 0 &&
	    (line.s[5] == '\0' || line.s[5] == ' ')) {
		str_copys(out, line.s[5] ? line.s + 6 : "");
		rc = 0;
	}
	buf_free(&b);
	fd_close(fd);
	str_free(&err);
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

int
authc_run(const char *service, const char *mech, const char *ip, bool secured,
    const char *ir, authc_challenge_fn *challenge, void *ctx,
    struct authc_result *res)
{
	struct str err = STR_INIT, line = STR_INIT, resp = STR_INIT;
	struct buf b;
	int fd;

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
	if ((fd = dial(&err)) < 0) {
		tempfail(res, err.s);
		str_free(&err);
		return res->status;
	}
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, AUTHC_TIMEOUT_MS);
	buf_printf(&b, "AUTH %s %s %s %d %s\n", service, mech, ip,
	    secured ? 1 : 0,
	    ir == NULL ? "-"
		: *ir  ? ir
		       : "=");
	for (;;) {
		if (get(&b, &line) < 0) {
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
				buf_puts(&b, "*\n");
				continue;
			}
			if (!b64_ok(str_cstr(&resp)) ||
			    resp.len > AUTHC_LINE_MAX - 2) {
				res->status = AUTHC_FAIL;
				str_copys(&res->code, "malformed");
				str_copys(&res->text, "response is not base64");
				break;
			}
			buf_printf(&b, "%s\n", resp.len ? resp.s : "=");
			continue;
		}
		if (final(line.s, res) < 0)
			tempfail(res, "authd broke the protocol");
		break;
	}
	buf_free(&b);
	fd_close(fd);
	if (resp.s != NULL)
		explicit_bzero(resp.s, resp.len);
	str_free(&resp);
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
