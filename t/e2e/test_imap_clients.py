"""imapd with real clients from Debian (make deps-test installs them):
mbsync (isync), mutt, curl and offlineimap3, over plain IMAP on
loopback.  Each must exit 0 without errors in its output, with the
expected messages on both sides; the server side is read back over
IMAP with imaplib and, for roost, with roostctl mailbox show."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest

from imapclient import (PASSWORD, connect, logout, make_server, quote,
                        roost_only, simple_message)


@pytest.fixture(scope="module")
def srv():
    s = make_server()
    try:
        s.start()
        for u in ("mbuser", "muttuser", "curluser", "oiuser", "mbtls"):
            s.add_user(u)
        yield s
    finally:
        s.finish()


@pytest.fixture
def work():
    d = tempfile.mkdtemp(prefix="imap-clients-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def need(prog):
    # The packages come from make deps-test; a missing one is a failure.
    path = shutil.which(prog)
    assert path, "%s is not installed: run make deps-test" % prog
    return path


def server_msgs(srv, user, box="INBOX"):
    """[(flags, message)] of user's box, in order, read over IMAP."""
    c = connect(srv, user)
    try:
        r = c.select_box(box, examine=True)
        out = []
        if r.one("EXISTS").num > 0:
            f = c.ok("FETCH", "1:*", "(FLAGS BODY.PEEK[])").fetches()
            out = [(set(f[n]["FLAGS"]) - {"\\Recent"}, f[n]["BODY[]"])
                   for n in sorted(f)]
    finally:
        logout(c)
    if not srv.oracle:
        # the store's own view agrees
        res = srv.r.ctl("mailbox", "show", user, box)
        assert len([x for x in res.stdout.splitlines() if x]) == len(out)
    return out


def put(srv, user, box, msg, flags=None):
    c = connect(srv, user)
    try:
        args = [quote(box)] + (["(%s)" % flags] if flags else [])
        c.ok("APPEND", *args, literal=msg)
    finally:
        logout(c)


