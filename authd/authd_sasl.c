/*
 * authd_sasl - libsasl2's server side for authd.
 *
 * libsasl2 is configured from roost.conf only: SASL_CB_GETOPT answers
 * mech_list, pwcheck_method, auxprop_plugin and saslauthd_path, and
 * SASL_CB_GETCONFPATH points at a directory with no configuration file,
 * so nothing under /etc or /usr/lib/sasl2 changes what authd does.
 *
 * With auth_source = roost, the password table is the only source:
 *  - PLAIN and LOGIN hand us the password through
 *    SASL_CB_SERVER_USERDB_CHECKPASS, checked against the crypt(3) hash;
 *  - SCRAM-SHA-1 and SCRAM-SHA-256 ask the auxprop plugins for the
 *    property "authPassword" (RFC 5803: "<mech>$<iter>:<salt>$<StoredKey>
 *    :<ServerKey>", cyrus-sasl plugins/scram.c); our plugin, registered
 *    in-process as "roost", answers it from passwd.db.  It never
 *    answers "userPassword", so no mechanism ever sees a plaintext
 *    password from us.
 * With auth_source = saslauthd, PLAIN and LOGIN go to saslauthd (PAM,
 * system accounts) and SCRAM is not offered: saslauthd only checks
 * plaintext passwords.
 *
 * The worker serves one exchange at a time, so the callbacks find the
 * exchange in progress through `cur`.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "alloc.h"
#include "authd.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "users.h"

struct authd_sasl {
	sasl_conn_t *conn;
	struct authd_attempt *a;
	sasl_callback_t cb[3];
};

/* CB - a callback as libsasl2's table stores it (through void (*)(void),
 * which -Wcast-function-type lets pass). */
#define CB(fn) ((int (*)(void))(void (*)(void))(fn))

static struct authd_attempt *cur; /* the exchange in progress */
static struct users *users; /* passwd.db, opened on first use */
static bool source_roost;
static struct str mechs; /* enabled and available */
static unsigned char fake_key[32]; /* users_scram_fake's, read at start */

/* load_fake_key - data_dir/authd.key (roostctl makes it), read by the
 * master before the workers fork; without it a random key for this run
 * (unknown users' salts then change at a restart). */
static void
load_fake_key(void)
{
	struct str path = STR_INIT;
	ssize_t n = -1;
	int fd;

	str_copyf(&path, "%s/" USERS_FAKE_KEY, var_data_dir);
	fd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, fake_key, sizeof fake_key);
		close(fd);
	}
	if (n != (ssize_t)sizeof fake_key) {
		log_warn("%s: %s; unknown users' SCRAM salts change at each "
		    "start (roostctl start makes the file)", path.s,
		    n < 0 ? strerror(errno) : "too short");
		if (getrandom(fake_key, sizeof fake_key, 0) !=
		    (ssize_t)sizeof fake_key)
			log_fatal("getrandom: %s", strerror(errno));
	}
	str_free(&path);
}

static struct users *
table(void)
{
	if (users == NULL)
		users = users_open(var_data_dir);
	return users;
}

bool
authd_plaintext(const char *mech)
{
	return strcmp(mech, "PLAIN") == 0 || strcmp(mech, "LOGIN") == 0;
}

/* ---- global callbacks ---- */

static int
cb_getopt(void *context, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	const char *v = NULL;

	(void)context;
	(void)plugin;
	if (strcmp(option, "mech_list") == 0)
		v = mechs.s;
	else if (strcmp(option, "pwcheck_method") == 0)
		v = source_roost ? "auxprop" : "saslauthd";
	else if (strcmp(option, "auxprop_plugin") == 0)
		v = "roost";
	else if (strcmp(option, "saslauthd_path") == 0)
		v = var_saslauthd_path;
	else if (strcmp(option, "log_level") == 0)
		v = "3"; /* SASL_LOG_WARN */
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len != NULL)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int
cb_confpath(void *context, char **path)
{
	/* A directory that holds no <app>.conf: libsasl2 reads nothing. */
	static char none[] = "/nonexistent/roost-authd";

	(void)context;
	*path = none;
	return SASL_OK;
}

