"""smtpd end to end: ESMTP features, queueing through cleanup,
pipelining, BDAT, limits, relay policy, SMTP smuggling, error paths,
swaks, and the -S local mode."""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import time

import pytest

from roost import BIN, wait_for


class Client:
    """A raw SMTP connection: send bytes, read whole replies."""

    def __init__(self, port, greet=True):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.f = self.s.makefile("rb")
        if greet:
            assert self.reply()[0] == 220

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """(code, [lines]) of one reply; (None, []) at EOF."""
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                return None, lines
            lines.append(line.decode(errors="replace").rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        self.f.close()
        self.s.close()

# test_message_queued looks for the entry in the queue.
pytestmark = pytest.mark.usefixtures("held_queue")


def start_mail(c, rcpt="root@localhost"):
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<sender@client.example>")[0] == 250
    assert c.cmd("RCPT TO:<%s>" % rcpt)[0] == 250


def queue_files(r, qid):
    found = []
    for root, _, files in os.walk(r.path("queue")):
        found += [os.path.join(root, f) for f in files if qid in f]
    return found


def qid_of(text):
    m = re.search(r"queued as (\S+)", text)
    assert m, text
    return m.group(1)


def test_ehlo_features(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=10)
    code, banner = s.ehlo("client.example")
    assert code == 250
    for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes",
                "smtputf8", "chunking", "dsn"):
        assert s.has_extn(ext), ext
    assert s.esmtp_features["size"] == str(25 * 1024 * 1024)
    assert s.helo("client.example")[0] == 250
    assert s.noop()[0] == 250
    assert s.rset()[0] == 250
    assert s.verify("someone")[0] == 252
    assert s.docmd("EXPN", "list")[0] == 502
    assert s.docmd("HELP")[0] == 214
    assert s.docmd("FROB")[0] == 500
    s.quit()


def test_message_queued(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=30)
    s.ehlo("client.example")
    assert s.mail("sender@client.example", ["BODY=8BITMIME"])[0] == 250
    assert s.rcpt("root@localhost", ["NOTIFY=SUCCESS,FAILURE"])[0] == 250
    code, msg = s.data(b"Subject: hello\r\n\r\nb\xc3\xb6dy\r\n..dot\r\n")
    s.quit()
    assert code == 250, msg
    assert msg.startswith(b"2.0.0 Ok: queued as ")
    qid = qid_of(msg.decode())
    assert queue_files(roost, qid), "no queue file for " + qid
    wait_for(lambda: "queued id=%s" % qid in roost.log("smtpd"), 5)


def test_smtputf8_address(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=30)
    s.ehlo("client.example")
    code, _ = s.mail("j\u00f6rg@client.example", ["SMTPUTF8"])
    assert code == 250
    # A UTF-8 local part parses; no such account exists here.
    code, resp = s.rcpt("\u00fcser@localhost")
    assert code == 550 and b"5.1.1" in resp
    assert s.rcpt("root@localhost")[0] == 250
    assert s.rset()[0] == 250
    s.quit()
    c = Client(roost.port("smtp"))
    c.cmd("EHLO client.example")
    code, lines = c.cmd("MAIL FROM:<j\u00f6rg@client.example>")
    assert code == 553 and "5.6.7" in lines[0]
    c.close()


def test_pipelining_in_order(roost):
    c = Client(roost.port("smtp"))
    c.send("EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n"
           "RCPT TO:<daemon@localhost>\r\nRCPT TO:<c@nowhere.invalid>\r\n"
           "NOOP\r\nDATA\r\nSubject: p\r\n\r\npipelined\r\n.\r\n"
           "MAIL FROM:<>\r\nRSET\r\nQUIT\r\n")
    codes = [c.reply() for _ in range(9)]
    c.close()
    got = [code for code, _ in codes]
    # loopback may relay, so both recipients are taken
    assert got[:6] == [250, 250, 250, 250, 250, 354], codes
    assert got[6] == 250 and "queued as" in codes[6][1][0], codes
    assert got[7:] == [250, 250], codes


def test_bdat(roost):
    c = Client(roost.port("smtp"))
    start_mail(c)
    part1 = b"Subject: chunks\r\n\r\n.\r\nMAIL FROM:<x@y>\r\n"
    part2 = b"..no unstuffing\r\n"
    c.send(b"BDAT %d\r\n%s" % (len(part1), part1))
    code, lines = c.reply()
    assert code == 250 and "%d octets" % len(part1) in lines[0]
    c.send(b"BDAT %d LAST\r\n%s" % (len(part2), part2))
    code, lines = c.reply()
    assert code == 250 and "queued as" in lines[0], lines
    assert c.cmd("NOOP") == (250, ["250 2.0.0 Ok"])
    c.cmd("QUIT")
    c.close()


