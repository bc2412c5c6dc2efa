"""pipe(8): |command and /file deliveries, driven over its socket with
the protocol of lib/mail/pipeproto.h, as qmgr drives it.  pipe runs a
target only when its own expansion of the recipient names it: the tests
name theirs in an :include: file of the alias "list" (root's file, so
they run as default_privs, nobody)."""
import os
import pathlib
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from roost import BIN, Roost, open_bin, uid_of, wait_for

NOBODY = pwd.getpwnam("nobody")
MSG = b"Subject: pipe test\n\nFrom here\n>From there\nbody\n"


def newaliases(conf):
    subprocess.run([os.path.join(BIN, "newaliases")],
                   check=True, capture_output=True, timeout=60,
                   env=dict(os.environ, ROOST_CONF=conf))


def include_path(r):
    return r.path("etc", "list.inc")


def name_target(r, kind, target):
    """Make target the one member of the alias list (via its include)."""
    with open(include_path(r), "w") as f:
        f.write('"|%s"\n' % target if kind == "command" else target + "\n")


@pytest.fixture(scope="module")
def inst():
    """An instance whose commands time out after 2 seconds, with the
    alias list: :include:etc/list.inc."""
    if os.geteuid() != 0:
        pytest.skip("pipe's account switching needs root")
    r = Roost()
    try:
        r.start()
        with open(r.conf, "a") as f:
            f.write("command_timeout = 2s\n")
        with open(r.path("etc", "aliases"), "a") as f:
            f.write("list: :include:%s\n" % include_path(r))
            f.write("roostlist: :include:%s\n" % r.path("etc", "roost.inc"))
        newaliases(r.conf)
        r.ctl("restart", "pipe")
        yield r
    finally:
        r.finish()


@pytest.fixture
def box(inst):
    """A directory every account may write (as /tmp is), inside the
    instance (whose directory others may traverse)."""
    d = pathlib.Path(tempfile.mkdtemp(dir=inst.dir, prefix="box-"))
    os.chmod(d, 0o1777)
    return d


def esc(v):
    if isinstance(v, str):
        v = v.encode()
    out = b""
    for c in v:
        out += b"%%%02X" % c if c in b"%\r\n\0" else bytes([c])
    return out


def read_attrs(f):
    attrs = {}
    while True:
        line = f.readline()
        if line == b"":
            return attrs or None
        if line == b"\n":
            return attrs
        k, _, v = line.rstrip(b"\n").partition(b"=")
        attrs[k.decode()] = v.decode(errors="replace")


class Pipe:
    def __init__(self, r):
        self.r = r
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(r.path("run", "pipe"))
        self.f = self.s.makefile("rwb")
        assert read_attrs(self.f) == {"proto": "pipe", "version": "1.1"}

    def send(self, kind, target, body=MSG, uid=NOBODY.pw_uid,
             gid=NOBODY.pw_gid, sender="alice@example.test",
             recipient="list@localhost", extra=(), named=True):
        """One request; with named, the alias list names target first."""
        if named:
            name_target(self.r, kind, target)
        attrs = [("kind", kind), ("target", target), ("uid", str(uid)),
                 ("gid", str(gid)), ("sender", sender),
                 ("recipient", recipient), ("alias", "list"),
                 ("queue_id", "TESTQID"), ("size", str(len(body))),
                 *extra]
        for k, v in attrs:
            self.f.write(k.encode() + b"=" + esc(v) + b"\n")
        self.f.write(b"\n" + body)
        self.f.flush()
        return read_attrs(self.f)

    def close(self):
        self.f.close()
        self.s.close()


def deliver(r, *args, **kw):
    p = Pipe(r)
    try:
        return p.send(*args, **kw)
    finally:
        p.close()


def test_command_ok_gets_headers_message_and_clean_env(inst, box):
    res = deliver(inst, "command",
                  "cat > %s/in; env | sort > %s/env" % (box, box))
    assert res == {"status": "ok", "dsn": "2.0.0",
                   "text": "delivered to command"}
    data = (box / "in").read_bytes()
    assert data == (b"Delivered-To: list@localhost\n"
                    b"Return-Path: <alice@example.test>\n" + MSG)
    env = dict(l.split("=", 1) for l in
               (box / "env").read_text().splitlines())
    assert env["SENDER"] == "alice@example.test"
    assert env["RECIPIENT"] == "list@localhost"
    assert env["USER"] == env["LOGNAME"] == "nobody"
    assert env["HOME"] == NOBODY.pw_dir or env["HOME"] == "/"
    assert set(env) - {"PWD", "SHLVL", "_", "OLDPWD"} == \
        {"SENDER", "RECIPIENT", "HOME", "USER", "LOGNAME", "PATH", "SHELL"}


