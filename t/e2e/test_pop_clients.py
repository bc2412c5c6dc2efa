"""popd with real POP3 clients from Debian: fetchmail and getmail6
retrieving in keep mode (twice: the second run must find nothing new,
which needs stable UIDLs) and in delete mode, and curl's pop3://."""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from popclient import PASSWORD, PopServer, message

pytestmark = pytest.mark.skipif(
    not (shutil.which("fetchmail") and shutil.which("getmail")
         and shutil.which("curl")),
    reason="fetchmail, getmail6 and curl come with `make deps-test`")


@pytest.fixture(scope="module")
def srv():
    s = PopServer()
    try:
        s.start()
        for u in ("fm", "gm", "cu", "fmtls"):
            s.add_user(u)
        yield s
    finally:
        s.finish()


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="pop-client-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def pop_count(srv, user):
    import poplib
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.user(user)
    p.pass_(PASSWORD)
    n = p.stat()[0]
    p.quit()
    return n


def bodies(paths):
    out = []
    for p in sorted(paths):
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def fetchmail(srv, home, user, keep, tls=False):
    rc = os.path.join(home, "fetchmailrc")
    outdir = os.path.join(home, "out")
    os.makedirs(outdir, exist_ok=True)
    # keep mode asks the server for UIDLs and fetches only new ones;
    # delete mode fetches everything; tls: port 995, the certificate
    # checked against the one roostctl made
    with open(rc, "w") as f:
        f.write('set no bouncemail\n'
                'poll 127.0.0.1 service %d protocol pop3 uidl\n'
                '  user "%s" there with password "%s" is root here\n'
                '  %s %s\n'
                '  mda "/bin/sh -c \'cat > %s/msg.$$\'"\n'
                % (srv.r.port("pop3s") if tls else srv.port, user, PASSWORD,
                   "keep" if keep else "nokeep fetchall",
                   'ssl sslcertck sslcommonname localhost sslcertfile "%s"'
                   % srv.r.path("etc", "tls", "cert.pem") if tls else
                   'sslproto ""', outdir))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
    r = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog",
                        "-v", "--idfile", os.path.join(home, "ids")],
                       capture_output=True, text=True, env=env, timeout=60)
    # exit 0: mail retrieved; 1: no new mail
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r


def test_fetchmail_keep_then_delete(srv, home):
    msgs = [message(i) for i in range(1, 4)]
    srv.fill("fm", msgs)
    r = fetchmail(srv, home, "fm", keep=True)
    got = bodies(glob.glob(os.path.join(home, "out", "msg.*")))
    assert len(got) == 3, r.stdout + r.stderr
    for m in msgs:
        assert any(m.replace(b"\r\n", b"\n") in g for g in got)
    assert pop_count(srv, "fm") == 3
    # keep mode again: the UIDLs are the same, nothing is new
    r = fetchmail(srv, home, "fm", keep=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert len(glob.glob(os.path.join(home, "out", "msg.*"))) == 3
    # a new message only
    srv.fill("fm", [message(4)])
    r = fetchmail(srv, home, "fm", keep=True)
    assert len(glob.glob(os.path.join(home, "out", "msg.*"))) == 4
    # delete mode empties the mailbox
    shutil.rmtree(os.path.join(home, "out"))
    r = fetchmail(srv, home, "fm", keep=False)
    assert len(glob.glob(os.path.join(home, "out", "msg.*"))) == 4
    assert pop_count(srv, "fm") == 0


def test_fetchmail_over_tls(srv, home):
    msgs = [message(i) for i in range(1, 3)]
    srv.fill("fmtls", msgs)
    r = fetchmail(srv, home, "fmtls", keep=False, tls=True)
    got = bodies(glob.glob(os.path.join(home, "out", "msg.*")))
    assert len(got) == 2, r.stdout + r.stderr
    assert pop_count(srv, "fmtls") == 0
    assert "tls: TLSv1." in srv.r.log("pop3-login")


def getmail(srv, home, user, delete):
    out = os.path.join(home, "out")
    os.makedirs(out, exist_ok=True)
    rc = os.path.join(home, "getmailrc")
    # An external MDA rather than a Maildir: getmail refuses Maildir
    # delivery as root, and the tests may run as root.
    with open(rc, "w") as f:
        f.write("[retriever]\ntype = SimplePOP3Retriever\n"
                "server = 127.0.0.1\nport = %d\nusername = %s\n"
                "password = %s\n\n[destination]\ntype = MDA_external\n"
                "path = /bin/sh\narguments = (\"-c\", \"cat > %s/msg.$$\")\n"
                "allow_root_commands = true\n\n"
                "[options]\ndelete = %s\nread_all = false\nverbose = 2\n"
                % (srv.port, user, PASSWORD, out, str(delete).lower()))
    r = subprocess.run(["getmail", "--getmaildir", home, "--rcfile", rc],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r, glob.glob(os.path.join(out, "msg.*"))


def test_getmail_keep_then_delete(srv, home):
    msgs = [message(i) for i in range(1, 4)]
    srv.fill("gm", msgs)
    r, got = getmail(srv, home, "gm", delete=False)
    assert len(got) == 3, r.stdout
    for m in msgs:
        assert any(m.replace(b"\r\n", b"\n") in g for g in bodies(got))
    r, got = getmail(srv, home, "gm", delete=False)
    assert len(got) == 3, r.stdout          # nothing new the second time
    assert pop_count(srv, "gm") == 3
    srv.fill("gm", [message(4)])
    r, got = getmail(srv, home, "gm", delete=True)
    assert len(got) == 4, r.stdout
    assert pop_count(srv, "gm") == 0


def curl(srv, path="", *args, url="pop3://127.0.0.1:%d/"):
    port = srv.r.port("pop3s") if url.startswith("pop3s") else srv.port
    r = subprocess.run(["curl", "-sS", "--max-time", "30",
                        url % port + path, "-u", "cu:" + PASSWORD, *args],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_curl_list_retr_dele(srv):
    msgs = [message(i) for i in range(1, 3)]
    srv.fill("cu", msgs)
    listing = curl(srv)
    assert listing == b"1 %d\r\n2 %d\r\n" % (len(msgs[0]), len(msgs[1]))
    assert curl(srv, "2") == msgs[1]
    uidl = curl(srv, "", "-X", "UIDL").split(b"\r\n")
    assert len(uidl) == 3 and uidl[0].startswith(b"1 ")
    curl(srv, "1", "-X", "DELE", "-I")
    assert curl(srv) == b"1 %d\r\n" % len(msgs[1])


def test_curl_over_tls(srv):
    srv.fill("cu", [message(7)])
    plain = curl(srv)
    # STLS required, and implicit TLS on 995
    assert curl(srv, "", "--ssl-reqd", "-k") == plain
    assert curl(srv, "", "-k", url="pop3s://127.0.0.1:%d/") == plain
    # the certificate checks out against the one roostctl made
    assert curl(srv, "", "--cacert", srv.r.path("etc", "tls", "cert.pem"),
                url="pop3s://127.0.0.1:%d/") == plain