def test_bdat_out_of_sequence_consumes_chunk(roost):
    c = Client(roost.port("smtp"))
    c.cmd("EHLO client.example")
    c.send("BDAT 6\r\nNOOP\r\n")
    code, lines = c.reply()
    assert code == 503 and "5.5.1" in lines[0]
    assert c.cmd("RSET")[0] == 250     # the NOOP was data, not a command
    c.close()


def test_size_refused_at_mail(roost):
    c = Client(roost.port("smtp"))
    c.cmd("EHLO client.example")
    code, lines = c.cmd("MAIL FROM:<a@client.example> SIZE=%d" %
                        (25 * 1024 * 1024 + 1))
    assert code == 552 and "5.3.4" in lines[0]
    assert c.cmd("MAIL FROM:<a@client.example> SIZE=1000")[0] == 250
    c.cmd("RSET")
    code, lines = c.cmd("MAIL FROM:<a@client.example> BODY=BINARYMIME")
    assert code == 555 and "5.5.4" in lines[0]
    code, lines = c.cmd("MAIL FROM:<a@client.example> FOO=1")
    assert code == 555
    c.close()


def test_sequence_errors(roost):
    c = Client(roost.port("smtp"))
    code, lines = c.cmd("MAIL FROM:<a@client.example>")
    assert code == 503 and "5.5.1" in lines[0]      # no EHLO yet
    c.cmd("EHLO client.example")
    for line in ("RCPT TO:<daemon@localhost>", "DATA"):
        code, lines = c.cmd(line)
        assert code == 503 and "5.5.1" in lines[0], line
    c.cmd("MAIL FROM:<a@client.example>")
    assert c.cmd("MAIL FROM:<a@client.example>")[0] == 503
    assert c.cmd("DATA")[0] == 503      # no recipient yet
    code, lines = c.cmd("RCPT TO:daemon@localhost")
    assert code == 501
    code, lines = c.cmd("MAIL")
    assert code == 501
    code, lines = c.cmd("X" * 1200)
    assert code == 500 and "5.5.2" in lines[0]
    assert c.cmd("NOOP")[0] == 250
    c.close()


SMUGGLE = [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r", b"\r\n.\n",
           b"\r.\r", b"\r\n\x00.\r\n", b"\r\n.\x00\r\n"]


@pytest.mark.parametrize("end", SMUGGLE, ids=[repr(e) for e in SMUGGLE])
def test_smuggling_does_not_end_data(roost, end):
    c = Client(roost.port("smtp"))
    start_mail(c)
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subject: smuggle\r\n\r\nbody" + end +
           b"MAIL FROM:<smuggled@evil.example>\r\n"
           b"RCPT TO:<root@localhost>\r\nDATA\r\nsmuggled\r\n"
           b"\r\n.\r\n")
    code, lines = c.reply()
    if b"\x00" in end:
        assert code == 250, lines      # odd but no bare line end
    else:
        assert code == 550 and "5.5.2" in lines[0], lines
    # exactly one reply: the smuggled commands were data
    assert c.cmd("NOOP") == (250, ["250 2.0.0 Ok"])
    c.close()
    assert "smuggled@evil" not in roost.log("smtpd")


def test_error_limit_disconnects(roost):
    c = Client(roost.port("smtp"))
    c.send("FROB\r\n" * 30)
    replies = []
    while True:
        code, lines = c.reply()
        if code is None:
            break
        replies.append(lines[0])
    c.close()
    assert replies[:20] == ["500 5.5.2 Error: command not recognized"] * 20
    assert replies[20].startswith("421 4.7.0 ") and \
        "too many errors" in replies[20]
    assert len(replies) == 21