def run(cmd, timeout=120, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    out = r.stdout + r.stderr
    assert r.returncode == 0, (cmd, r.returncode, out)
    return out


def no_errors(out):
    bad = [l for l in out.splitlines()
           if re.search(r"\b(error|failed|fatal)\b", l, re.I)]
    assert not bad, out


def maildir_files(d):
    return sorted(glob.glob(os.path.join(d, "cur", "*")) +
                  glob.glob(os.path.join(d, "new", "*")))


def read(p):
    with open(p, "rb") as f:
        return f.read()


def normal(b):
    return b.replace(b"\r\n", b"\n")


def subject_of(msg):
    m = re.search(rb"^Subject: (.*?)\r?$", msg, re.M)
    return m.group(1) if m else None


# -- mbsync ------------------------------------------------------------------------
def mbsyncrc(work, name, port, user, mail, account, channel, whole=True):
    """An mbsync configuration: one IMAP account (with the account
    lines given), the Maildir under mail, one channel (its lines given;
    whole: every mailbox, else the channel names its own)."""
    rc = os.path.join(work, name)
    with open(rc, "w") as f:
        f.write("IMAPAccount acc\nHost 127.0.0.1\nPort %d\nUser %s\n"
                "Pass \"%s\"\n%s\n\nIMAPStore remote\nAccount acc\n\n"
                "MaildirStore local\nPath %s\nInbox %sINBOX\n%s\n"
                "Channel ch\n%s%s\nSyncState *\n"
                % (port, user, PASSWORD, account, mail, mail,
                   "SubFolders Verbatim\n" if whole else "",
                   "Far :remote:\nNear :local:\n" if whole else "",
                   channel))
    return rc


def test_mbsync_both_ways(srv, work):
    need("mbsync")
    user = "mbuser"
    put(srv, user, "INBOX", simple_message("from server 1"))
    put(srv, user, "INBOX", simple_message("from server 2"), "\\Flagged")
    put(srv, user, "Archive", simple_message("archived"))
    mail = os.path.join(work, "mail") + "/"
    rc = mbsyncrc(work, "mbsyncrc", srv.port, user, mail,
                  "SSLType None\nAuthMechs LOGIN PLAIN",
                  "Patterns *\nCreate Both\nExpunge Both\nSync All")
    os.makedirs(mail)
    out = run(["mbsync", "-c", rc, "-a"])
    no_errors(out)
    inbox = os.path.join(mail, "INBOX")
    files = maildir_files(inbox)
    assert len(files) == 2, (files, out)
    subjects = {subject_of(read(p)): p for p in files}
    assert set(subjects) == {b"from server 1", b"from server 2"}
    # the flag came along (maildir info "F")
    assert re.search(r":2,[A-Z]*F", subjects[b"from server 2"])
    assert not re.search(r":2,[A-Z]*F", subjects[b"from server 1"])
    # the other mailboxes too
    arch = maildir_files(os.path.join(mail, "Archive"))
    assert [subject_of(read(p)) for p in arch] == [b"archived"]
    for box in ("Drafts", "Sent", "Trash", "Junk"):
        assert os.path.isdir(os.path.join(mail, box, "cur")), box
    # a message written locally, and one read locally
    local = simple_message("written locally")
    with open(os.path.join(inbox, "new", "1700000000.1_1.local"), "wb") as f:
        f.write(local)
    p = subjects[b"from server 1"]
    base = p.split(":2,")[0] if ":2," in p else p
    os.rename(p, os.path.join(inbox, "cur",
                              os.path.basename(base) + ":2,S"))
    out = run(["mbsync", "-c", rc, "-a"])
    no_errors(out)
    msgs = server_msgs(srv, user)
    by_subject = {subject_of(m): (fl, m) for fl, m in msgs}
    assert set(by_subject) == {b"from server 1", b"from server 2",
                               b"written locally"}
    # mbsync adds an X-TUID header to what it uploads
    pushed = re.sub(rb"(?m)^X-TUID: .*\r?\n", b"",
                    by_subject[b"written locally"][1])
    assert normal(pushed) == normal(local)
    assert "\\Seen" in by_subject[b"from server 1"][0]
    assert "\\Flagged" in by_subject[b"from server 2"][0]
    # a flag set and a message deleted on the server come back
    c = connect(srv, user)
    try:
        c.select_box("INBOX")
        n = c.ok("SEARCH", "SUBJECT", '"from server 2"').search()[0]
        c.ok("STORE", str(n), "+FLAGS", "(\\Answered)")
        n = c.ok("SEARCH", "SUBJECT", '"written locally"').search()[0]
        c.ok("STORE", str(n), "+FLAGS", "(\\Deleted)")
        c.ok("EXPUNGE")
    finally:
        logout(c)
    out = run(["mbsync", "-c", rc, "-a"])
    no_errors(out)
    files = maildir_files(inbox)
    subjects = {subject_of(read(p)): p for p in files}
    assert set(subjects) == {b"from server 1", b"from server 2"}
    assert re.search(r":2,[A-Z]*R", subjects[b"from server 2"])


def test_mbsync_over_tls_with_scram(srv, work):
    """mbsync on port 993, checking the certificate roostctl made, and
    logging in with SCRAM-SHA-256 through its own SASL library."""
    need("mbsync")
    roost_only(srv, "roostctl's certificate and authd's log")
    user = "mbtls"
    put(srv, user, "INBOX", simple_message("over tls"))
    mail = os.path.join(work, "tlsmail") + "/"
    rc = mbsyncrc(work, "mbsynctlsrc", srv.r.port("imaps"), user, mail,
                  "SSLType IMAPS\nCertificateFile %s\n"
                  "AuthMechs SCRAM-SHA-256"
                  % srv.r.path("etc", "tls", "cert.pem"),
                  "Far :remote:INBOX\nNear :local:INBOX\nCreate Near\n"
                  "Sync Pull", whole=False)
    os.makedirs(mail)
    out = run(["mbsync", "-V", "-c", rc, "-a"])
    no_errors(out)
    files = maildir_files(os.path.join(mail, "INBOX"))
    assert [subject_of(read(p)) for p in files] == [b"over tls"], out
    assert "mech=SCRAM-SHA-256" in srv.r.log("imapd")


# -- mutt ------------------------------------------------------------------------
def test_mutt_reads_and_moves(srv, work):
    need("mutt")
    need("script")
    user = "muttuser"
    marker = uuid.uuid4().hex
    put(srv, user, "INBOX", simple_message(
        "for mutt", body=b"mutt body %s\r\n" % marker.encode()))
    put(srv, user, "INBOX", simple_message("stays"))
    rc = os.path.join(work, "muttrc")
    out_file = os.path.join(work, "out.txt")
    with open(rc, "w") as f:
        f.write("""set ssl_starttls=no
set ssl_force_tls=no
set imap_user="%s"
set imap_pass="%s"
set folder="imap://%s@127.0.0.1:%d/"
set spoolfile="+INBOX"
set header_cache=""
set message_cachedir=""
set confirmappend=no
set confirmcreate=no
set delete=yes
set move=no
set quit=yes
set mark_old=no
set sort=mailbox-order
set wait_key=no
set record=""
set imap_check_subscribed=no
""" % (user, PASSWORD, user, srv.port))
    # read the first message (piped to a file), save it to Archive,
    # sync (expunge) and quit
    keys = ("<pipe-message>cat > %s<enter>"
            "<save-message>=Archive<enter><sync-mailbox><quit>" % out_file)
    cmd = "mutt -n -F %s -f '+INBOX' -e 'push \"%s\"'" % (rc, keys)
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"],
                       capture_output=True, timeout=120,
                       env=dict(os.environ, TERM="xterm", HOME=work),
                       stdin=subprocess.DEVNULL)
    screen = r.stdout.decode(errors="replace")
    assert r.returncode == 0, screen
    assert not re.search(r"(?i)error|failed|could not|can't", screen), screen
    assert os.path.exists(out_file), screen
    assert marker.encode() in read(out_file)
    inbox = server_msgs(srv, user, "INBOX")
    assert [subject_of(m) for _, m in inbox] == [b"stays"]
    arch = server_msgs(srv, user, "Archive")
    assert [subject_of(m) for _, m in arch] == [b"for mutt"]
    assert marker.encode() in arch[0][1]