static int
cb_log(void *context, int level, const char *message)
{
	(void)context;
	if (level <= SASL_LOG_ERR)
		log_warn("sasl: %s", message);
	else
		log_debug("sasl: %s", message);
	return SASL_OK;
}

/* ---- per-connection callbacks ---- */

/* cb_canon - trim, bound and (for the roost table) lowercase a user
 * name; remember the authentication id for the throttle and the log. */
static int
cb_canon(sasl_conn_t *conn, void *context, const char *in, unsigned inlen,
    unsigned flags, const char *user_realm, char *out, unsigned out_max,
    unsigned *out_len)
{
	struct authd_attempt *a = context;
	unsigned i = 0, n = inlen;

	(void)conn;
	(void)user_realm;
	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	while (n > i && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == i || n - i > 320 || n - i >= out_max) {
		a->reason = AUTHD_R_NOUSER;
		return SASL_BADAUTH;
	}
	for (unsigned j = i; j < n; j++) {
		unsigned char c = (unsigned char)in[j];

		if (c <= ' ' || c == 0x7f) {
			a->reason = AUTHD_R_NOUSER;
			return SASL_BADAUTH;
		}
		out[j - i] = (char)(source_roost ? tolower(c) : c);
	}
	*out_len = n - i;
	out[*out_len] = '\0';
	if (flags & SASL_CU_AUTHID)
		str_copyb(&a->user, out, *out_len);
	return SASL_OK;
}

/* cb_checkpass - PLAIN and LOGIN against the crypt(3) hash. */
static int
cb_checkpass(sasl_conn_t *conn, void *context, const char *user,
    const char *pass, unsigned passlen, struct propctx *propctx)
{
	struct authd_attempt *a = context;
	struct user_rec rec = {STR_INIT, 0, STR_INIT, false, 0};
	struct str pw = STR_INIT, err = STR_INIT;
	int rc;

	(void)conn;
	(void)propctx;
	if (memchr(pass, '\0', passlen) != NULL) {
		a->reason = AUTHD_R_MALFORMED;
		return SASL_BADAUTH;
	}
	str_copyb(&pw, pass, passlen);
	rc = users_passwd_check(table(), user, pw.s, &err);
	explicit_bzero(pw.s, pw.len);
	str_free(&pw);
	if (rc == 1) {
		str_free(&err);
		return SASL_OK;
	}
	if (rc == 0)
		rc = users_get(table(), user, &rec, &err);
	else
		rc = -1;
	if (rc < 0) {
		log_error("passwd table: %s", err.s);
		a->reason = AUTHD_R_TEMP;
	} else
		a->reason = rc == 1 ? AUTHD_R_BADPASS : AUTHD_R_NOUSER;
	user_rec_free(&rec);
	str_free(&err);
	return a->reason == AUTHD_R_TEMP ? SASL_FAIL : SASL_BADAUTH;
}

/* ---- the auxprop plugin ---- */

/* roost_lookup - answer "authPassword" of the authentication id with
 * the SCRAM secret of the mechanism in progress. */