def test_swaks(roost):
    if shutil.which("swaks") is None:
        pytest.skip("swaks not installed")
    r = subprocess.run(["swaks", "--server",
                        "127.0.0.1:%d" % roost.port("smtp"),
                        "--to", "root@localhost", "--from", "s@client.example",
                        "--pipeline"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "queued as" in r.stdout


def test_local_mode(roost):
    session = (b"EHLO local\r\nMAIL FROM:<me@localhost>\r\n"
               b"RCPT TO:<you@remote.example>\r\nDATA\r\n"
               b"Subject: -S\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    r = subprocess.run([os.path.join(BIN, "smtpd"), "-S", "-c",
                        roost.conf], input=session, capture_output=True,
                       timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert out.startswith("220 ")
    assert "250 2.0.0 Ok: queued as" in out, out
    assert out.rstrip().endswith("221 2.0.0 Bye")


def test_limits_and_relay(fresh):
    """A non-mynetworks configuration with a small size limit."""
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("message_size_limit = 2000\nmynetworks = 192.0.2.0/24\n"
                "smtpd_pregreet_wait = 1s\nsmtpd_recipient_limit = 2\n"
                "smtpd_bare_lf = normalize\n")
    fresh.ctl("restart", "smtpd")
    port = fresh.port("smtp")

    # talking first on the MX port
    c = Client(port, greet=False)
    c.send("EHLO eager.example\r\n")
    code, lines = c.reply()
    assert code == 554 and "talking before the greeting" in lines[0]
    assert c.reply()[0] is None
    c.close()

    c = Client(port)
    assert "250 SIZE 2000" in "\n".join(c.cmd("EHLO client.example")[1]) \
        or "250-SIZE 2000" in "\n".join(c.cmd("EHLO client.example")[1])
    assert c.cmd("MAIL FROM:<a@client.example>")[0] == 250
    code, lines = c.cmd("RCPT TO:<x@remote.example>")
    assert code == 554 and "5.7.1" in lines[0] and \
        "Relay access denied" in lines[0]
    assert c.cmd("RCPT TO:<ROOT@LOCALHOST>")[0] == 250
    assert c.cmd("RCPT TO:<daemon@localhost>")[0] == 250
    code, lines = c.cmd("RCPT TO:<bin@localhost>")
    assert code == 452 and "4.5.3" in lines[0]
    c.cmd("RSET")
    c.cmd("MAIL FROM:<a@client.example>")
    c.cmd("RCPT TO:<root@localhost>")

    # normalize: a bare LF is a line end, and still never the end
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subject: bare\n\nline\n.\nMAIL FROM:<s@evil.example>\r\n"
           b".\r\n")
    code, lines = c.reply()
    assert code == 250 and "queued as" in lines[0], lines
    assert c.cmd("NOOP") == (250, ["250 2.0.0 Ok"])
    c.cmd("MAIL FROM:<a@client.example>")
    c.cmd("RCPT TO:<root@localhost>")

    # the size counts the message as sent: CRLF line ends, unstuffed
    head = b"Subject: size\r\n\r\n"
    for size, refused in ((2000, False), (2001, True)):
        body = head
        while len(body) < size:
            n = min(78, size - len(body) - 2)
            body += b"a" * n + b"\r\n"
        assert len(body) == size
        assert c.cmd("DATA")[0] == 354
        c.send(body + b".\r\n")
        code, lines = c.reply()
        if refused:
            assert code == 552 and "5.3.4" in lines[0], lines
        else:
            assert code == 250, lines
        c.cmd("MAIL FROM:<a@client.example>")
        c.cmd("RCPT TO:<root@localhost>")
    c.close()
    assert "Relay access denied" in fresh.log("smtpd")


def test_data_timeout(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("smtpd_data_timeout = 1s\n")
    fresh.ctl("restart", "smtpd")
    c = Client(fresh.port("smtp"))
    start_mail(c)
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: slow\r\n")
    t0 = time.monotonic()
    code, lines = c.reply()
    assert code == 421 and "4.4.2" in lines[0]
    assert time.monotonic() - t0 < 5
    c.close()


def test_cleanup_refusal_passed_on(roost):
    """cleanup's permanent refusal reaches the client with its code."""
    c = Client(roost.port("smtp"))
    start_mail(c)
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subj\x00ect: nul\r\n\r\nbody\r\n.\r\n")
    code, lines = c.reply()
    assert code == 554 and lines[0].startswith("554 5.6.0 "), lines
    assert c.cmd("NOOP")[0] == 250
    c.close()


def test_long_data_line_refused(roost):
    c = Client(roost.port("smtp"))
    start_mail(c)
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subject: long\r\n\r\n" + b"x" * 998 + b"\r\n" +
           b"y" * 999 + b"\r\n" + b"z" * 5000 + b"\r\n.\r\n")
    code, lines = c.reply()
    assert code == 500 and "5.5.2" in lines[0], lines
    assert c.cmd("NOOP")[0] == 250
    c.close()


def test_concurrent_sessions(roost):
    import threading
    results = []

    def one(i):
        try:
            s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=60)
            s.ehlo("c%d.example" % i)
            s.mail("s%d@client.example" % i)
            s.rcpt("root@localhost")
            results.append(s.data(b"Subject: %d\r\n\r\nbody\r\n" % i)[0])
            s.quit()
        except Exception as e:     # noqa: BLE001 - reported below
            results.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert results == [250] * 40, results
