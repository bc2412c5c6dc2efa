"""TLS for smtpd and imapd: STARTTLS (RFC 3207, RFC 2595) and implicit
TLS (RFC 8314) with real clients (Python ssl/smtplib/imaplib, swaks,
curl, openssl s_client); the self-signed certificate of the embedded
layout and its fingerprint; the protocol range; SNI; session resumption
across workers; the STARTTLS command-injection class (CVE-2011-0411);
and a new certificate taking effect with roostctl restart."""
import contextlib
import hashlib
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from roost import BIN, Roost, wait_for

USER = "tlsuser"
PASSWORD = "tls secret"


# -- helpers -----------------------------------------------------------------
def client_ctx(maxv=None, minv=None):
    """A client context that takes the self-signed certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maxv is not None or minv is not None:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = minv or ssl.TLSVersion.MINIMUM_SUPPORTED
        if maxv is not None:
            ctx.maximum_version = maxv
    return ctx


def fingerprint(der):
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def file_fingerprint(path):
    with open(path) as f:
        return fingerprint(ssl.PEM_cert_to_DER_cert(f.read()))


def tls_connect(port, ctx=None, sni=None, session=None):
    """A TLS socket on port (implicit TLS)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return (ctx or client_ctx()).wrap_socket(raw, server_hostname=sni,
                                             session=session)


def served_cert(port, sni=None):
    with tls_connect(port, sni=sni) as s:
        der = s.getpeercert(binary_form=True)
        version = s.version()
    return fingerprint(der), version


def readline(s):
    data = b""
    while not data.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        data += c
    return data.decode(errors="replace")


def smtp_reply(s):
    """One whole SMTP reply (all its lines) from socket s."""
    lines = []
    while True:
        line = readline(s)
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return "".join(lines)


