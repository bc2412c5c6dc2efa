"""The installed layout: absolute FHS-style paths and one user per
daemon, driven through roostctl -c (the paths live in a temporary
directory so the test leaves the machine as it found it), and the
security map of doc/SECURITY.md on it, as test_security checks it on the
embedded layout."""
import os
import pwd
import subprocess

import pytest

from roost import (BIN, DNS_NOWHERE, PORTS, children, pick_port_base,
                   uid_of, wait_for)
from test_security import PIPE_CAPS, SANITIZED, status

USERS = {"smtpd": "roost-smtpd", "cleanup": "roost-queue",
         "qmgr": "roost-qmgr", "lmtpd": "roost-lmtp",
         "authd": "roost-auth", "imapd": "roost-lmtp", "popd": "roost-lmtp",
         "imap-login": "roost-login", "pop3-login": "roost-login"}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_installed_layout_runs_each_daemon_as_its_own_user(tmp_path):
    base = pick_port_base()
    # The daemons' users must reach the spool and store below tmp_path,
    # whose pytest parents are private to root.
    d = str(tmp_path)
    while d not in ("/", "/tmp"):
        os.chmod(d, os.stat(d).st_mode | 0o011)
        d = os.path.dirname(d)
    conf = tmp_path / "etc" / "roost.conf"
    conf.parent.mkdir()
    lines = ["queue_dir = %s/spool" % tmp_path,
             "store_dir = %s/lib/store" % tmp_path,
             "data_dir = %s/lib" % tmp_path,
             "alias_maps = %s/etc/aliases" % tmp_path,
             "virtual_alias_maps = %s/etc/virtual" % tmp_path,
             "run_dir = %s/run" % tmp_path,
             "log_dir = %s/log" % tmp_path,
             "daemon_dir = %s" % BIN,
             "dns_servers = %s" % DNS_NOWHERE]
    keys = {"smtp": "smtpd_listen", "submission": "smtpd_submission_listen",
            "smtps": "smtpd_smtps_listen", "imap": "imapd_listen",
            "imaps": "imapd_imaps_listen", "pop3": "popd_listen",
            "pop3s": "popd_pop3s_listen",
            "managesieve": "managesieve_listen"}
    for name, key in keys.items():
        lines.append("%s = 127.0.0.1:%d" % (key, PORTS[name] - 10000 + base))
    conf.write_text("\n".join(lines) + "\n")
    ctl = [os.path.join(BIN, "roostctl"), "-c", str(conf)]
    try:
        r = subprocess.run(ctl + ["start"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        st = subprocess.run(ctl + ["status"], capture_output=True,
                            text=True).stdout
        def pids(svc):
            line = [l for l in st.splitlines() if l.startswith(svc + " ")][0]
            pid = int(line.split("pid ")[1].split(")")[0])
            return [pid] + children(pid)
        for svc, user in USERS.items():
            uid = pwd.getpwnam(user).pw_uid
            for p in pids(svc):
                assert uid_of(p) == [uid] * 4, (svc, p)
                assert status(p)["NoNewPrivs"] == "1", (svc, p)
                assert int(status(p)["CapEff"], 16) == 0, (svc, p)
        # pipe alone stays root, with four capabilities
        for p in pids("pipe"):
            assert uid_of(p)[0] == 0
            assert int(status(p)["CapBnd"], 16) == PIPE_CAPS
        # every daemon under its seccomp filter (none in the sanitizer
        # build); the login processes chrooted to run/login, root's
        for svc in list(USERS) + ["pipe"]:
            for p in pids(svc):
                assert status(p)["Seccomp"] == ("0" if SANITIZED else "2")
        login = os.stat(tmp_path / "run" / "login")
        assert (login.st_uid, login.st_mode & 0o777) == (0, 0o755)
        for svc in ("imap-login", "pop3-login"):
            for p in pids(svc):
                assert os.readlink("/proc/%d/root" % p) == \
                    os.path.realpath(tmp_path / "run" / "login")
        # the queue: qmgr's, with cleanup's folders in it
        q = os.stat(tmp_path / "spool")
        assert (q.st_uid, q.st_mode & 0o777) == \
            (pwd.getpwnam("roost-qmgr").pw_uid, 0o750)
        inc = os.stat(tmp_path / "spool" / "incoming")
        assert (inc.st_uid, inc.st_mode & 0o777) == \
            (pwd.getpwnam("roost-queue").pw_uid, 0o770)
        # the tables are root's; only authd's group reads passwd.db
        r = subprocess.run(ctl + ["user", "add", "inst@example.test",
                                  "--password-stdin"], input="pw\n",
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        lib = os.stat(tmp_path / "lib")
        pw = os.stat(tmp_path / "lib" / "passwd.db")
        assert (lib.st_uid, lib.st_mode & 0o777) == (0, 0o755)
        assert (pw.st_uid, pw.st_gid, pw.st_mode & 0o777) == \
            (0, pwd.getpwnam("roost-auth").pw_gid, 0o640)
        # The store belongs to the delivery user, the logs to roost-log.
        assert os.stat(tmp_path / "lib" / "store").st_uid == \
            pwd.getpwnam("roost-lmtp").pw_uid
        assert os.stat(tmp_path / "log" / "smtpd").st_uid == \
            pwd.getpwnam("roost-log").pw_uid
        wait_for(lambda: os.path.exists(tmp_path / "log" / "smtpd" /
                                        "current"), 5)
    finally:
        subprocess.run(ctl + ["stop"], capture_output=True, timeout=120)
