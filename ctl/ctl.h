/*
 * roostctl - the one admin command.  Shared declarations.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <sys/types.h>

#include "str.h"

/* The supervised services, in start order. */
extern const char *const ctl_services[];
extern const size_t ctl_nservices;

/* Everything a command needs to know about the layout. */
struct ctl {
	const char *embed_dir;	/* -d DIR (absolute), or NULL: installed */
	struct str conf;	/* configuration file */
	long port_base;		/* --port-base, or -1 */
	struct str scandir;	/* run_dir/service, absolute */
	struct str logdir;	/* log_dir, absolute */
	struct str bindir;	/* daemon_dir, absolute */
};

#define CTL_PORT_BASE_DEFAULT 10000

/* layout.c */
/* ctl_layout_embedded - create DIR and its roost.conf on first use:
 * 0, or the exit code for a failure (100 usage, 111 system). */
int ctl_layout_embedded(struct ctl *c);
/* ctl_load - load the configuration and fill the absolute paths.  A bad
 * file is reported (file, line, key); strict: exit 100, else go on with
 * the layout's default paths (so stop and status still work). */
void ctl_load(struct ctl *c, bool strict);
/* ctl_prepare - create the directories and (as root) the users. */
int ctl_prepare(struct ctl *c);
/* ctl_tls_prepare - embedded layout: make the self-signed certificate
 * of tls_cert_file/tls_key_file unless it exists.  Either layout: the
 * SHA-256 fingerprint of tls_cert_file into fp (left empty when there
 * is no certificate).  0, or -1 after a message. */
int ctl_tls_prepare(struct ctl *c, struct str *fp);
/* ctl_abspath - key's path made absolute against base_dir. */
void ctl_abspath(const char *key, struct str *out);
/* ctl_listen_summary - the ports as "smtp 127.0.0.1:10025" lines. */
void ctl_listen_summary(struct str *out);

/* ctl_store_owner - as root, the account that owns the store, the
 * tables and data_dir (lmtpd_user); else -1/-1 (leave ownership). */
void ctl_store_owner(uid_t *uid, gid_t *gid);
/* ctl_table_owner - as root, the owner and group a table in data_dir
 * gets: root's, and for passwd.db (passwd) authd_user's group; not
 * root: (-1, -1), unchanged. */
void ctl_table_owner(bool passwd, uid_t *uid, gid_t *gid);
/* ctl_as_store_owner - fn(arg) as lmtpd_user (in a child, when root):
 * its return value (0..255). */
int ctl_as_store_owner(int (*fn)(void *arg), void *arg);

/* Commands past the layout ones: each gets the words after its name and
 * returns the exit status (0 ok, 1 failed, 100 usage). */
/* user.c: user add|del|list|passwd|quota|forward (undelete is
 * ctl_user_undelete) */
int ctl_cmd_user(struct ctl *c, int argc, char **argv);
/* mailbox.c: mailbox list|show|fetch, user undelete, expire */
int ctl_cmd_mailbox(struct ctl *c, int argc, char **argv);
int ctl_user_undelete(struct ctl *c, int argc, char **argv);
int ctl_cmd_expire(struct ctl *c, int argc, char **argv);
/* domain.c: domain add|del|list; ctl_tables_refresh compiles the alias
 * files whose .db is missing or older (at start) */
int ctl_cmd_domain(struct ctl *c, int argc, char **argv);
int ctl_tables_refresh(struct ctl *c);
/* queue.c: queue [list]|show|hold|release|requeue|delete|flush */
int ctl_cmd_queue(struct ctl *c, int argc, char **argv);

/* dns.c: dns lookup|mx|addrs|fcrdns */
int ctl_cmd_dns(struct ctl *c, int argc, char **argv);

/* s6.c */
int ctl_write_services(struct ctl *c);
int ctl_svscan_start(struct ctl *c);
/* ctl_svscan_pid - pid of our running s6-svscan, or 0. */
pid_t ctl_svscan_pid(struct ctl *c);
int ctl_wait_ready(struct ctl *c);
int ctl_stop(struct ctl *c);
int ctl_status(struct ctl *c);
int ctl_restart(struct ctl *c, const char *svc);

/* proc.c */
/* ctl_run - run argv (PATH search), stdout into out when out != NULL;
 * the exit status, or -1 when it could not run or was killed. */
int ctl_run(char *const argv[], struct str *out);
/* ctl_run_quiet - ctl_run without output, its stderr discarded. */
int ctl_run_quiet(char *const argv[]);
/* ctl_procs - pids of every process belonging to this instance: whose
 * command line mentions the configuration file, or whose working
 * directory is inside the scan or log directory. */
size_t ctl_procs(struct ctl *c, pid_t *pids, size_t max);
/* ctl_sleep_ms - sleep, for bounded waits on processes to exit. */
void ctl_sleep_ms(int ms);
/* ctl_write_file - write content to path atomically with mode. */
int ctl_write_file(const char *path, const char *content, mode_t mode);

#endif
