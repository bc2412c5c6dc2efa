"""roostctl start/stop/status/restart and supervision by s6."""
import os
import re
import signal
import socket
import time

import pytest

from roost import (Roost, SERVICES, children, greeting, uid_of, wait_for)


def test_status_shows_every_service_up_and_ready(roost):
    st = roost.status()
    assert sorted(st) == sorted(SERVICES)
    for svc, pid in st.items():
        assert pid, "%s not up and ready" % svc
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode()
        assert argv0.endswith("/" + svc)
    out = roost.ctl("status").stdout
    assert re.search(r"^s6-svscan\s+up \(pid \d+\)", out, re.M)
    assert re.search(r"^smtpd\s+up \(pid \d+\) \d+ seconds, ready$", out,
                     re.M)


def test_services_run_unprivileged(roost):
    for svc, pid in roost.status().items():
        if svc == "pipe" and os.geteuid() == 0:
            # pipe(8) keeps root to become each alias owner; it serves
            # only qmgr on a Unix socket (test_pipe checks its children).
            continue
        for p in [pid] + children(pid):
            uids = uid_of(p)
            assert 0 not in uids, "%s (pid %d) runs as root" % (svc, p)
            if os.geteuid() != 0:
                assert uids[0] == os.geteuid()


def test_each_service_logs_through_s6_log(roost):
    # s6-log adds the TAI64N stamp; the daemon line follows it.
    wait_for(lambda: "smtpd: info: ready" in roost.log("smtpd"), 5)
    line = [l for l in roost.log("smtpd").splitlines() if "ready" in l][0]
    assert re.match(r"^@[0-9a-f]{24} smtpd: info: ready$", line)
    for svc in SERVICES:
        wait_for(lambda: "%s: info: ready" % svc in roost.log(svc), 5)


def test_embedded_config_has_shifted_ports(roost):
    text = open(roost.conf).read()
    b = roost.port_base - 10000
    for key, port in [("smtpd_listen", 10025), ("imapd_listen", 10143),
                      ("managesieve_listen", 14190),
                      ("popd_pop3s_listen", 10995)]:
        assert "%s = 127.0.0.1:%d" % (key, port + b) in text
    assert "base_dir = %s" % roost.dir in text


def test_config_check_and_dump(roost):
    r = roost.ctl("config", "check")
    assert r.stdout.strip() == "%s: ok" % roost.conf
    out = roost.ctl("config").stdout
    assert "smtpd_listen = 127.0.0.1:%d" % roost.port("smtp") in out
    assert re.search(r"^smtpd_timeout = 300s?$", out, re.M)


def test_start_twice_is_harmless(roost):
    before = roost.status()
    r = roost.ctl("start")
    assert "already running" in r.stdout
    assert roost.status() == before


def test_kill9_brings_daemon_back_within_2s(fresh):
    fresh.start()
    for svc, port in [("smtpd", "smtp"), ("imapd", "imap"),
                      ("popd", "pop3"), ("cleanup", None), ("qmgr", None),
                      ("lmtpd", None)]:
        old = fresh.status()[svc]
        os.kill(old, signal.SIGKILL)
        t0 = time.monotonic()

        def back():
            new = fresh.status().get(svc)
            if not new or new == old:
                return False
            return port is None or greeting(fresh.port(port)) is not None
        wait_for(back, 2.0)
        elapsed = time.monotonic() - t0
        assert elapsed < 2.0, "%s came back after %.2fs" % (svc, elapsed)


def test_restart_one_service_leaves_the_others(fresh):
    fresh.start()
    before = fresh.status()
    r = fresh.ctl("restart", "smtpd")
    assert "smtpd restarted" in r.stdout
    after = fresh.status()
    assert after["smtpd"] and after["smtpd"] != before["smtpd"]
    for svc in SERVICES:
        if svc != "smtpd":
            assert after[svc] == before[svc], svc
    assert greeting(fresh.port("smtp")).startswith("220 ")
    r = fresh.ctl("restart", "nosuch", check=False)
    assert r.returncode != 0 and "no service 'nosuch'" in r.stderr


def test_stop_leaves_no_process_behind(fresh):
    fresh.start()
    assert len(fresh.procs()) >= 2 * len(SERVICES)
    # A client in the middle of a session must not keep anything alive.
    s = socket.create_connection(("127.0.0.1", fresh.port("imap")))
    s.recv(100)
    r = fresh.ctl("stop")
    assert "roost stopped" in r.stdout
    assert fresh.procs() == []
    s.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", fresh.port("smtp")), 1)
    assert "not running" in fresh.ctl("status", check=False).stdout
    assert fresh.ctl("status", check=False).returncode == 3
    assert "not running" in fresh.ctl("stop").stdout


def test_bad_key_fails_start_naming_file_line_and_key(fresh):
    fresh.start()
    fresh.ctl("stop")
    with open(fresh.conf, "a") as f:
        f.write("smtpd_timeout = 60s\nsmtp_listen = 127.0.0.1:25\n")
    lineno = len(open(fresh.conf).read().splitlines())
    r = fresh.ctl("start", check=False)
    assert r.returncode == 100
    assert "%s:%d: unknown key 'smtp_listen'" % (fresh.conf, lineno) \
        in r.stderr
    assert fresh.procs() == []


def test_bad_value_fails_start(fresh):
    fresh.start()
    fresh.ctl("stop")
    with open(fresh.conf, "a") as f:
        f.write("imapd_process_limit = lots\n")
    lineno = len(open(fresh.conf).read().splitlines())
    r = fresh.ctl("start", check=False)
    assert r.returncode == 100
    assert re.search(r"%s:%d: imapd_process_limit: .*lots" %
                     (re.escape(fresh.conf), lineno), r.stderr)


def test_busy_port_fails_start_with_a_clear_error(fresh):
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", fresh.port("pop3")))
    blocker.listen(1)
    try:
        r = fresh.ctl("start", check=False, timeout=120)
        assert r.returncode != 0
        assert "popd" in r.stderr and "Address already in use" in r.stderr
        assert fresh.procs() == []
    finally:
        blocker.close()


def test_port_base_shifts_every_port():
    a, b = Roost(), Roost()
    try:
        a.start()
        b.start()
        for r in (a, b):
            assert greeting(r.port("smtp")).startswith("220 ")
            assert greeting(r.port("imap")).startswith("* OK")
            assert greeting(r.port("pop3")).startswith("+OK")
    finally:
        a.finish()
        b.finish()
