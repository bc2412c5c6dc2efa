"""The sendmail wrapper (also mailq and newaliases) against a running
instance, called the way cron, mail(1) and scripts call it: no TTY, a
minimal environment, the message on a pipe.
"""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from roost import BIN, open_bin, wait_for

EX_USAGE, EX_DATAERR, EX_NOPERM, EX_TEMPFAIL = 64, 65, 77, 75
STATES = ("incoming", "active", "deferred", "hold")
MSG = (b"From: cron@localhost\nTo: to@localhost\nCc: cc@localhost\n"
       b"Bcc: hidden@localhost\nSubject: cron job\n\nbody line\n")


def sendmail(*args, stdin=b"", name="sendmail", user=None, env=None,
             timeout=30):
    """Run bin/<name> in a cron-like environment: env -i with a minimal
    PATH, stdin a pipe, no controlling terminal (new session)."""
    cmd = ["env", "-i", "PATH=/usr/bin:/bin"]
    for k, v in (env or {}).items():
        cmd.append("%s=%s" % (k, v))
    cmd += [os.path.join(open_bin(name) if user else BIN, name), *args]
    if user:
        cmd = [shutil.which("runuser"), "-u", user, "--"] + cmd
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=timeout, start_new_session=True)


def entries(r):
    """{queue ID: path} over the queue states mailq lists."""
    found = {}
    for state in STATES:
        d = r.path("queue", state)
        if os.path.isdir(d):
            for name in os.listdir(d):
                found[name] = os.path.join(d, name)
    return found


pytestmark = pytest.mark.usefixtures("held_queue")


def queued(r, *args, stdin=MSG, **kw):
    """Submit; return (result, {new ID: path})."""
    before = entries(r)
    p = sendmail("-C", r.conf, *args, stdin=stdin, **kw)
    new = {k: v for k, v in entries(r).items() if k not in before}
    return p, new


def content(path):
    with open(path, "rb") as f:
        return f.read()


def test_cron_like_t_queues_message(roost):
    p, new = queued(roost, "-t")
    assert p.returncode == 0, p.stderr
    assert p.stderr == b""
    assert len(new) == 1
    data = content(list(new.values())[0])
    assert b"to@localhost" in data and b"hidden@localhost" in data
    assert b"Bcc:" not in data          # cleanup removes Bcc for -t
    assert b"body line" in data


def test_recipients_as_arguments_and_sender(roost):
    p, new = queued(roost, "-f", "<sender@localhost>", "-F", "Cron Daemon",
                    "--", "a@localhost", "b@localhost, C <c@localhost>",
                    stdin=b"Subject: args\n\nhello\n")
    assert p.returncode == 0, p.stderr
    assert len(new) == 1
    data = content(list(new.values())[0])
    for a in (b"a@localhost", b"b@localhost", b"c@localhost",
              b"sender@localhost"):
        assert a in data


def test_lone_dot_ends_input_unless_i(roost):
    msg = b"Subject: dots\n\nfirst\r\n.\r\nafter the dot\n"
    p, new = queued(roost, "dot@localhost", stdin=msg)
    assert p.returncode == 0, p.stderr
    data = content(list(new.values())[0])
    assert b"first\n" in data and b"after the dot" not in data
    assert b"\r" not in data.split(b"first", 1)[1][:2]
    for opt in ("-i", "-oi"):
        p, new = queued(roost, opt, "dot@localhost", stdin=msg)
        assert p.returncode == 0, p.stderr
        data = content(list(new.values())[0])
        assert b"first\n.\nafter the dot\n" in data