static int
roost_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
    const char *user, unsigned ulen)
{
	const struct propval *want, *p;
	struct str name = STR_INIT, secret = STR_INIT, err = STR_INIT;
	int rc;

	(void)glob;
	if (!source_roost || cur == NULL || (flags & SASL_AUXPROP_AUTHZID) ||
	    (want = sp->utils->prop_get(sp->propctx)) == NULL)
		return SASL_OK;
	for (p = want; p->name != NULL; p++) {
		if (strcmp(p->name, "*authPassword") != 0)
			continue;
		if (p->values != NULL) {
			if (!(flags & SASL_AUXPROP_OVERRIDE))
				continue;
			sp->utils->prop_erase(sp->propctx, p->name);
		}
		str_copyb(&name, user, ulen);
		rc = users_passwd_scram(
		    table(), name.s, cur->mech, &secret, &err);
		if (rc == 1)
			sp->utils->prop_set(
			    sp->propctx, p->name, secret.s, (int)secret.len);
		else if (rc < 0) {
			log_error("passwd table: %s", err.s);
			cur->reason = AUTHD_R_TEMP;
		} else {
			struct user_rec rec = {STR_INIT, 0, STR_INIT, false, 0};

			/* Known but without a secret for this mechanism
			 * (set before SCRAM support, or no password). */
			bool known =
			    users_get(table(), name.s, &rec, &err) == 1;

			cur->reason = known ? AUTHD_R_NOSECRET : AUTHD_R_NOUSER;
			user_rec_free(&rec);
			/* Either way the exchange goes on with a secret no
			 * proof matches, and fails where a wrong password
			 * does: the client learns nothing of who exists. */
			if (users_scram_fake(cur->mech, name.s, fake_key,
			    sizeof fake_key, &secret) == 0)
				sp->utils->prop_set(sp->propctx, p->name,
				    secret.s, (int)secret.len);
		}
	}
	if (secret.s != NULL)
		explicit_bzero(secret.s, secret.len);
	str_free(&secret);
	str_free(&name);
	str_free(&err);
	return SASL_OK;
}

static sasl_auxprop_plug_t roost_plug = {
    .auxprop_lookup = roost_lookup,
    .name = (char *)"roost",
};

static int
roost_plug_init(const sasl_utils_t *utils, int max_version, int *out_version,
    sasl_auxprop_plug_t **plug, const char *plugname)
{
	(void)utils;
	(void)plugname;
	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = &roost_plug;
	return SASL_OK;
}

/* ---- set-up ---- */

