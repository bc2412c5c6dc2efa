/*
 * sandbox - seccomp filters; see sandbox.h.
 *
 * A refused call raises SIGSYS (SCMP_ACT_TRAP): the handler writes one
 * line naming the call, then dies of the signal, so that the master
 * logs the worker killed by signal 31 too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define NO_SANDBOX 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_SANDBOX 1
#endif
#endif

#ifndef NO_SANDBOX
#include <seccomp.h>

/* What every roost daemon makes, by name (libseccomp resolves them
 * for this architecture; a name it does not know is skipped). */
static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64",
	"preadv", "pwritev", "lseek", "close", "close_range", "dup", "dup2",
	"dup3", "fcntl", "ioctl", "open", "openat", "openat2", "creat",
	"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
	"access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"getdents", "getdents64", "mkdir", "mkdirat", "rmdir", "rename",
	"renameat", "renameat2", "link", "linkat", "unlink", "unlinkat",
	"symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown",
	"fchown", "fchownat", "lchown", "truncate", "ftruncate", "fallocate",
	"fsync", "fdatasync", "sync_file_range", "flock", "utimensat",
	"futimesat", "utime", "utimes", "umask", "getcwd", "chdir", "fchdir",
	"pipe", "pipe2", "sendfile", "copy_file_range", "splice",
	"fadvise64", "readahead", "memfd_create",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd", "eventfd2", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "inotify_init",
	"inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"futex", "futex_waitv", "set_robust_list", "get_robust_list",
	"rseq", "sched_yield", "sched_getaffinity", "nanosleep",
	"clock_nanosleep", "restart_syscall",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync",
	"mincore", "mlock", "munlock", "membarrier",
	/* processes: the pool forks its workers and reaps them */
	"fork", "vfork", "clone", "clone3", "wait4", "waitid", "kill",
	"tgkill", "tkill", "exit", "exit_group", "getpid", "getppid",
	"gettid", "getpgrp", "getpgid", "getsid", "prctl", "arch_prctl",
	"set_tid_address", "getrlimit", "prlimit64", "getrusage", "times",
	"getpriority", "capget",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "pause", "alarm",
	"setitimer", "getitimer",
	/* identity (looking only) and time */
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups", "uname", "sysinfo", "clock_gettime", "clock_getres",
	"gettimeofday", "time", "getrandom",
	/* Unix sockets (socket itself: AF_UNIX only, below) */
	"socketpair", "connect", "accept", "accept4", "bind", "listen",
	"shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "getsockname", "getpeername", "getsockopt",
	"setsockopt",
};

/* What no delivery command needs (pipe's deny-list). */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"pidfd_getfd", "mount", "umount2", "pivot_root", "chroot",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
	"fspick", "mount_setattr", "unshare", "setns", "init_module",
	"finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
	"request_key", "open_by_handle_at", "name_to_handle_at", "swapon",
	"swapoff", "reboot", "acct", "iopl", "ioperm", "quotactl",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "syslog", "lookup_dcookie",
	"fanotify_init", "vhangup", "uselib", "personality",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

static void
on_sigsys(int signo, siginfo_t *si, void *uc)
{
	char line[160], *p = line + sizeof line;
	unsigned n = (unsigned)si->si_syscall;
	const char *pre = "seccomp: refused system call ";
	size_t k = strlen(pre);

	(void)uc;
	*--p = '\n';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) != 0 && p > line + k + 1);
	p -= k;
	memcpy(p, pre, k);
	(void)!write(STDERR_FILENO, p, (size_t)(line + sizeof line - p));
	signal(signo, SIG_DFL);
	raise(signo);
}

static int
add_names(scmp_filter_ctx ctx, const char *const *names, size_t n,
    uint32_t action)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if (seccomp_rule_add(ctx, action, nr, 0) < 0)
			return -1;
	}
	return 0;
}

int
sandbox_install(enum sandbox_kind kind, bool log_only)
{
	uint32_t refuse = log_only ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	scmp_filter_ctx ctx;
	struct sigaction sa;
	int rc = -1;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -1;
	ctx = seccomp_init(kind != SANDBOX_DENY ? refuse : SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return -1;
	if (kind == SANDBOX_DENY) {
		if (add_names(ctx, denied, sizeof denied / sizeof denied[0],
		    refuse) < 0)
			goto out;
	} else {
		if (add_names(ctx, allowed, sizeof allowed / sizeof allowed[0],
		    SCMP_ACT_ALLOW) < 0)
			goto out;
		/* new sockets: Unix ones only (the listeners exist) */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) < 0)
			goto out;
		/* ... and UDP for DNS: the type without its flags
		 * (SOCK_NONBLOCK, SOCK_CLOEXEC) is SOCK_DGRAM */
		if (kind == SANDBOX_ALLOW_DNS &&
		    (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM)) < 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET6),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM)) < 0))
			goto out;
	}
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}

bool
sandbox_available(void)
{
	return true;
}
#else
int
sandbox_install(enum sandbox_kind kind, bool log_only)
{
	(void)kind;
	(void)log_only;
	errno = ENOSYS;
	return -1;
}

bool
sandbox_available(void)
{
	return false;
}
#endif

/* named - whether the space-separated list names daemon (or "all"). */
static bool
named(const char *list, const char *daemon)
{
	size_t n = strlen(daemon);

	for (const char *p = list; *p != '\0';) {
		size_t k;

		p += strspn(p, " ,\t");
		k = strcspn(p, " ,\t");
		if ((k == n && strncmp(p, daemon, n) == 0) ||
		    (k == 3 && strncmp(p, "all", 3) == 0))
			return true;
		p += k;
	}
	return false;
}

void
sandbox_enter(const char *daemon, enum sandbox_kind kind)
{
	bool log_only = strcmp(var_seccomp_action, "log") == 0;

	if (!sandbox_available()) {
		log_info("seccomp: off (sanitizer build)");
		return;
	}
	if (named(var_seccomp_off, daemon)) {
		log_warn("seccomp: off (seccomp_off names %s)", daemon);
		return;
	}
	if (sandbox_install(kind, log_only) < 0)
		log_fatal("seccomp: cannot load the filter: %s",
		    strerror(errno));
	log_info("seccomp: %s filter loaded%s", kind == SANDBOX_DENY ?
	    "deny-list" : kind == SANDBOX_ALLOW_DNS ? "allow-list (with DNS)" :
	    "allow-list", log_only ? " (log only)" : "");
}