def conf_with(r, directory, **keys):
    """A copy of r's roost.conf in directory with keys replaced."""
    lines = [l for l in open(r.conf).read().splitlines()
             if l.split("=")[0].strip() not in keys]
    lines += ["%s = %s" % kv for kv in keys.items()]
    path = os.path.join(str(directory), "roost.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    return path


def test_message_over_held_size_is_streamed(roost, tmp_path):
    """sendmail holds at most message_size_limit bytes before calling
    cleanup; past that it streams (cleanup's own limit is 25 MB here)."""
    conf = conf_with(roost, tmp_path, message_size_limit="1k")
    body = b"".join(b"line %06d\n" % i for i in range(20000))
    before = entries(roost)
    p = sendmail("-C", conf, "big@localhost", stdin=b"Subject: big\n\n" + body)
    assert p.returncode == 0, p.stderr
    new = [v for k, v in entries(roost).items() if k not in before]
    assert len(new) == 1
    data = content(new[0])
    assert b"line 000000\n" in data and b"line 019999\n" in data


def send_over_1k_limit(fresh, lines):
    """sendmail, on an instance whose message_size_limit is 1k, with a
    message of lines lines of 71 octets: its result."""
    fresh.start()
    fresh.stop()
    with open(fresh.conf, "a") as f:
        f.write("message_size_limit = 1k\n")
    fresh.start()
    return sendmail("-C", fresh.conf, "big@localhost",
                    stdin=b"Subject: big\n\n" + (b"x" * 70 + b"\n") * lines)


def test_message_over_limit_is_dataerr(fresh):
    p = send_over_1k_limit(fresh, 200)
    assert p.returncode == EX_DATAERR, p.stderr
    assert p.stderr.startswith(b"sendmail: fatal: message not queued: ")
    assert entries(fresh) == {}


def test_message_far_over_limit_is_dataerr_without_reading_it_all(fresh):
    """cleanup stops reading a message 1 MiB past message_size_limit: it
    answers 5.3.4 and hangs up, and sendmail reports that answer."""
    p = send_over_1k_limit(fresh, 40000)
    assert p.returncode == EX_DATAERR, p.stderr
    assert b"5.3.4" in p.stderr, p.stderr
    assert entries(fresh) == {}
    assert wait_for(lambda: "hanging up" in fresh.log("cleanup"), 10)


def test_unknown_option_warns_but_works(roost):
    p, new = queued(roost, "-Y", "-oQ/tmp", "-odi", "-oem", "w@localhost")
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode()
    assert "sendmail: warning: ignoring option -Y" in err
    assert "sendmail: warning: ignoring option -oQ/tmp" in err
    assert "-odi" not in err and "-oem" not in err
    assert len(new) == 1


def test_no_recipients_is_usage_error(roost):
    p = sendmail("-C", roost.conf, stdin=b"Subject: x\n\nbody\n")
    assert p.returncode == EX_USAGE
    assert b"sendmail: fatal: no recipients" in p.stderr


def test_missing_option_value_is_usage_error(roost):
    p = sendmail("-C", roost.conf, "-f")
    assert p.returncode == EX_USAGE
    assert b"sendmail: fatal: option -f requires a value" in p.stderr


def test_cleanup_unreachable_is_tempfail(roost, tmp_path):
    conf = tmp_path / "roost.conf"
    lines = [l for l in open(roost.conf).read().splitlines()
             if not l.startswith("cleanup_listen")]
    lines.append("cleanup_listen = unix:%s" % (tmp_path / "no-such-socket"))
    conf.write_text("\n".join(lines) + "\n")
    before = entries(roost)
    p = sendmail("-C", str(conf), "-t", stdin=MSG)
    assert p.returncode == EX_TEMPFAIL
    assert re.search(rb"^sendmail: fatal: message not queued: .*no-such-socket",
                     p.stderr, re.M), p.stderr
    assert entries(roost) == before


def test_roost_conf_from_environment(roost):
    p = sendmail("-t", stdin=MSG, env={"ROOST_CONF": "/nonexistent.conf"})
    assert p.returncode == 78
    assert b"sendmail: fatal: /nonexistent.conf" in p.stderr


def test_mailq_lists_message(roost):
    # Remote recipients wait in the queue for the outbound client, so
    # the entry is still there when mailq looks.
    p, new = queued(roost, "-f", "lister@localhost", "q1@remote.example",
                    "q2@remote.example")
    assert p.returncode == 0, p.stderr
    qid = list(new)[0]
    for args, name in ((["-bp"], "sendmail"), ([], "mailq")):
        q = sendmail("-C", roost.conf, *args, name=name)
        assert q.returncode == 0, q.stderr
        out = q.stdout.decode()
        assert out.startswith("-Queue ID- ")
        block = [b for b in out.split("\n\n") if qid in b]
        assert len(block) == 1, out
        lines = [l for l in block[0].strip("\n").splitlines()
                 if not l.startswith("-Queue ID-")]
        assert re.match(r"%s[ *!]\s+\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d"
                        r"\s+lister@localhost$" % qid, lines[0]), lines[0]
        assert [l.strip() for l in lines[1:]
                if not l.strip().startswith("(")] == ["q1@remote.example",
                                                      "q2@remote.example"]
        assert re.search(r"^-- \d+ Kbytes in \d+ Requests?\.$", out, re.M)


def test_mailq_empty_queue(tmp_path, roost):
    conf = tmp_path / "roost.conf"
    lines = [l for l in open(roost.conf).read().splitlines()
             if not l.startswith("queue_dir")]
    (tmp_path / "q").mkdir()
    lines.append("queue_dir = %s" % (tmp_path / "q"))
    conf.write_text("\n".join(lines) + "\n")
    q = sendmail("-C", str(conf), name="mailq")
    assert q.returncode == 0, q.stderr
    assert q.stdout == b"Mail queue is empty\n"


def rec(kind, payload=b""):
    """One queue-file record (lib/mail/rec.h): type, LEB128 length, payload."""
    n, length = len(payload), b""
    while True:
        byte, n = n & 0x7f, n >> 7
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            return kind + length + payload


def test_mailq_format_of_written_entry(roost):
    """mailq's layout, from entries written here in the documented
    format, so it is checked whatever state cleanup is in."""
    top = tempfile.mkdtemp(prefix="roost-mailq-")
    try:
        for state in STATES:
            os.mkdir(os.path.join(top, state))
        body = b"Subject: x\n\n" + b"y" * 3000 + b"\n"
        for qid, state, sender in (("0000000001abcdef", "deferred", b""),
                                   ("0000000000abcdef", "hold",
                                    b"s@example.org")):
            with open(os.path.join(top, state, qid), "wb") as f:
                f.write(rec(b"V", b"roost-queue 1") +
                        rec(b"T", b"1764064800000000") +
                        rec(b"S", sender) + rec(b"P") +
                        rec(b"R", b"r1@example.org NOTIFY=NEVER") +
                        rec(b"R", b"r2@example.org") + rec(b"M") +
                        rec(b"D", body) + rec(b"E"))
        with open(os.path.join(top, "incoming", "notanid"), "w") as f:
            f.write("ignored: not a queue ID")
        conf = os.path.join(top, "roost.conf")
        lines = [l for l in open(roost.conf).read().splitlines()
                 if not l.startswith("queue_dir")]
        lines.append("queue_dir = %s" % top)
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = sendmail("-C", conf, name="mailq", env={"TZ": "UTC"})
        assert p.returncode == 0, p.stderr
        ind = " " * 49
        assert p.stdout.decode() == (
            "-Queue ID-        --Size-- ----Arrival Time---- "
            "-Sender/Recipient-------\n"
            "0000000000abcdef!     3013 Tue Nov 25 10:00:00   s@example.org\n"
            + ind + "r1@example.org\n" + ind + "r2@example.org\n\n"
            "0000000001abcdef      3013 Tue Nov 25 10:00:00   MAILER-DAEMON\n"
            + ind + "r1@example.org\n" + ind + "r2@example.org\n\n"
            "-- 6 Kbytes in 2 Requests.\n")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_newaliases_exits_0(roost):
    # The alias file itself is tested in test_users.py.
    for args, name in (([], "newaliases"), (["-bi"], "sendmail")):
        p = sendmail("-C", roost.conf, *args, name=name)
        assert p.returncode == 0, p.stderr
        assert b"newaliases: 1 alias in " in p.stdout


def test_flush_triggers_qmgr(roost):
    roost.service("qmgr", True)
    try:
        p = sendmail("-C", roost.conf, "-q")
        assert p.returncode == 0, p.stderr
        wait_for(lambda: "trigger incoming" in roost.log("qmgr"), 10)
    finally:
        roost.service("qmgr", False)


def test_flush_without_qmgr_is_unavailable(roost, tmp_path):
    conf = conf_with(roost, tmp_path,
                     qmgr_listen="unix:%s" % (tmp_path / "no-qmgr"))
    p = sendmail("-C", conf, "-q")
    assert p.returncode == 69
    assert b"sendmail: fatal: cannot reach the queue manager" in p.stderr


def test_verbose_reports_queue_id(roost):
    p, new = queued(roost, "-v", "v@localhost")
    assert p.returncode == 0, p.stderr
    assert ("sendmail: debug: queued as %s" % list(new)[0]).encode() \
        in p.stderr


def test_bs_speaks_smtp(roost):
    p = sendmail("-C", roost.conf, "-bs", stdin=b"QUIT\r\n")
    assert p.stdout.startswith(b"220"), p.stderr[-200:]
    assert b"\n221" in p.stdout


def unprivileged():
    """The user to run as for the unprivileged tests (None: we already
    are unprivileged)."""
    if os.geteuid() != 0:
        return None
    assert shutil.which("runuser"), "runuser (util-linux) is missing"
    return "nobody"


def open_for_others(r):
    """Let other users reach the instance's config and sockets (the
    embedded layout lives in a private temporary directory)."""
    for d in (r.dir, r.path("etc"), r.path("run")):
        os.chmod(d, os.stat(d).st_mode | 0o005)
    who = unprivileged()
    if who is not None:
        p = subprocess.run(["runuser", "-u", who, "--", "cat", r.conf],
                           capture_output=True, timeout=30)
        assert p.returncode == 0, "%s cannot read %s: %r" % (
            who, r.conf, p.stderr)


def test_unprivileged_user_submits(roost):
    open_for_others(roost)
    p, new = queued(roost, "-t", user=unprivileged())
    assert p.returncode == 0, p.stderr
    assert len(new) == 1


def test_mailq_without_queue_access_is_noperm(roost):
    user = unprivileged()
    open_for_others(roost)
    top = tempfile.mkdtemp(prefix="roost-mailq-")
    try:
        os.chmod(top, 0o755)
        q = os.path.join(top, "q")
        os.mkdir(q, 0o700)
        conf = os.path.join(top, "roost.conf")
        lines = [l for l in open(roost.conf).read().splitlines()
                 if not l.startswith("queue_dir")]
        lines.append("queue_dir = %s" % q)
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(conf, 0o644)
        if not user:
            os.chmod(q, 0)
        p = sendmail("-C", conf, name="mailq", user=user)
        assert p.returncode == EX_NOPERM, p.stderr
        assert b"mailq: fatal: cannot read the queue" in p.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)
