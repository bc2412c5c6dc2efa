"""What each process of a running instance may do (doc/SECURITY.md):
no daemon can gain privileges through exec, pipe (the one that stays
root) keeps only the capabilities a delivery needs, and every other
daemon runs as a non-root account."""
import os
import pwd
import stat

import pytest

from roost import BIN, children, uid_of, wait_for

DAEMONS = ("smtpd", "cleanup", "qmgr", "lmtpd", "pipe", "authd", "imapd",
           "popd", "imap-login", "pop3-login")
ACCOUNTS = {"smtpd": "roost-smtpd", "cleanup": "roost-queue",
            "qmgr": "roost-qmgr", "lmtpd": "roost-lmtp",
            "authd": "roost-auth", "imapd": "roost-lmtp",
            "popd": "roost-lmtp", "imap-login": "roost-login",
            "pop3-login": "roost-login"}
LOGINS = ("imap-login", "pop3-login")
# CAP_DAC_READ_SEARCH (2), CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7)
PIPE_CAPS = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7)


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def daemon_procs(roost):
    """{name: [master and its workers]} of every daemon."""
    masters = roost.status()
    return {d: [masters[d]] + children(masters[d]) for d in DAEMONS}


def test_no_daemon_can_gain_privileges(roost):
    for name, pids in daemon_procs(roost).items():
        for pid in pids:
            assert status(pid)["NoNewPrivs"] == "1", (name, pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_only_pipe_is_root_and_it_keeps_four_capabilities(roost):
    for name, pids in daemon_procs(roost).items():
        for pid in pids:
            st = status(pid)
            if name == "pipe":
                assert uid_of(pid)[0] == 0
                assert int(st["CapEff"], 16) == PIPE_CAPS, st["CapEff"]
                assert int(st["CapPrm"], 16) == PIPE_CAPS, st["CapPrm"]
                assert int(st["CapBnd"], 16) == PIPE_CAPS, st["CapBnd"]
            else:
                assert 0 not in uid_of(pid), (name, pid)
                assert int(st["CapEff"], 16) == 0, (name, st["CapEff"])


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_embedded_as_root_uses_the_installed_accounts(roost):
    for name, pids in daemon_procs(roost).items():
        if name == "pipe":
            continue
        want = pwd.getpwnam(ACCOUNTS[name]).pw_uid
        for pid in pids:
            assert uid_of(pid) == [want] * 4, (name, pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_file_owners_and_modes(roost):
    def owner_mode(*parts):
        st = os.stat(roost.path(*parts))
        return pwd.getpwuid(st.st_uid).pw_name, stat.S_IMODE(st.st_mode)
    # qmail's split: cleanup writes tmp/ and incoming/, qmgr owns the
    # rest; the queue's group is both accounts' primary group
    assert owner_mode("queue") == ("roost-qmgr", 0o750)
    for d in ("tmp", "incoming", "reports"):
        assert owner_mode("queue", d) == ("roost-queue", 0o770), d
    for d in ("active", "deferred", "hold", "corrupt", "status"):
        assert owner_mode("queue", d) == ("roost-qmgr", 0o700), d
    assert pwd.getpwnam("roost-qmgr").pw_gid == \
        pwd.getpwnam("roost-queue").pw_gid
    assert owner_mode("store") == ("roost-lmtp", 0o750)
    roost.add_user("sec@example.test", "secret")
    # only roostctl (root) changes users, passwords and forwards, and
    # only authd's group reads the password table
    assert owner_mode("data") == ("root", 0o755)
    assert owner_mode("data", "users.db") == ("root", 0o644)
    assert owner_mode("data", "passwd.db") == ("root", 0o640)
    assert owner_mode("data", "authd.key") == ("root", 0o640)
    assert os.stat(roost.path("data", "passwd.db")).st_gid == \
        pwd.getpwnam("roost-auth").pw_gid
    # the login processes' chroot: root's, and nothing in it but the
    # sockets of authd, imapd and popd
    assert owner_mode("run", "login") == ("root", 0o755)
    names = sorted(os.listdir(roost.path("run", "login")))
    assert names == ["auth", "imapd", "popd"], names
    for n in names:
        assert stat.S_ISSOCK(os.stat(roost.path("run", "login", n)).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_login_processes_are_chrooted_to_the_login_folder(roost):
    jail = os.path.realpath(roost.path("run", "login"))
    procs = daemon_procs(roost)
    for name in LOGINS:
        for pid in procs[name]:
            assert os.readlink("/proc/%d/root" % pid) == jail, (name, pid)
    # the daemons with the store are not, and need not be
    for pid in procs["imapd"]:
        assert os.readlink("/proc/%d/root" % pid) == "/"


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_cleanups_account_can_neither_deliver_nor_run_commands(roost):
    """A cleanup taken over (it parses headers from the Internet) must
    not reach pipe or lmtpd: only qmgr's account may."""
    import socket

    def talk(path):
        def fn():
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(path)
            got = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
            return got
        return fn

    for name, path, refused in (
            ("pipe", roost.path("run", "pipe"),
             lambda got: b"not allowed" in got),
            ("lmtpd", roost.path("run", "lmtp"),
             lambda got: got.startswith(b"421"))):
        pw = pwd.getpwnam("roost-queue")
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.setgroups([])
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
                os.write(w, talk(path)()[:200] or b"<closed>")
            finally:
                os._exit(0)
        os.close(w)
        got = os.read(r, 4096)
        os.waitpid(pid, 0)
        os.close(r)
        got = b"" if got == b"<closed>" else got
        assert refused(got), (name, got)


SANITIZED = "/asan/" in BIN


def test_every_daemon_runs_under_its_seccomp_filter(roost):
    for name, pids in daemon_procs(roost).items():
        want = "pipe: info: seccomp: deny-list" if name == "pipe" else \
            "%s: info: seccomp: allow-list" % name
        if SANITIZED:
            want = "%s: info: seccomp: off (sanitizer build)" % name
        assert want in roost.log(name), name
        for pid in pids:
            assert status(pid)["Seccomp"] == ("0" if SANITIZED else "2"), \
                (name, pid)


def test_seccomp_off_leaves_one_daemon_without_a_filter(fresh):
    """seccomp_off = smtpd: smtpd runs without a filter and says why;
    the others keep theirs (the sanitizer build has none, and says that
    instead)."""
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("seccomp_off = smtpd\n")
    fresh.ctl("restart", "smtpd")
    pid = fresh.status()["smtpd"]
    assert status(pid)["Seccomp"] == "0"
    why = "seccomp: off (sanitizer build)" if SANITIZED else \
        "seccomp: off (seccomp_off names smtpd)"
    wait_for(lambda: why in fresh.log("smtpd"), 10)
    assert status(fresh.status()["lmtpd"])["Seccomp"] == \
        ("0" if SANITIZED else "2")
