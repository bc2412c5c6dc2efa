/*
 * layout - where things live: the embedded layout (everything under one
 * directory, high ports, unprivileged) and the installed one (FHS), the
 * directories and users a start needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "listen.h"
#include "priv.h"
#include "tls.h"
#include "users.h"
#include "daemon.h"

/* The TCP endpoints, with their embedded ports (shifted by --port-base). */
static const struct {
	const char *key, *name;
	unsigned port;
} tcp_ports[] = {
	{ "smtpd_listen", "SMTP", 10025 },
	{ "smtpd_submission_listen", "submission", 10587 },
	{ "smtpd_smtps_listen", "SMTPS", 10465 },
	{ "imapd_listen", "IMAP", 10143 },
	{ "imapd_imaps_listen", "IMAPS", 10993 },
	{ "popd_listen", "POP3", 10110 },
	{ "popd_pop3s_listen", "POP3S", 10995 },
	{ "managesieve_listen", "ManageSieve", 14190 },
};
#define NPORTS (sizeof tcp_ports / sizeof tcp_ports[0])

static const char *const user_keys[] = {
	"smtpd_user", "cleanup_user", "qmgr_user", "lmtpd_user",
	"authd_user", "imapd_user", "popd_user", "login_user", "log_user",
};
#define NUSERS (sizeof user_keys / sizeof user_keys[0])

/* Where the embedded layout keeps its certificate, under base_dir. */
#define EMBEDDED_TLS_DIR "etc/tls"


static int
mkdir_p(const char *path, mode_t mode)
{
	struct str p = STR_INIT;
	size_t i;
	int rc = 0;

	str_copys(&p, path);
	for (i = 1; i <= p.len && rc == 0; i++) {
		if (i < p.len && p.s[i] != '/')
			continue;
		p.s[i] = '\0';
		if (mkdir(p.s, i < p.len ? 0755 : mode) < 0 && errno != EEXIST)
			rc = -1;
		if (i < p.len)
			p.s[i] = '/';
	}
	if (rc < 0)
		fprintf(stderr, "roostctl: cannot create %s: %s\n", path,
		    strerror(errno));
	str_free(&p);
	return rc;
}