def test_command_runs_as_the_account_the_alias_gives(inst, box):
    """The request's uid and gid are not used: root's include file gives
    default_privs."""
    res = deliver(inst, "command",
                  "id -u > %s/uid; id -g > %s/gid; id -G > %s/groups; "
                  "grep NoNewPrivs /proc/self/status > %s/nnp"
                  % (box, box, box, box), uid=1234, gid=1234)
    assert res["status"] == "ok"
    assert (box / "uid").read_text().strip() == str(NOBODY.pw_uid)
    assert (box / "gid").read_text().strip() == str(NOBODY.pw_gid)
    assert (box / "groups").read_text().split() == [str(NOBODY.pw_gid)]
    assert (box / "nnp").read_text().split()[1] == "1"
    assert os.stat(box / "uid").st_uid == NOBODY.pw_uid


def test_exit_codes_map_like_sysexits(inst, box):
    p = Pipe(inst)
    try:   # one connection, several requests
        res = p.send("command", "cat >/dev/null; exit 75")
        assert (res["status"], res["dsn"]) == ("defer", "4.3.0")
        res = p.send("command", "echo 'no such list here'; exit 1")
        assert (res["status"], res["dsn"]) == ("bounce", "5.3.0")
        assert "no such list here" in res["text"]
        res = p.send("command", "echo unknown >&2; exit 67")
        assert (res["status"], res["dsn"]) == ("bounce", "5.1.1")
        assert res["text"].endswith("unknown")
        res = p.send("command", "kill -TERM $$")
        assert (res["status"], res["dsn"]) == ("defer", "4.3.0")
        assert "signal 15" in res["text"]
        # a command that ignores its input entirely is still fine
        res = p.send("command", "exit 0", body=b"x" * 300000 + b"\n")
        assert res["status"] == "ok"
    finally:
        p.close()


def test_timeout_kills_the_whole_group(inst, box):
    t0 = time.monotonic()
    res = deliver(inst, "command",
                  "sleep 60 & echo $! > %s/bg; sleep 60" % box)
    took = time.monotonic() - t0
    assert (res["status"], res["dsn"]) == ("defer", "4.3.0")
    assert "timed out" in res["text"]
    assert 1.5 < took < 10
    bg = int((box / "bg").read_text())
    wait_for(lambda: not os.path.exists("/proc/%d" % bg) or
             open("/proc/%d/stat" % bg).read().split(")")[1].split()[0]
             in "ZX", 5)


def test_a_target_the_recipient_does_not_name_is_refused(inst, box):
    """What a compromised qmgr (or cleanup, its account) could ask: a
    command no alias names, or one of another recipient's."""
    name_target(inst, "command", "true")
    for kind, target, rcpt in (
            ("command", "touch %s/ran" % box, "list@localhost"),
            ("file", str(box / "ran"), "list@localhost"),
            ("command", "true", "nosuchalias@localhost")):
        res = deliver(inst, kind, target, named=False, recipient=rcpt,
                      uid=0, gid=0)
        assert (res["status"], res["dsn"]) == ("defer", "4.7.0"), res
        assert "does not expand to this" in res["text"], res
    assert not (box / "ran").exists()
    assert wait_for(lambda: "refusing touch" in inst.log("pipe"), 10)


def test_uid_0_asked_is_ignored(inst, box):
    res = deliver(inst, "command", "id -u > %s/uid" % box, uid=0, gid=0)
    assert res["status"] == "ok", res
    assert (box / "uid").read_text().strip() == str(NOBODY.pw_uid)


def test_an_include_of_roosts_account_is_refused(inst, box):
    """A command may never run as the queue's or the store's owner."""
    roost = pwd.getpwnam("roost-queue")   # cleanup_user and qmgr_user
    inc = pathlib.Path(inst.path("etc", "roost.inc"))
    inc.write_text('"|touch %s/ran"\n' % box)
    os.chown(inc, roost.pw_uid, roost.pw_gid)
    os.chmod(inc, 0o644)
    res = deliver(inst, "command", "touch %s/ran" % box, named=False,
                  recipient="roostlist@localhost")
    assert (res["status"], res["dsn"]) == ("defer", "4.7.0"), res
    assert "an account of roost's" in res["text"], res
    assert not (box / "ran").exists()


def test_file_append_twice_is_two_mbox_messages(inst, box):
    mbox = box / "mbox"
    for i in range(2):
        res = deliver(inst, "file", str(mbox), sender="" if i else "a@b")
        assert res == {"status": "ok", "dsn": "2.0.0",
                       "text": "delivered to file"}
    st = os.stat(mbox)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == NOBODY.pw_uid
    data = mbox.read_bytes()
    msgs = data.split(b"\n\nFrom ")
    assert len(msgs) == 2
    assert data.startswith(b"From a@b ")
    assert msgs[1].startswith(b"MAILER-DAEMON ")
    assert data.count(b"\n>From here\n") == 2
    assert data.count(b"\n>>From there\n") == 0   # mboxo: only "From "
    assert data.count(b"\n>From there\n") == 2
    assert data.endswith(b"body\n\n")
    assert data.count(b"\nFrom ") == 1            # the second separator