def make_cert(directory, cn, cert, key):
    """A self-signed certificate made with openssl(1) (tests only)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", os.path.join(directory, key),
                    "-out", os.path.join(directory, cert),
                    "-subj", "/CN=" + cn, "-days", "2",
                    "-addext", "subjectAltName=DNS:" + cn],
                   check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def configured(r, text, *services):
    """roost.conf with text added and services restarted; restored
    (and restarted again) afterwards."""
    with open(r.conf) as f:
        saved = f.read()
    keys = {l.split("=")[0].strip() for l in text.splitlines()}
    kept = [l for l in saved.splitlines()
            if l.split("=")[0].strip() not in keys]
    with open(r.conf, "w") as f:
        f.write("\n".join(kept) + "\n" + text + "\n")
    try:
        for s in services:
            r.ctl("restart", s)
        yield
    finally:
        with open(r.conf, "w") as f:
            f.write(saved)
        for s in services:
            r.ctl("restart", s)


def message(marker):
    return ("From: <s@client.example>\r\nTo: <%s@localhost>\r\n"
            "Subject: tls %s\r\n\r\nbody %s\r\n" % (USER, marker, marker))


def imap_find(r, marker, timeout=20):
    """The raw message whose subject carries marker, read over IMAPS."""
    found = []

    def look():
        with imaplib.IMAP4_SSL("127.0.0.1", r.port("imaps"),
                               ssl_context=client_ctx()) as c:
            c.login(USER, PASSWORD)
            c.select("INBOX", readonly=True)
            typ, data = c.search(None, "SUBJECT", marker)
            nums = data[0].split()
            if nums:
                typ, data = c.fetch(nums[-1], "(BODY.PEEK[])")
                found.append(data[0][1])
            c.logout()
        return bool(found)

    wait_for(look, timeout, step=0.2)
    return found[0].decode(errors="replace")


def received_of(msg):
    head = msg.split("\r\n\r\n", 1)[0]
    m = re.search(r"^Received:.*?(?=^\S)", head + "\r\nX:", re.M | re.S)
    assert m, head
    return " ".join(m.group(0).split())


# -- the instance ------------------------------------------------------------
@pytest.fixture(scope="module")
def inst():
    r = Roost()
    try:
        r.start_out = r.start().stdout
        subprocess.run([os.path.join(BIN, "roostctl"), "-d", r.dir, "user",
                        "add", USER, "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True, timeout=60)
        yield r
    finally:
        r.finish()


# -- the certificate of the embedded layout -----------------------------------
def test_self_signed_certificate(inst):
    cert = inst.path("etc", "tls", "cert.pem")
    key = inst.path("etc", "tls", "key.pem")
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.stat(key).st_uid == os.geteuid()
    fp = file_fingerprint(cert)
    assert "SHA-256 fingerprint " + fp in inst.start_out, inst.start_out
    assert "made a self-signed certificate" in inst.start_out
    with open(inst.conf) as f:
        conf = f.read()
    assert "tls_cert_file = etc/tls/cert.pem" in conf
    # Every TLS port serves it.
    for port in ("smtps", "imaps"):
        assert served_cert(inst.port(port))[0] == fp
    # It names localhost and 127.0.0.1, for ten years.
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"],
                         capture_output=True, text=True, check=True).stdout
    assert "DNS:localhost" in out and "IP Address:127.0.0.1" in out
    m = re.search(r"Not After : (.*)", out)
    assert m and int(m.group(1).split()[-2]) >= time.gmtime().tm_year + 9
    # A second start (already running) does not make another.
    r2 = inst.ctl("start")
    assert "made a self-signed" not in r2.stdout
    assert file_fingerprint(cert) == fp


# -- SMTP --------------------------------------------------------------------
def test_smtp_starttls_delivers(inst):
    marker = uuid.uuid4().hex
    with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls")
        code, _ = s.starttls(context=client_ctx())
        assert code == 220
        assert s.sock.version() == "TLSv1.3"
        s.ehlo("client.example")
        assert not s.has_extn("starttls"), "STARTTLS offered inside TLS"
        # STARTTLS twice is refused (RFC 3207 4.2 says it must not be
        # offered; a client that tries anyway gets 503)
        assert s.docmd("STARTTLS")[0] == 503
        s.sendmail("s@client.example", ["%s@localhost" % USER],
                   message(marker))
    rcv = received_of(imap_find(inst, marker))
    assert "with ESMTPS" in rcv, rcv
    assert re.search(r"TLSv1\.3 TLS_\w+", rcv), rcv
    assert re.search(r"tls: TLSv1.3 cipher=TLS_\w+ sni=",
                     inst.log("smtpd"))


def test_smtps_465_delivers(inst):
    marker = uuid.uuid4().hex
    with smtplib.SMTP_SSL("127.0.0.1", inst.port("smtps"), timeout=30,
                          context=client_ctx()) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        assert not s.has_extn("starttls")
        # 465 is submission: AUTH first, then only one's own address
        s.login(USER, PASSWORD)
        s.sendmail("%s@localhost" % USER, ["%s@localhost" % USER],
                   message(marker))
    rcv = received_of(imap_find(inst, marker))
    assert "with ESMTPSA" in rcv and "TLSv1.3" in rcv, rcv


def test_starttls_resets_session(inst):
    with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx())
        # RFC 3207 4.2: the EHLO before TLS is forgotten
        code, msg = s.docmd("MAIL", "FROM:<s@client.example>")
        assert code == 503 and b"HELO/EHLO" in msg
        s.ehlo("client.example")
        assert s.docmd("MAIL", "FROM:<s@client.example>")[0] == 250


def test_smtp_starttls_injection(inst):
    """Commands pipelined behind STARTTLS are not run inside TLS."""
    raw = socket.create_connection(("127.0.0.1", inst.port("smtp")),
                                   timeout=10)
    assert smtp_reply(raw).startswith("220")
    raw.sendall(b"EHLO client.example\r\n")
    assert "STARTTLS" in smtp_reply(raw)
    raw.sendall(b"STARTTLS\r\nNOOP\r\n")
    assert smtp_reply(raw).startswith("220 ")
    s = client_ctx().wrap_socket(raw)
    s.sendall(b"QUIT\r\n")
    first = smtp_reply(s)
    assert first.startswith("221"), "NOOP answered inside TLS: " + first
    s.close()
    wait_for(lambda: "dropped 6 bytes sent before the handshake" in
             inst.log("smtpd"), 5)


def test_smtp_starttls_refused_when_in_mail(inst):
    with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as s:
        s.ehlo("client.example")
        assert s.docmd("MAIL", "FROM:<s@client.example>")[0] == 250
        assert s.docmd("STARTTLS")[0] == 503
        assert s.docmd("STARTTLS", "now")[0] == 501


def test_swaks_tls(inst):
    if shutil.which("swaks") is None:
        pytest.skip("swaks not installed")
    auth = ["--auth", "PLAIN", "--auth-user", USER, "--auth-password",
            PASSWORD, "--from", "%s@localhost" % USER]
    for opt, port, extra in (("--tls", "smtp", ["--from",
                                                 "s@client.example"]),
                             ("--tlsc", "smtps", auth)):
        r = subprocess.run(["swaks", "--server",
                            "127.0.0.1:%d" % inst.port(port), opt,
                            "--to", "%s@localhost" % USER] + extra,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "TLS started" in r.stdout and "queued as" in r.stdout


def test_curl(inst, tmp_path):
    msg = tmp_path / "m.eml"
    msg.write_text(message("curl"))
    login = ["-u", "%s:%s" % (USER, PASSWORD)]
    for url, extra, sender in (
            ("smtp://127.0.0.1:%d" % inst.port("smtp"), [],
             "s@client.example"),
            ("smtps://127.0.0.1:%d" % inst.port("smtps"), login,
             "%s@localhost" % USER)):
        r = subprocess.run(["curl", "-sS", "--ssl-reqd", "-k", url,
                            "--mail-from", sender,
                            "--mail-rcpt", "%s@localhost" % USER,
                            "-T", str(msg)] + extra,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, url + ": " + r.stderr
    for url in ("imap://127.0.0.1:%d/" % inst.port("imap"),
                "imaps://127.0.0.1:%d/" % inst.port("imaps")):
        r = subprocess.run(["curl", "-sS", "--ssl-reqd", "-k", "-u",
                            "%s:%s" % (USER, PASSWORD), url],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, url + ": " + r.stderr
        assert "INBOX" in r.stdout


def s_client(*args, stdin):
    return subprocess.run(["openssl", "s_client", *args],
                          input=stdin, capture_output=True, text=True,
                          timeout=30)


def test_openssl_s_client(inst):
    r = s_client("-starttls", "smtp", "-connect",
                 "127.0.0.1:%d" % inst.port("smtp"), "-ign_eof",
                 stdin="EHLO client.example\r\nQUIT\r\n")
    assert "Protocol  : TLSv1.3" in r.stdout or \
        "TLSv1.3" in r.stdout, r.stdout + r.stderr
    assert "221 2.0.0 Bye" in r.stdout
    r = s_client("-starttls", "imap", "-connect",
                 "127.0.0.1:%d" % inst.port("imap"), "-ign_eof",
                 stdin="a CAPABILITY\r\nb LOGOUT\r\n")
    assert "b OK LOGOUT completed" in r.stdout, r.stdout + r.stderr
    caps = [l for l in r.stdout.splitlines() if l.startswith("* CAPABILITY")]
    assert caps and "STARTTLS" not in caps[-1]


# -- IMAP --------------------------------------------------------------------
def test_imaps_993_login(inst):
    with imaplib.IMAP4_SSL("127.0.0.1", inst.port("imaps"),
                           ssl_context=client_ctx()) as c:
        assert "STARTTLS" not in c.capabilities
        typ, _ = c.login(USER, PASSWORD)
        assert typ == "OK"
        assert c.select("INBOX")[0] == "OK"
        c.logout()


def test_imap_starttls_login(inst):
    c = imaplib.IMAP4("127.0.0.1", inst.port("imap"), timeout=30)
    try:
        assert "STARTTLS" in c.capabilities
        typ, _ = c.starttls(ssl_context=client_ctx())
        assert typ == "OK"
        assert c.sock.version() == "TLSv1.3"
        typ, data = c.capability()
        assert b"STARTTLS" not in data[0]
        # STARTTLS twice is refused
        with pytest.raises(imaplib.IMAP4.error, match="already active"):
            c._simple_command("STARTTLS")
        assert c.login(USER, PASSWORD)[0] == "OK"
    finally:
        try:
            c.logout()
        except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
            pass


def test_imap_starttls_injection(inst):
    raw = socket.create_connection(("127.0.0.1", inst.port("imap")),
                                   timeout=10)
    assert readline(raw).startswith("* OK")
    raw.sendall(b"a STARTTLS\r\nb NOOP\r\n")
    assert readline(raw).startswith("a OK")
    s = client_ctx().wrap_socket(raw)
    s.sendall(b"c LOGOUT\r\n")
    lines = [readline(s), readline(s)]
    assert lines[0].startswith("* BYE"), lines
    assert lines[1].startswith("c OK"), lines
    s.close()
    wait_for(lambda: "dropped 8 bytes sent before the handshake" in
             inst.log("imap-login"), 5)


def test_imaps_idle(inst):
    """IDLE inside TLS: news and DONE pass through the TLS layer."""
    s = tls_connect(inst.port("imaps"))
    f = s.makefile("rb")
    try:
        assert f.readline().startswith(b"* OK")
        s.sendall(b'a LOGIN %s "%s"\r\n' % (USER.encode(),
                                            PASSWORD.encode()))
        assert f.readline().startswith(b"a OK")
        s.sendall(b"b SELECT INBOX\r\n")
        while not f.readline().startswith(b"b OK"):
            pass
        s.sendall(b"c IDLE\r\n")
        assert f.readline().startswith(b"+ ")
        with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as m:
            m.sendmail("s@client.example", ["%s@localhost" % USER],
                       message("idle"))
        assert re.match(rb"\* \d+ EXISTS", f.readline())
        s.sendall(b"DONE\r\n")
        while True:
            line = f.readline()
            assert line, "connection closed during IDLE"
            if line.startswith(b"c "):
                assert line.startswith(b"c OK")
                break
    finally:
        f.close()
        s.close()


# -- protocols, resumption ---------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls11_refused_by_default(inst):
    for port in ("smtps", "imaps"):
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            tls_connect(inst.port(port),
                        client_ctx(maxv=ssl.TLSVersion.TLSv1_1)).close()
    _, version = served_cert(inst.port("smtps"))
    assert version == "TLSv1.3"
    wait_for(lambda: "tls: handshake failed: unsupported protocol" in
             inst.log("smtpd"), 5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_protocol_range_configurable(inst):
    with configured(inst, "tls_max_protocol = TLSv1.2\n"
                    "tls_ciphers = ECDHE-ECDSA-AES128-GCM-SHA256",
                    "smtpd"):
        with tls_connect(inst.port("smtps")) as s:
            assert s.version() == "TLSv1.2"
            assert s.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    with configured(inst, "tls_min_protocol = TLSv1.3", "smtpd"):
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            tls_connect(inst.port("smtps"),
                        client_ctx(maxv=ssl.TLSVersion.TLSv1_2)).close()
    # TLS 1.1 for old clients: the version and OpenSSL's security level
    with configured(inst, "tls_min_protocol = TLSv1.1\n"
                    "tls_ciphers = DEFAULT:@SECLEVEL=0", "smtpd"):
        with tls_connect(inst.port("smtps"),
                         client_ctx(maxv=ssl.TLSVersion.TLSv1_1)) as s:
            assert s.version() == "TLSv1.1"
    # imapd was not restarted: still takes TLS 1.2
    with tls_connect(inst.port("imaps"),
                     client_ctx(maxv=ssl.TLSVersion.TLSv1_2)) as s:
        assert s.version() == "TLSv1.2"


def resumed_in_turn(port, greeting):
    """Resume sessions while earlier connections stay open, so each new
    one is served by another worker; [reused?] for each."""
    ctx = client_ctx()
    held, out, sess = [], [], None
    try:
        for _ in range(3):
            s = tls_connect(port, ctx, session=sess)
            assert readline(s).startswith(greeting)
            out.append(s.session_reused)
            sess = s.session
            held.append(s)
    finally:
        for s in held:
            s.close()
    return out


def test_session_resumption_across_workers(inst):
    assert resumed_in_turn(inst.port("smtps"), "220") == [False, True, True]
    assert resumed_in_turn(inst.port("imaps"), "* OK") == \
        [False, True, True]
    assert "resumed=yes" in inst.log("smtpd")


# -- certificates: SNI, reload, off ------------------------------------------
def test_sni_selects_certificate(inst):
    sni = inst.path("etc", "tls", "sni")
    os.makedirs(sni, exist_ok=True)
    make_cert(sni, "other.test", "o.crt", "o.key")
    with open(os.path.join(sni, "other.test.pem"), "w") as out:
        for part in ("o.crt", "o.key"):
            with open(os.path.join(sni, part)) as f:
                out.write(f.read())
    want = file_fingerprint(os.path.join(sni, "o.crt"))
    os.unlink(os.path.join(sni, "o.crt"))
    os.unlink(os.path.join(sni, "o.key"))
    default = file_fingerprint(inst.path("etc", "tls", "cert.pem"))
    with configured(inst, "tls_sni_dir = etc/tls/sni", "smtpd"):
        assert served_cert(inst.port("smtps"), sni="other.test")[0] == want
        assert served_cert(inst.port("smtps"), sni="localhost")[0] == \
            default
        assert served_cert(inst.port("smtps"))[0] == default
        assert "sni=other.test" in inst.log("smtpd")


def test_restart_loads_new_certificate(inst):
    tls = inst.path("etc", "tls")
    old = file_fingerprint(os.path.join(tls, "cert.pem"))
    saved = {}
    for f in ("cert.pem", "key.pem"):
        with open(os.path.join(tls, f), "rb") as fh:
            saved[f] = fh.read()
    try:
        make_cert(tls, "new.test", "cert.pem.new", "key.pem.new")
        os.rename(os.path.join(tls, "key.pem.new"),
                  os.path.join(tls, "key.pem"))
        os.rename(os.path.join(tls, "cert.pem.new"),
                  os.path.join(tls, "cert.pem"))
        new = file_fingerprint(os.path.join(tls, "cert.pem"))
        assert served_cert(inst.port("smtps"))[0] == old
        inst.ctl("restart", "smtpd")
        assert served_cert(inst.port("smtps"))[0] == new
        assert served_cert(inst.port("imaps"))[0] == old
    finally:
        for f, data in saved.items():
            with open(os.path.join(tls, f), "wb") as fh:
                fh.write(data)
        inst.ctl("restart", "smtpd")


def test_tls_off_and_missing_certificate(inst):
    with configured(inst, "tls_cert_file =", "smtpd"):
        with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as s:
            s.ehlo("client.example")
            assert not s.has_extn("starttls")
            assert s.docmd("STARTTLS")[0] == 454
        # the implicit-TLS port closes at once
        raw = socket.create_connection(("127.0.0.1", inst.port("smtps")),
                                       timeout=10)
        assert raw.recv(100) == b""
        raw.close()
        wait_for(lambda: "implicit TLS is not available" in
                 inst.log("smtpd"), 5)
    # A configured file that does not exist stops the daemon at start,
    # naming the key and the file.
    conf = inst.path("etc", "missing.conf")
    with open(inst.conf) as f, open(conf, "w") as out:
        out.write(f.read() + "\nimapd_tls_cert_file = etc/tls/nonesuch.pem\n")
    r = subprocess.run([os.path.join(BIN, "imap-login"), "-c", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100, r.stderr
    assert "imapd_tls_cert_file" in r.stderr and "nonesuch.pem" in r.stderr