/* self_dir - the directory holding this roostctl program. */
static int
self_dir(struct str *out)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0) {
		fprintf(stderr, "roostctl: cannot find my own program: %s\n",
		    strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	str_copyb(out, exe, (size_t)(strrchr(exe, '/') - exe));
	return 0;
}

int
ctl_layout_embedded(struct ctl *c)
{
	struct str conf = STR_INIT, bindir = STR_INIT, etc = STR_INIT;
	const char *user;
	struct passwd *pw;
	size_t i;
	int rc;

	if (access(c->conf.s, F_OK) == 0)
		return 0;
	if (c->port_base < 0)
		c->port_base = CTL_PORT_BASE_DEFAULT;
	for (i = 0; i < NPORTS; i++) {
		long p = (long)tcp_ports[i].port + c->port_base -
		    CTL_PORT_BASE_DEFAULT;

		if (p < 1 || p > 65535) {
			fprintf(stderr, "roostctl: --port-base %ld puts %s "
			    "on port %ld, outside 1-65535\n", c->port_base,
			    tcp_ports[i].name, p);
			return 100;
		}
	}
	/* The daemons sit next to roostctl in the build tree. */
	if (self_dir(&bindir) < 0)
		return 111;
	/* As root the daemons get the accounts of the installed layout
	 * (the keys' defaults, made by ctl_prepare); as anyone else, that
	 * user is the only account there is. */
	if (priv_is_root())
		user = NULL;
	else if ((pw = getpwuid(geteuid())) != NULL)
		user = pw->pw_name;
	else {
		fprintf(stderr, "roostctl: my uid %ld has no name\n",
		    (long)geteuid());
		str_free(&bindir);
		return 111;
	}

	str_catf(&conf,
	    "# roost.conf for the embedded layout in %s,\n"
	    "# written by roostctl on first start.  Every key, its type and\n"
	    "# default: roost.conf(5).  Restart a service to apply a change:\n"
	    "#   roostctl -d %s restart SERVICE\n\n"
	    "base_dir = %s\nqueue_dir = queue\nstore_dir = store\n"
	    "data_dir = data\nrun_dir = run\nlog_dir = log\n"
	    "daemon_dir = %s\n\n"
	    "alias_maps = etc/aliases\nvirtual_alias_maps = etc/virtual\n\n",
	    c->embed_dir, c->embed_dir, c->embed_dir, bindir.s);
	for (i = 0; i < NPORTS; i++)
		str_catf(&conf, "%s = 127.0.0.1:%ld\n", tcp_ports[i].key,
		    (long)tcp_ports[i].port + c->port_base -
		    CTL_PORT_BASE_DEFAULT);
	str_cats(&conf, "\n");
	for (i = 0; user != NULL && i < NUSERS; i++)
		str_catf(&conf, "%s = %s\n", user_keys[i], user);
	/* Without certificates a newcomer has no TLS client at hand:
	 * passwords in the clear are accepted from loopback. */
	str_cats(&conf, "\nauth_plaintext = tls_or_loopback\n");
	str_cats(&conf, "\n# A self-signed certificate, made on first start.\n"
	    "tls_cert_file = " EMBEDDED_TLS_DIR "/cert.pem\n"
	    "tls_key_file = " EMBEDDED_TLS_DIR "/key.pem\n");
	str_copyf(&etc, "%s/etc", c->embed_dir);
	if (mkdir_p(etc.s, 0755) < 0) {
		rc = -1;
	} else {
		rc = ctl_write_file(c->conf.s, conf.s, 0644);
		if (rc == 0)
			printf("roostctl: created the embedded layout in %s\n",
			    c->embed_dir);
	}
	str_free(&conf);
	str_free(&bindir);
	str_free(&etc);
	return rc < 0 ? 111 : 0;
}

void
ctl_abspath(const char *key, struct str *out)
{
	const char *v = cfg_str(key), *base = var_base_dir;

	str_clear(out);
	if (v[0] != '/') {
		str_cats(out, base);
		if (out->len == 0 || out->s[out->len - 1] != '/')
			str_catc(out, '/');
	}
	str_cats(out, v);
}

void
ctl_load(struct ctl *c, bool strict)
{
	struct str err = STR_INIT, dir = STR_INIT;

	if (cfg_load(c->conf.s, &err) < 0) {
		fprintf(stderr, "roostctl: %s\n", err.s);
		if (strict)
			exit(100);
		/* Stopping or inspecting a running instance must still work
		 * after a bad edit: fall back to the layout's defaults. */
		fprintf(stderr, "roostctl: using the default layout paths\n");
		cfg_reset();
		if (c->embed_dir && self_dir(&dir) == 0 &&
		    (cfg_set("base_dir", c->embed_dir, &err) < 0 ||
		    cfg_set("run_dir", "run", &err) < 0 ||
		    cfg_set("log_dir", "log", &err) < 0 ||
		    cfg_set("daemon_dir", dir.s, &err) < 0))
			fprintf(stderr, "roostctl: %s\n", err.s);
	}
	ctl_abspath("run_dir", &c->scandir);
	str_cats(&c->scandir, "/service");
	ctl_abspath("log_dir", &c->logdir);
	ctl_abspath("daemon_dir", &c->bindir);
	str_free(&err);
	str_free(&dir);
}

/* ensure_user - create system account name when missing: with a group
 * of its own, or with group as its primary group. */
static int
ensure_user(const char *name, const char *group)
{
	char *argv[] = { "useradd", "--system", "--user-group",
		"--no-create-home", "--home-dir", "/nonexistent", "--shell",
		"/usr/sbin/nologin", (char *)name, NULL, NULL };

	if (getpwnam(name) != NULL)
		return 0;
	if (group != NULL) {
		argv[2] = "--gid";
		memmove(&argv[4], &argv[3], 7 * sizeof argv[0]);
		argv[3] = (char *)group;
	}
	if (ctl_run(argv, NULL) != 0) {
		fprintf(stderr, "roostctl: cannot create user %s\n", name);
		return -1;
	}
	printf("roostctl: created system user %s\n", name);
	return 0;
}

static int
own(const char *path, const char *user_key, mode_t mode)
{
	struct str err = STR_INIT;
	uid_t uid;
	gid_t gid;
	int rc = 0;

	if (mkdir_p(path, mode) < 0)
		return -1;
	if (priv_is_root()) {
		if (priv_lookup(cfg_str(user_key), &uid, &gid, &err) < 0 ||
		    chown(path, uid, gid) < 0) {
			fprintf(stderr, "roostctl: %s: %s\n", path,
			    err.len ? err.s : strerror(errno));
			rc = -1;
		}
	}
	str_free(&err);
	return rc;
}

/* own_file - dir/name, if it is there, to uid:gid and mode, through a
 * descriptor that never follows a link (a file that an account could
 * once replace must not lead root elsewhere). */
static int
own_file(const char *dir, const char *name, uid_t uid, gid_t gid,
    mode_t mode)
{
	struct str path = STR_INIT;
	struct stat st;
	int fd, rc = 0;

	str_copyf(&path, "%s/%s", dir, name);
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		goto out;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
		fprintf(stderr, "roostctl: %s: %s\n", path.s, fd >= 0 &&
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
out:
	str_free(&path);
	return rc;
}

/* fake_key - data_dir/authd.key, authd's key for the SCRAM secrets of
 * names that have none (users_scram_fake): made once, 32 random bytes,
 * readable as passwd.db is (tables_own). */
static int
fake_key(const char *dir)
{
	struct str path = STR_INIT;
	unsigned char key[32];
	int fd, rc = 0;

	str_copyf(&path, "%s/" USERS_FAKE_KEY, dir);
	fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		if (errno != EEXIST) {
			fprintf(stderr, "roostctl: %s: %s\n", path.s,
			    strerror(errno));
			rc = -1;
		}
	} else if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key ||
	    write(fd, key, sizeof key) != (ssize_t)sizeof key ||
	    fsync(fd) < 0) {
		fprintf(stderr, "roostctl: %s: %s\n", path.s, strerror(errno));
		(void)unlink(path.s);
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	explicit_bzero(key, sizeof key);
	str_free(&path);
	return rc;
}

/* tables_own - data_dir and the tables in it belong to root: only
 * roostctl changes users, domains, passwords and forwards, and
 * passwd.db is readable by authd's group only (doc/SECURITY.md).
 * Made so at every start, for a layout made before. */
static int
tables_own(const char *dir)
{
	uid_t auid;
	gid_t agid;

	if (chown(dir, 0, 0) < 0 || chmod(dir, 0755) < 0) {
		fprintf(stderr, "roostctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	ctl_table_owner(true, &auid, &agid);
	return own_file(dir, USERS_DB, 0, 0, 0644) < 0 ||
	    own_file(dir, USERS_DB ".lock", 0, 0, 0644) < 0 ||
	    own_file(dir, PASSWD_DB, 0, agid, 0640) < 0 ||
	    own_file(dir, PASSWD_DB ".lock", 0, 0, 0644) < 0 ||
	    own_file(dir, USERS_FAKE_KEY, 0, agid, 0640) < 0 ? -1 : 0;
}

void
ctl_table_owner(bool passwd, uid_t *uid, gid_t *gid)
{
	struct str err = STR_INIT;
	uid_t u;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (!priv_is_root())
		return;
	*uid = 0;
	*gid = 0;
	if (passwd && priv_lookup(var_authd_user, &u, gid, &err) < 0) {
		fprintf(stderr, "roostctl: authd_user: %s\n", err.s);
		*gid = 0;	/* root's alone: authd cannot log anyone in */
	}
	str_free(&err);
}

void
ctl_store_owner(uid_t *uid, gid_t *gid)
{
	struct str err = STR_INIT;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (priv_is_root() &&
	    priv_lookup(var_lmtpd_user, uid, gid, &err) < 0) {
		*uid = (uid_t)-1;
		*gid = (gid_t)-1;
	}
	str_free(&err);
}

int
ctl_prepare(struct ctl *c)
{
	struct str p = STR_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	/* Daemons started as root drop to their users inside base_dir and
	 * look up relative paths from there, which needs search permission
	 * on it (a mkdtemp directory has none for others). */
	if (priv_is_root() && c->embed_dir && stat(c->embed_dir, &st) == 0 &&
	    (st.st_mode & 0011) != 0011 &&
	    chmod(c->embed_dir, (st.st_mode & 07777) | 0011) < 0) {
		fprintf(stderr, "roostctl: chmod %s: %s\n", c->embed_dir,
		    strerror(errno));
		return -1;
	}

	/* qmgr_user shares cleanup_user's group, the queue's (made first:
	 * cleanup_user comes before it in user_keys) */
	if (priv_is_root())
		for (i = 0; i < NUSERS && rc == 0; i++) {
			const char *u = cfg_str(user_keys[i]), *g = NULL;
			struct passwd *cpw;
			struct group *gr;

			if (strcmp(user_keys[i], "qmgr_user") == 0 &&
			    strcmp(u, var_cleanup_user) != 0 &&
			    (cpw = getpwnam(var_cleanup_user)) != NULL &&
			    (gr = getgrgid(cpw->pw_gid)) != NULL)
				g = gr->gr_name;
			rc = ensure_user(u, g);
		}
	if (rc == 0) {
		ctl_abspath("queue_dir", &p);
		rc = own(p.s, "qmgr_user", 0750);
	}
	if (rc == 0) {
		ctl_abspath("store_dir", &p);
		rc = own(p.s, "lmtpd_user", 0750);
	}
	if (rc == 0) {
		ctl_abspath("data_dir", &p);
		rc = mkdir_p(p.s, 0755);
		if (rc == 0)
			rc = fake_key(p.s);
		if (rc == 0 && priv_is_root())
			rc = tables_own(p.s);
	}
	if (rc == 0) {
		ctl_abspath("run_dir", &p);
		rc = mkdir_p(p.s, 0755);
	}
	if (rc == 0)
		rc = mkdir_p(c->scandir.s, 0755);
	for (i = 0; i < ctl_nservices && rc == 0; i++) {
		str_copyf(&p, "%s/%s", c->logdir.s, ctl_services[i]);
		rc = own(p.s, "log_user", 0750);
	}
	str_free(&p);
	return rc;
}

int
ctl_tls_prepare(struct ctl *c, struct str *fp)
{
	struct str cert = STR_INIT, key = STR_INIT, err = STR_INIT;
	struct str dir = STR_INIT;
	int rc = 0;

	str_clear(fp);
	if (*var_tls_cert_file == '\0')
		return 0;
	ctl_abspath("tls_cert_file", &cert);
	ctl_abspath("tls_key_file", &key);
	if (*var_tls_key_file == '\0')
		str_copys(&key, cert.s);
	/* Only the embedded layout makes one; an installed system's
	 * certificate is the operator's. */
	if (c->embed_dir && access(cert.s, F_OK) < 0 && errno == ENOENT) {
		str_copyb(&dir, cert.s, (size_t)(strrchr(cert.s, '/') - cert.s));
		/* The key is made by whoever runs roostctl (root, or the
		 * user who owns the layout), mode 0600: the daemons run as
		 * that account until they have read it. */
		if (mkdir_p(dir.s, 0755) < 0) {
			rc = -1;
			goto out;
		}
		if (tls_cert_make(cert.s, key.s, daemon_hostname(), fp,
		    &err) < 0) {
			fprintf(stderr, "roostctl: cannot make a certificate: "
			    "%s\n", err.s);
			rc = -1;
			goto out;
		}
		printf("roostctl: made a self-signed certificate %s\n",
		    cert.s);
	}
	if (access(cert.s, F_OK) == 0 &&
	    tls_cert_fingerprint(cert.s, fp, &err) < 0)
		fprintf(stderr, "roostctl: warning: %s\n", err.s);
out:
	str_free(&cert);
	str_free(&key);
	str_free(&err);
	str_free(&dir);
	return rc;
}

void
ctl_listen_summary(struct str *out)
{
	struct listen_spec sp[LISTEN_MAX];
	struct str err = STR_INIT;
	size_t i, j, n;

	for (i = 0; i < NPORTS; i++) {
		if (listen_parse(cfg_str(tcp_ports[i].key), sp, &n, &err) < 0)
			continue;
		for (j = 0; j < n; j++) {
			str_catf(out, "  %-12s ", tcp_ports[i].name);
			listen_format(&sp[j], out);
			if (strcmp(tcp_ports[i].key, "managesieve_listen") == 0)
				str_cats(out, " (reserved; no daemon yet)");
			str_catc(out, '\n');
		}
	}
	str_free(&err);
}