# -- curl ------------------------------------------------------------------------
def test_curl(srv, work):
    need("curl")
    user = "curluser"
    m1 = simple_message("curl one", body=b"first body\r\n")
    m2 = simple_message("curl two", body=b"second body\r\n")
    put(srv, user, "INBOX", m1)
    put(srv, user, "INBOX", m2)
    c = connect(srv, user)
    try:
        c.select_box("INBOX")
        f = c.ok("FETCH", "1:*", "(UID)").fetches()
        uids = [int(f[n]["UID"]) for n in sorted(f)]
    finally:
        logout(c)
    base = "imap://127.0.0.1:%d" % srv.port
    auth = ["-u", "%s:%s" % (user, PASSWORD)]
    curl = ["curl", "-sS", "--fail", "--max-time", "60"] + auth

    def cr(url, *extra):
        r = subprocess.run(curl + list(extra) + [url], capture_output=True,
                           timeout=90)
        assert r.returncode == 0, (url, r.returncode, r.stderr)
        assert r.stderr == b"", r.stderr
        return r.stdout

    assert cr("%s/INBOX;UID=%d" % (base, uids[1])) == m2
    assert cr("%s/INBOX;UID=%d" % (base, uids[0])) == m1
    sect = cr("%s/INBOX;UID=%d;SECTION=HEADER.FIELDS%%20(SUBJECT)" % (
        base, uids[0]))
    assert sect == b"Subject: curl one\r\n\r\n"
    assert cr("%s/INBOX;UID=%d;SECTION=TEXT" % (base, uids[1])) == \
        b"second body\r\n"
    # custom commands
    out = cr("%s/INBOX" % base, "-X", "STATUS INBOX (MESSAGES UIDNEXT)")
    m = re.search(rb"\* STATUS \"?INBOX\"? \((.*)\)", out)
    assert m, out
    st = m.group(1).split()
    st = dict(zip(st[::2], st[1::2]))
    assert st[b"MESSAGES"] == b"2" and int(st[b"UIDNEXT"]) > uids[1]
    out = cr("%s/INBOX" % base, "-X", "SEARCH SUBJECT two")
    assert re.search(rb"\* SEARCH 2\r?\n", out), out
    out = cr(base + "/")
    for box in (b"INBOX", b"Drafts", b"Sent", b"Trash", b"Junk", b"Archive"):
        assert re.search(rb"\* LIST \([^)]*\) \"/\" \"?%s\"?\r?\n" % box,
                         out), (box, out)
    # search through the URL, and an upload (APPEND)
    out = cr("%s/INBOX?SUBJECT%%20one" % base)
    assert re.search(rb"\* SEARCH 1\r?\n", out), out
    up = os.path.join(work, "up.eml")
    m3 = simple_message("uploaded by curl")
    with open(up, "wb") as f:
        f.write(m3)
    cr("%s/Drafts" % base, "-T", up)
    assert [m for _, m in server_msgs(srv, user, "Drafts")] == [m3]
    # a wrong password fails (curl exit 67: login denied)
    r = subprocess.run(["curl", "-sS", "-u", "%s:wrong" % user,
                        "%s/INBOX;UID=%d" % (base, uids[0])],
                       capture_output=True, timeout=90)
    assert r.returncode == 67, (r.returncode, r.stderr)


