"""authd on its own socket: MECHS, PLAIN, LOGIN, SCRAM-SHA-256 and
SCRAM-SHA-1 (a SCRAM client written here with hashlib/hmac, and GNU
gsasl's), the plaintext rule, the failure throttle, malformed requests,
refused peers and the log lines.  The protocol is in authd(8)."""
import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

from roost import BIN, Roost, wait_for

USERS = {"alice@example.test": "s3cret horse",
         "bob@example.test": "b0b pass",
         "carol@example.test": "car0l",
         "dave@example.test": "d4ve",
         "erin@example.test": "3rin gsasl",
         "frank": "fr4nk local"}


@pytest.fixture(scope="module")
def inst():
    r = Roost()
    try:
        r.start()
        with open(r.conf, "a") as f:
            f.write("auth_failure_delay = 1s\nauth_ip_failure_limit = 5\n"
                    "auth_user_ip_failure_limit = 3\n"
                    "auth_throttle_exempt = 198.51.100.0/24\n")
        r.ctl("restart", "authd")
        for user, pw in USERS.items():
            p = subprocess.run(
                [os.path.join(BIN, "roostctl"), "-d", r.dir, "--port-base",
                 str(r.port_base), "user", "add", user, "--password-stdin"],
                input=pw + "\n", capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
        yield r
    finally:
        r.finish()


def b64(data):
    return base64.b64encode(data).decode() or "="


class Authd:
    def __init__(self, r):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(r.path("run", "auth"))
        self.f = self.s.makefile("rwb")

    def send(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()

    def line(self):
        return self.f.readline().decode().rstrip("\n")

    def cmd(self, line):
        self.send(line)
        return self.line()

    def close(self):
        self.f.close()
        self.s.close()


def plain(a, user, pw, ip="127.0.0.1", secured=1, service="imap"):
    return a.cmd("AUTH %s PLAIN %s %d %s" % (
        service, ip, secured, b64(b"\0" + user.encode() + b"\0" +
                                  pw.encode())))


def scram(a, mech, user, pw, ip="127.0.0.1", secured=1, tamper=False):
    """Our own SCRAM client (RFC 5802/7677); (final reply, ok) where ok
    says whether the server's signature verified."""
    h = hashlib.sha256 if mech == "SCRAM-SHA-256" else hashlib.sha1
    cnonce = base64.b64encode(os.urandom(18)).decode()
    bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"),
                          cnonce)
    r = a.cmd("AUTH imap %s %s %d %s" % (mech, ip, secured,
                                          b64(("n,," + bare).encode())))
    if not r.startswith("CONT "):
        return r, False
    first = base64.b64decode(r[5:]).decode()
    attrs = dict(x.split("=", 1) for x in first.split(","))
    assert attrs["r"].startswith(cnonce) and len(attrs["r"]) > len(cnonce)
    salted = hashlib.pbkdf2_hmac(h().name, pw.encode(),
                                 base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    ckey = hmac.new(salted, b"Client Key", h).digest()
    stored = h(ckey).digest()
    without = "c=biws,r=" + attrs["r"]
    am = ",".join([bare, first, without]).encode()
    proof = bytes(x ^ y for x, y in zip(ckey, hmac.new(stored, am,
                                                       h).digest()))
    if tamper:
        proof = bytes([proof[0] ^ 1]) + proof[1:]
    r = a.cmd(b64((without + ",p=" + b64(proof)).encode()))
    if not r.startswith("OK "):
        return r, False
    skey = hmac.new(salted, b"Server Key", h).digest()
    want = "v=" + b64(hmac.new(skey, am, h).digest())
    parts = r.split()
    return r, len(parts) == 3 and base64.b64decode(parts[2]).decode() == want


def log(r):
    return r.log("authd")


def logged(r, text):
    """Wait for text in authd's log (s6-log writes it a moment later)."""
    wait_for(lambda: text in log(r), 5)
    return True


def test_version(inst):
    """VERSION gives authd's version whatever the client's, any time;
    requests without it are of version 1.0."""
    a = Authd(inst)
    assert a.cmd("VERSION 1 0") == "VERSION 1 1"
    assert a.cmd("MECHS imap 1 192.0.2.1").startswith("MECHS PLAIN")
    assert a.cmd("VERSION 2 7") == "VERSION 1 1"
    a.close()


def test_mechs(inst):
    a = Authd(inst)
    assert a.cmd("MECHS imap 1 192.0.2.1") == \
        "MECHS PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-1"
    # no TLS, not loopback: no plaintext mechanism
    assert a.cmd("MECHS smtp 0 192.0.2.1") == "MECHS SCRAM-SHA-256 SCRAM-SHA-1"
    # the embedded layout's auth_plaintext = tls_or_loopback
    assert a.cmd("MECHS pop 0 127.0.0.1") == \
        "MECHS PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-1"
    assert a.cmd("MECHS pop 0 ::1").startswith("MECHS PLAIN LOGIN")
    a.close()


def test_plain(inst):
    a = Authd(inst)
    assert plain(a, "Alice@Example.TEST", USERS["alice@example.test"]) == \
        "OK alice@example.test"
    assert plain(a, "alice@example.test", "wrong", ip="192.0.2.101") == \
        "FAIL credentials 1000 authentication failed"
    # an authorization identity other than the user is refused
    r = a.cmd("AUTH imap PLAIN 192.0.2.101 1 " + b64(
        b"bob@example.test\0alice@example.test\0" +
        USERS["alice@example.test"].encode()))
    assert r.startswith("FAIL credentials ")
    # no initial response: PLAIN asks with an empty challenge
    assert a.cmd("AUTH smtp PLAIN 127.0.0.1 1 -") == "CONT ="
    assert a.cmd(b64(b"\0dave@example.test\0" +
                     USERS["dave@example.test"].encode())) == \
        "OK dave@example.test"
    a.close()
    assert logged(inst, "auth: ok user=alice@example.test mech=PLAIN "
                  "service=imap ip=127.0.0.1 tls=yes")
    text = log(inst)
    assert USERS["alice@example.test"] not in text
    assert "wrong" not in text


def test_local_user(inst):
    """A user of the local domains has no "@": libsasl2 must not add a
    realm of its own."""
    a = Authd(inst)
    assert plain(a, "Frank", USERS["frank"]) == "OK frank"
    r, verified = scram(a, "SCRAM-SHA-256", "frank", USERS["frank"])
    assert r.startswith("OK frank ") and verified, r
    a.close()


def test_password_change_seen_at_once(inst):
    """authd's workers keep passwd.db open; a new password (and its
    SCRAM secrets) counts from the next login."""
    a = Authd(inst)
    assert plain(a, "erin@example.test", USERS["erin@example.test"],
                 ip="192.0.2.60") == "OK erin@example.test"
    p = subprocess.run(
        [os.path.join(BIN, "roostctl"), "-d", inst.dir, "--port-base",
         str(inst.port_base), "user", "passwd", "erin@example.test",
         "--password-stdin"], input="n3w erin\n", capture_output=True,
        text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    try:
        assert plain(a, "erin@example.test", USERS["erin@example.test"],
                     ip="192.0.2.60").startswith("FAIL credentials")
        assert plain(a, "erin@example.test", "n3w erin",
                     ip="192.0.2.60") == "OK erin@example.test"
        r, verified = scram(a, "SCRAM-SHA-1", "erin@example.test",
                            "n3w erin", ip="192.0.2.60")
        assert r.startswith("OK ") and verified, r
    finally:
        p = subprocess.run(
            [os.path.join(BIN, "roostctl"), "-d", inst.dir, "--port-base",
             str(inst.port_base), "user", "passwd", "erin@example.test",
             "--password-stdin"], input=USERS["erin@example.test"] + "\n",
            capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    a.close()


def test_login(inst):
    a = Authd(inst)
    r = a.cmd("AUTH smtp LOGIN 127.0.0.1 1 -")
    assert r.startswith("CONT ")
    r = a.cmd(b64(b"bob@example.test"))
    assert r.startswith("CONT ")
    assert a.cmd(b64(USERS["bob@example.test"].encode())) == \
        "OK bob@example.test"
    r = a.cmd("AUTH smtp LOGIN 192.0.2.102 1 " + b64(b"bob@example.test"))
    assert r.startswith("CONT ")
    assert a.cmd(b64(b"nope")).startswith("FAIL credentials ")
    a.close()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram(inst, mech):
    a = Authd(inst)
    ip = "192.0.2.%d" % len(mech)
    r, verified = scram(a, mech, "alice@example.test",
                        USERS["alice@example.test"], ip=ip, secured=0)
    assert r.startswith("OK alice@example.test "), r
    assert verified, "server signature"
    r, _ = scram(a, mech, "alice@example.test", "wrong", ip=ip)
    assert r.startswith("FAIL credentials "), r
    r, _ = scram(a, mech, "alice@example.test", USERS["alice@example.test"],
                 ip=ip, tamper=True)
    assert r.startswith("FAIL credentials "), r
    a.close()
    assert logged(inst, "auth: ok user=alice@example.test mech=%s "
                  "service=imap ip=%s tls=no" % (mech, ip))


def test_scram_gsasl(inst):
    """GNU gsasl as the client: it checks our server signature itself."""
    if shutil.which("gsasl") is None:
        pytest.skip("gsasl is not installed (make deps-test)")
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        for pw, want in ((USERS["erin@example.test"], "OK"),
                         ("wrong", "FAIL")):
            p = subprocess.Popen(
                ["gsasl", "--client", "-m", mech, "-a", "erin@example.test",
                 "-p", pw, "--service=imap"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)

            def out():
                while True:
                    ln = p.stdout.readline()
                    assert ln, "gsasl ended early"
                    ln = ln.strip()
                    if re.fullmatch(r"[A-Za-z0-9+/]+=*", ln) and \
                            not ln.startswith("SCRAM"):
                        return ln
            # no channel binding data (the two prompts)
            p.stdin.write("\n\n")
            p.stdin.flush()
            a = Authd(inst)
            r = a.cmd("AUTH imap %s 192.0.2.%d 1 %s" % (
                mech, 40 + len(mech) + len(pw), out()))
            while r.startswith("CONT "):
                p.stdin.write(r[5:] + "\n")
                p.stdin.flush()
                r = a.cmd(out())
            a.close()
            assert r.split()[0] == want, r
            if want == "OK":
                # the server's final message, then "no more data"
                p.stdin.write(r.split()[2] + "\n\n")
            p.stdin.close()
            rest = p.stdout.read()
            rc = p.wait(timeout=10)
            if want == "OK":
                assert rc == 0 and "server trusted" in rest, rest
            else:
                assert rc != 0


def test_plaintext_refused(inst):
    a = Authd(inst)
    assert plain(a, "alice@example.test", USERS["alice@example.test"],
                 ip="192.0.2.9", secured=0) == \
        "FAIL mechanism 0 plaintext mechanism over an unprotected connection"
    assert a.cmd("AUTH imap LOGIN 192.0.2.9 0 -").startswith(
        "FAIL mechanism 0 ")
    assert plain(a, "alice@example.test", USERS["alice@example.test"],
                 ip="192.0.2.9", secured=1) == "OK alice@example.test"
    assert a.cmd("AUTH imap CRAM-MD5 192.0.2.9 1 -") == \
        "FAIL mechanism 0 mechanism not enabled"
    a.close()
    assert logged(inst, 'fail reason="mechanism refused" (plaintext '
                  'without TLS) user=- mech=PLAIN service=imap '
                  'ip=192.0.2.9 tls=no')


def test_unknown_user(inst):
    a = Authd(inst)
    assert plain(a, "ghost@example.test", "x", ip="192.0.2.30").startswith(
        "FAIL credentials ")
    r, _ = scram(a, "SCRAM-SHA-256", "ghost@example.test", "x",
                 ip="192.0.2.30")
    assert r.startswith("FAIL credentials "), r
    a.close()
    assert logged(inst, 'fail reason="unknown user" '
                  'user=ghost@example.test mech=PLAIN')
    assert logged(inst, 'fail reason="unknown user" '
                  'user=ghost@example.test mech=SCRAM-SHA-256')


def test_ip_throttle(inst):
    """auth_ip_failure_limit = 5: the address is then blocked even with
    the right password; the same user elsewhere is not."""
    a = Authd(inst)
    ip = "203.0.113.7"
    for user in ("alice@example.test", "bob@example.test",
                 "ghost@example.test", "bob@example.test", "-"):
        assert plain(a, user, "wrong", ip=ip).startswith("FAIL credentials")
    assert plain(a, "bob@example.test", USERS["bob@example.test"],
                 ip=ip).startswith("FAIL blocked 1000 ")
    r, _ = scram(a, "SCRAM-SHA-1", "bob@example.test",
                 USERS["bob@example.test"], ip=ip)
    assert r.startswith("FAIL blocked "), r
    assert plain(a, "bob@example.test", USERS["bob@example.test"],
                 ip="203.0.113.8") == "OK bob@example.test"
    a.close()
    assert logged(inst, 'fail reason="blocked ip" user=- mech=PLAIN '
                  'service=imap ip=203.0.113.7')


def test_exempt_address_is_not_blocked_but_its_users_are(inst):
    """auth_throttle_exempt (a webmail, a NAT): more failures than
    auth_ip_failure_limit from it, of other people, do not lock out the
    rest of its users; a user's own failures still block that user from
    it."""
    a = Authd(inst)
    ip = "198.51.100.25"
    for user in ("alice@example.test", "bob@example.test",
                 "ghost@example.test", "bob@example.test", "-",
                 "ghost2@example.test", "alice@example.test"):
        assert plain(a, user, "wrong", ip=ip).startswith("FAIL credentials")
    assert plain(a, "dave@example.test", USERS["dave@example.test"],
                 ip=ip) == "OK dave@example.test"
    assert plain(a, "bob@example.test", "wrong",
                 ip=ip).startswith("FAIL credentials")
    assert plain(a, "bob@example.test", USERS["bob@example.test"],
                 ip=ip).startswith("FAIL blocked ")
    a.close()


def test_user_ip_throttle(inst):
    """auth_user_ip_failure_limit = 3: carol is then refused from that
    address only; her failures lengthen the delay but never block her
    elsewhere; another user from that address still gets in."""
    a = Authd(inst)
    ip = "203.0.113.20"
    delays = []
    for _ in range(3):
        r = plain(a, "carol@example.test", "wrong", ip=ip)
        assert r.startswith("FAIL credentials "), r
        delays.append(int(r.split()[2]))
    assert delays[0] == 1000 and delays[-1] == 2000, delays
    assert plain(a, "carol@example.test", USERS["carol@example.test"],
                 ip=ip).startswith("FAIL blocked ")
    assert plain(a, "carol@example.test", USERS["carol@example.test"],
                 ip="203.0.113.21") == "OK carol@example.test"
    assert plain(a, "dave@example.test", USERS["dave@example.test"],
                 ip=ip) == "OK dave@example.test"
    # a success clears the pair: two failures, a success, two more
    # failures, and the right password still gets in
    ip = "203.0.113.30"
    for _ in range(2):
        for _ in range(2):
            assert plain(a, "dave@example.test", "no",
                         ip=ip).startswith("FAIL credentials")
        assert plain(a, "dave@example.test", USERS["dave@example.test"],
                     ip=ip) == "OK dave@example.test"
    a.close()


def test_cancel(inst):
    a = Authd(inst)
    assert a.cmd("AUTH imap LOGIN 127.0.0.1 1 -").startswith("CONT ")
    assert a.cmd("*") == "FAIL cancelled 0 cancelled by the client"
    # the connection goes on
    assert a.cmd("MECHS imap 1 127.0.0.1").startswith("MECHS ")
    a.close()


@pytest.mark.parametrize("line", [
    "HELLO", "", "MECHS", "MECHS imap 2 127.0.0.1", "MECHS imap 1 localhost",
    "MECHS IMAP 1 127.0.0.1", "AUTH imap PLAIN 127.0.0.1 1",
    "VERSION", "VERSION 1", "VERSION 1 0 0", "VERSION one 0",
    "VERSION 1 1234567890",
    "AUTH imap PLAIN 127.0.0.1 1 !!!!", "AUTH imap PLAIN 127.0.0.1  1 -",
    "AUTH imap PLAIN 127.0.0.1 1 - extra", "AUTH imap PLAIN 1.2.3.4.5 1 -",
    "AUTH imap PLAIN 127.0.0.1 1 -\r", "MECHS imap 1 127.0.0.1 ",
    "AUTH imap PLAIN 127.0.0.1 1 " + "A" * 20000,
])
def test_malformed(inst, line):
    a = Authd(inst)
    assert a.cmd(line) == "FAIL malformed 0 malformed request"
    assert a.f.readline() == b"", "closed after FAIL malformed"
    a.close()


def test_malformed_response(inst):
    a = Authd(inst)
    assert a.cmd("AUTH imap LOGIN 127.0.0.1 1 -").startswith("CONT ")
    assert a.cmd("not base64!") == "FAIL malformed 0 malformed request"
    a.close()
    # valid base64, but not a PLAIN message: a failed login, not a
    # protocol error
    a = Authd(inst)
    assert a.cmd("AUTH imap PLAIN 192.0.2.103 1 " + b64(b"junk")).startswith(
        "FAIL credentials ")
    a.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch uid")
def test_peer_refused(inst):
    """A local user who is none of root, authd, smtpd, imapd, popd."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\n"
            "print(s.makefile().readline().strip())\n")
    p = subprocess.run([sys.executable, "-c", code,
                        inst.path("run", "auth")], user=65534, group=65534,
                       capture_output=True, text=True, timeout=20)
    assert p.stdout.strip() == "FAIL tempfail 0 permission denied", \
        p.stdout + p.stderr
    assert logged(inst, "refused peer uid=65534")


def test_saslauthd_source(inst):
    """auth_source = saslauthd: plaintext mechanisms only; with no
    saslauthd running, a temporary failure."""
    with open(inst.conf, "a") as f:
        f.write("auth_source = saslauthd\nsaslauthd_path = %s\n" %
                inst.path("run", "no-saslauthd"))
    inst.ctl("restart", "authd")
    try:
        a = Authd(inst)
        assert a.cmd("MECHS imap 1 127.0.0.1") == "MECHS PLAIN LOGIN"
        assert plain(a, "root", "x").startswith("FAIL tempfail 0 ")
        assert a.cmd("AUTH imap SCRAM-SHA-256 127.0.0.1 1 -").startswith(
            "FAIL mechanism ")
        a.close()
    finally:
        with open(inst.conf) as f:
            text = f.read()
        with open(inst.conf, "w") as f:
            f.write(text.replace("auth_source = saslauthd\n", ""))
        inst.ctl("restart", "authd")


def test_authd_runs_as_its_own_account(inst):
    """authd's workers run as the group that may read passwd.db, not as
    the store's owner, and the socket is 0666."""
    from roost import children, uid_of
    pid = inst.status()["authd"]
    kids = children(pid)
    assert kids
    group = os.stat(inst.path("data", "passwd.db")).st_gid
    store = os.stat(inst.path("store")).st_uid
    for k in kids:
        with open("/proc/%d/status" % k) as f:
            gids = [line.split()[1:] for line in f
                    if line.startswith("Gid:")][0]
        assert int(gids[0]) == group
        assert uid_of(k)[0] != store or os.geteuid() != 0
    assert os.stat(inst.path("run", "auth")).st_mode & 0o777 == 0o666


def scram_first(a, user, mech="SCRAM-SHA-256", ip="198.51.100.40"):
    """The server-first message for user: {attr: value}; cancels."""
    bare = "n=%s,r=%s" % (user, base64.b64encode(os.urandom(18)).decode())
    r = a.cmd("AUTH imap %s %s 1 %s" % (mech, ip,
                                         b64(("n,," + bare).encode())))
    assert r.startswith("CONT "), r
    first = base64.b64decode(r[5:]).decode()
    assert a.cmd("*").startswith("FAIL cancelled"), first
    return dict(x.split("=", 1) for x in first.split(","))


def test_scram_does_not_tell_which_users_exist(inst):
    """An unknown user gets a salt and an iteration count like a real
    one (the same each time, from authd's key), and fails at the proof
    as a wrong password does, in the same time."""
    import statistics
    import time
    a = Authd(inst)
    real = scram_first(a, "alice@example.test")
    ghost = scram_first(a, "nobody-here@example.test")
    assert ghost["i"] == real["i"] and \
        len(base64.b64decode(ghost["s"])) == len(base64.b64decode(real["s"]))
    assert scram_first(a, "nobody-here@example.test")["s"] == ghost["s"]
    assert scram_first(a, "someone-else@example.test")["s"] != ghost["s"]
    for mech in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
        r, _ = scram(a, mech, "nobody-here@example.test", "x",
                     ip="198.51.100.41")
        assert r.startswith("FAIL credentials "), (mech, r)
    times = {"known": [], "unknown": []}
    for i in range(200):
        for kind, user in (("known", "bob@example.test"),
                           ("unknown", "nobody-here@example.test")):
            t = time.perf_counter()
            r, _ = scram(a, "SCRAM-SHA-256", user, "wrong guess",
                         ip="198.51.100.42")
            times[kind].append(time.perf_counter() - t)
            assert r.startswith("FAIL "), r
    a.close()
    known = statistics.median(times["known"])
    unknown = statistics.median(times["unknown"])
    assert abs(unknown - known) <= 0.1 * known, (known, unknown)