void
authd_sasl_init(void)
{
	static sasl_callback_t cbs[] = {
	    {SASL_CB_GETOPT, CB(cb_getopt), NULL},
	    {SASL_CB_GETCONFPATH, CB(cb_confpath), NULL},
	    {SASL_CB_LOG, CB(cb_log), NULL},
	    {SASL_CB_LIST_END, NULL, NULL},
	};
	const char **avail;
	struct str want = STR_INIT;
	int rc;

	source_roost = strcmp(var_auth_source, "roost") == 0;
	if (source_roost)
		load_fake_key();
	/* mech_list while the plugins load: every mechanism we know, so
	 * that sasl_global_listmech() tells what this host has. */
	str_copys(&mechs, "PLAIN LOGIN SCRAM-SHA-1 SCRAM-SHA-256");
	if ((rc = sasl_auxprop_add_plugin("roost", roost_plug_init)) != SASL_OK)
		log_fatal("sasl_auxprop_add_plugin: %s",
		    sasl_errstring(rc, NULL, NULL));
	if ((rc = sasl_server_init(cbs, "roost-authd")) != SASL_OK)
		log_fatal(
		    "sasl_server_init: %s", sasl_errstring(rc, NULL, NULL));
	avail = sasl_global_listmech();
	str_copys(&want, var_auth_mechanisms);
	str_clear(&mechs);
	for (char *save = NULL, *m = strtok_r(want.s, " \t,", &save); m != NULL;
	     m = strtok_r(NULL, " \t,", &save)) {
		bool have = false;

		for (char *p = m; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		for (size_t i = 0; avail != NULL && avail[i] != NULL; i++)
			have = have || strcmp(avail[i], m) == 0;
		if (!have) {
			log_warn("auth_mechanisms: %s: not in libsasl2's "
				 "plugins (libsasl2-modules); not offered",
			    m);
			continue;
		}
		if (!source_roost && !authd_plaintext(m)) {
			log_info("auth_mechanisms: %s needs auth_source = "
				 "roost; not offered",
			    m);
			continue;
		}
		if (mechs.len > 0)
			str_catc(&mechs, ' ');
		str_cats(&mechs, m);
	}
	str_free(&want);
	if (mechs.len == 0)
		log_warn("no authentication mechanism is enabled");
	else
		log_info("mechanisms: %s (source %s)", mechs.s,
		    var_auth_source);
}

const char *
authd_sasl_mechs(void)
{
	return str_cstr(&mechs);
}

/* ---- one exchange ---- */

/* reason_of - why libsasl2 said no, when no callback told us. */
static enum authd_reason
reason_of(int rc)
{
	switch (rc) {
	case SASL_BADPROT:
		return AUTHD_R_MALFORMED;
	case SASL_NOUSER:
		return AUTHD_R_NOUSER;
	case SASL_BADAUTH:
	case SASL_NOVERIFY:
	case SASL_NOAUTHZ:
		return AUTHD_R_BADPASS;
	default:
		return AUTHD_R_TEMP;
	}
}

/* result - map libsasl2's answer onto 1 / 0 / -1 (see authd.h). */
static int
result(struct authd_sasl *s, int rc, const char *out, unsigned outlen,
    struct str *dst)
{
	str_clear(dst);
	if (rc == SASL_CONTINUE || rc == SASL_OK) {
		if (out != NULL)
			str_catb(dst, out, outlen);
		return rc == SASL_CONTINUE ? 1 : 0;
	}
	if (s->a->reason == AUTHD_R_NONE)
		s->a->reason = reason_of(rc);
	log_debug("sasl: %s: %s", s->a->mech, sasl_errdetail(s->conn));
	return -1;
}

int
authd_sasl_start(struct authd_sasl **sp, struct authd_attempt *a,
    const struct str *ir, struct str *out)
{
	struct authd_sasl *s = xcalloc(1, sizeof *s);
	sasl_security_properties_t sec;
	const char *o = NULL;
	unsigned olen = 0;
	size_t n = 0;
	int rc;

	*sp = s;
	s->a = a;
	cur = a;
	s->cb[n++] = (sasl_callback_t){SASL_CB_CANON_USER, CB(cb_canon), a};
	if (source_roost)
		s->cb[n++] = (sasl_callback_t){
		    SASL_CB_SERVER_USERDB_CHECKPASS, CB(cb_checkpass), a};
	s->cb[n] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	rc = sasl_server_new(a->service, daemon_hostname(), NULL, NULL, NULL,
	    s->cb, SASL_SUCCESS_DATA, &s->conn);
	if (rc != SASL_OK) {
		log_error(
		    "sasl_server_new: %s", sasl_errstring(rc, NULL, NULL));
		a->reason = AUTHD_R_TEMP;
		return -1;
	}
	memset(&sec, 0, sizeof sec);
	/* No security layer: TLS protects the connection, if anything. */
	sec.max_ssf = 0;
	sec.security_flags = SASL_SEC_NOANONYMOUS;
	if ((rc = sasl_setprop(s->conn, SASL_SEC_PROPS, &sec)) != SASL_OK) {
		a->reason = AUTHD_R_TEMP;
		return result(s, rc, NULL, 0, out);
	}
	/* An empty initial response ("=") is not the same as none. */
	rc = sasl_server_start(s->conn, a->mech,
	    ir ? (ir->s ? ir->s : "") : NULL, ir ? (unsigned)ir->len : 0,
	    &o, &olen);
	return result(s, rc, o, olen, out);
}

int
authd_sasl_step(struct authd_sasl *s, const struct str *in, struct str *out)
{
	const char *o = NULL;
	unsigned olen = 0;
	int rc;

	cur = s->a;
	rc = sasl_server_step(
	    s->conn, in->s ? in->s : "", (unsigned)in->len, &o, &olen);
	return result(s, rc, o, olen, out);
}

const char *
authd_sasl_user(struct authd_sasl *s)
{
	const void *u = NULL;

	if (sasl_getprop(s->conn, SASL_USERNAME, &u) != SASL_OK || u == NULL)
		return str_cstr(&s->a->user);
	return u;
}

void
authd_sasl_end(struct authd_sasl **sp)
{
	if (*sp == NULL)
		return;
	if ((*sp)->conn != NULL)
		sasl_dispose(&(*sp)->conn);
	free(*sp);
	*sp = NULL;
	cur = NULL;
}