# -- offlineimap3 ----------------------------------------------------------
def test_offlineimap(srv, work):
    need("offlineimap")
    user = "oiuser"
    put(srv, user, "INBOX", simple_message("oi server 1"))
    put(srv, user, "INBOX", simple_message("oi server 2"), "\\Seen")
    put(srv, user, "Sent", simple_message("oi sent"))
    local = os.path.join(work, "mail")
    rc = os.path.join(work, "offlineimaprc")
    with open(rc, "w") as f:
        f.write("""[general]
accounts = A
metadata = %s/meta
ui = basic

[Account A]
localrepository = L
remoterepository = R

[Repository L]
type = Maildir
localfolders = %s

[Repository R]
type = IMAP
remotehost = 127.0.0.1
remoteport = %d
remoteuser = %s
remotepass = %s
ssl = no
starttls = no
""" % (work, local, srv.port, user, PASSWORD))
    os.makedirs(local)
    out = run(["offlineimap", "-c", rc, "-o", "-u", "basic"], timeout=300,
              env=dict(os.environ, HOME=work))
    assert "ERROR" not in out, out
    inbox = os.path.join(local, "INBOX")
    files = maildir_files(inbox)
    subjects = {subject_of(read(p)): p for p in files}
    assert set(subjects) == {b"oi server 1", b"oi server 2"}, out
    assert re.search(r":2,[A-Z]*S", subjects[b"oi server 2"])
    assert [subject_of(read(p)) for p in maildir_files(
        os.path.join(local, "Sent"))] == [b"oi sent"]
    # new locally, read locally: both go up
    newmsg = simple_message("oi local")
    with open(os.path.join(inbox, "new", "1700000001.2_1.local"), "wb") as f:
        f.write(newmsg)
    p = subjects[b"oi server 1"]
    os.rename(p, p.split(":2,")[0] + ":2,S" if ":2," in p else p + ":2,S")
    out = run(["offlineimap", "-c", rc, "-o", "-u", "basic"], timeout=300,
              env=dict(os.environ, HOME=work))
    assert "ERROR" not in out, out
    msgs = {subject_of(m): (fl, m) for fl, m in server_msgs(srv, user)}
    assert set(msgs) == {b"oi server 1", b"oi server 2", b"oi local"}
    assert "\\Seen" in msgs[b"oi server 1"][0]
    assert normal(msgs[b"oi local"][1]).rstrip(b"\n") == \
        normal(newmsg).rstrip(b"\n")