def test_file_refuses_links_and_specials(inst, box):
    secret = box / "secret"
    secret.write_text("keep\n")
    os.chown(secret, NOBODY.pw_uid, NOBODY.pw_gid)
    os.symlink(secret, box / "link")
    res = deliver(inst, "file", str(box / "link"))
    assert (res["status"], res["dsn"]) == ("bounce", "5.2.0")
    assert secret.read_text() == "keep\n"
    os.mkfifo(box / "fifo")
    os.chown(box / "fifo", NOBODY.pw_uid, NOBODY.pw_gid)
    res = deliver(inst, "file", str(box / "fifo"))
    # (without a reader the open itself fails: ENXIO)
    assert (res["status"], res["dsn"]) == ("bounce", "5.2.0")
    assert "fifo" in res["text"]
    # a file the account may not write: root's, mode 0644
    theirs = box / "roots"
    theirs.write_text("")
    os.chmod(theirs, 0o644)
    res = deliver(inst, "file", str(theirs))
    assert (res["status"], res["dsn"]) == ("bounce", "5.2.0")
    assert theirs.read_text() == ""


def test_malformed_request_is_deferred_and_closed(inst):
    for req in (b"kind=command\nno equals sign\n\n",
                b"kind=command\ntarget=true\nuid=65534\ngid=65534\n"
                b"sender=\nrecipient=x\nsize=999999999999\n\n",
                b"kind=command\ntarget=true\nuid=65534\ngid=65534\n"
                b"sender=\nrecipient=x\nsize=1\nrecipient=y\n\nx"):
        p = Pipe(inst)
        try:
            p.f.write(req)
            p.f.flush()
            assert read_attrs(p.f)["status"] == "defer"
            assert p.f.read() == b""        # and the connection is closed
        finally:
            p.close()
    wait_for(lambda: "malformed request" in inst.log("pipe"), 10)


def test_unknown_attribute_is_a_later_minor_version(inst):
    """An attribute pipe does not know is ignored, not refused: a later
    minor version of the protocol may add some."""
    name_target(inst, "command", "true")
    p = Pipe(inst)
    try:
        p.f.write(b"kind=command\ntarget=true\nuid=65534\ngid=65534\n"
                  b"sender=\nrecipient=list@localhost\nsize=1\n"
                  b"extra=1\n\nx")
        p.f.flush()
        assert read_attrs(p.f)["status"] == "ok"
    finally:
        p.close()


CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
# the refusal comes right after the greeting, before any request
data = b""
while True:
    try:
        c = s.recv(4096)
    except ConnectionResetError:
        break
    if not c:
        break
    data += c
sys.stdout.write(data.decode())
"""


def test_other_callers_are_refused(inst):
    def drop():
        os.setgroups([])
        os.setgid(NOBODY.pw_gid)
        os.setuid(NOBODY.pw_uid)
    out = subprocess.run([sys.executable, "-c", CLIENT,
                          inst.path("run", "pipe")], preexec_fn=drop,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "status=defer" in out.stdout
    assert "text=not allowed" in out.stdout
    wait_for(lambda: "refused: peer uid=%d" % NOBODY.pw_uid in
             inst.log("pipe"), 10)


def test_socket_is_open_to_all_and_pipe_stays_root(inst):
    st = os.stat(inst.path("run", "pipe"))
    assert stat.S_IMODE(st.st_mode) == 0o666
    assert st.st_uid == 0
    # the master (and its workers) keep root; deliveries never do
    master = inst.status()["pipe"]
    assert uid_of(master)[0] == 0


def test_unprivileged_pipe_runs_everything_as_itself():
    """pipe started by a normal user (the embedded layout without
    root): every delivery runs as pipe itself."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="roost-e2e-np-"))
    os.chmod(d, 0o777)
    conf = d / "roost.conf"
    conf.write_text("base_dir = %s\nrun_dir = %s\npipe_listen = unix:pipe\n"
                    "qmgr_user = nobody\npipe_process_min = 1\n"
                    "data_dir = %s\nalias_maps = %s/aliases\n"
                    "virtual_alias_maps =\n" % (d, d, d, d))
    (d / "aliases").write_text("list: :include:%s/list.inc\n" % d)
    newaliases(str(conf))

    def drop():
        os.setgroups([])
        os.setgid(NOBODY.pw_gid)
        os.setuid(NOBODY.pw_uid)
    p = subprocess.Popen([os.path.join(open_bin("pipe"), "pipe"), "-c",
                          str(conf)],
                         preexec_fn=drop, stdout=subprocess.DEVNULL,
                         stderr=open(d / "log", "wb"))
    try:
        wait_for(lambda: b"ready" in (d / "log").read_bytes(), 10)

        class Inst:
            def path(self, *parts):
                return str(d / parts[-1])
        res = deliver(Inst(), "command", "id -u > %s/uid" % d, uid=1234,
                      gid=1234)
        assert res["status"] == "ok", res
        assert (d / "uid").read_text().strip() == str(NOBODY.pw_uid)
        # a target the recipient does not name is refused here too
        res = deliver(Inst(), "command", "touch %s/ran" % d, named=False)
        assert (res["status"], res["dsn"]) == ("defer", "4.7.0"), res
        assert not (d / "ran").exists()
    finally:
        p.terminate()
        p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)
