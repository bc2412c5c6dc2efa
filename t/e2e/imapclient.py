"""What the IMAP tests share: a response parser, an imaplib client that
keeps a transcript of everything the server sent, a raw-socket client
(for IDLE, LITERAL+, pipelining and malformed input), the server under
test, and messages.

The server under test is roost (an embedded instance started here).
For checking the tests themselves, IMAP_E2E_ORACLE=dovecot runs them
against a private Dovecot from Debian instead (dovecot-imapd): what only
roost has (roostctl, SMTP delivery, roost's capability list) is skipped
in that mode, and only in that mode.
"""
import imaplib
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from roost import Roost, pick_port_base, wait_greeting

ORACLE = os.environ.get("IMAP_E2E_ORACLE", "")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PASSWORD = "secret pw"

# Commands imaplib 3.11 does not know; the client-side state check is
# bypassed anyway (Client._command): the server's checks are under test.
for _name in ("ID", "MOVE", "UNSELECT", "ENABLE", "NAMESPACE", "IDLE",
              "ESEARCH", "COMPRESS"):
    imaplib.Commands.setdefault(_name, ("NONAUTH", "AUTH", "SELECTED"))


# -- parsing ------------------------------------------------------------------
class ParseError(Exception):
    pass


_LIT = re.compile(rb"~?\{(\d+)\+?\}$")


def parse_tokens(b, pos=0, depth=0):
    """The tokens of b from pos up to a closing ')' (or the end):
    atoms as str, quoted strings and literals as bytes, NIL as None,
    parenthesised lists as lists.  Returns (tokens, next position)."""
    out = []
    n = len(b)
    while pos < n:
        ch = b[pos:pos + 1]
        if ch in (b" ", b"\r", b"\n"):
            pos += 1
        elif ch == b"(":
            sub, pos = parse_tokens(b, pos + 1, depth + 1)
            out.append(sub)
        elif ch == b")":
            if depth == 0:
                raise ParseError("unbalanced ')' at %d in %r" % (pos, b))
            return out, pos + 1
        elif ch == b'"':
            pos += 1
            s = bytearray()
            while True:
                if pos >= n:
                    raise ParseError("unterminated quoted string: %r" % b)
                c = b[pos:pos + 1]
                if c == b"\\":
                    s += b[pos + 1:pos + 2]
                    pos += 2
                elif c == b'"':
                    pos += 1
                    break
                else:
                    s += c
                    pos += 1
            out.append(bytes(s))
        elif ch in (b"{", b"~") and re.match(rb"~?\{\d+\+?\}\r\n",
                                             b[pos:pos + 30]):
            m = re.match(rb"~?\{(\d+)\+?\}\r\n", b[pos:])
            size = int(m.group(1))
            start = pos + m.end()
            if start + size > n:
                raise ParseError("short literal in %r" % b[:200])
            out.append(b[start:start + size])
            pos = start + size
        else:
            start = pos
            brackets = 0
            while pos < n:
                c = b[pos:pos + 1]
                if c == b"[":
                    brackets += 1
                elif c == b"]":
                    brackets -= 1
                elif brackets == 0 and c in (b" ", b"(", b")", b"\r",
                                             b"\n"):
                    break
                pos += 1
            atom = b[start:pos].decode("utf-8", "surrogateescape")
            out.append(None if atom.upper() == "NIL" else atom)
    if depth:
        raise ParseError("unbalanced '(' in %r" % b[:300])
    return out, pos


def parse(b):
    return parse_tokens(b)[0]


class Resp:
    """One server response: tag ('*', '+' or the command's), kind
    (upper-cased: OK, EXISTS, FETCH, SEARCH, ...), num (the number
    before EXISTS/EXPUNGE/FETCH/RECENT), code (the response code's
    tokens for OK/NO/BAD/BYE/PREAUTH), text, data (parsed tokens after
    the kind), raw (the bytes, literals included)."""

    def __init__(self, raw):
        self.raw = raw
        self.num = None
        self.code = None
        self.data = None
        line = raw.rstrip(b"\r\n")
        first, _, rest = line.partition(b" ")
        self.tag = first.decode("utf-8", "replace")
        if self.tag == "+":
            self.kind = "+"
            self.text = rest.decode("utf-8", "replace")
            return
        word, _, rest2 = rest.partition(b" ")
        if word.isdigit():
            self.num = int(word)
            word, _, rest2 = rest2.partition(b" ")
        self.kind = word.decode("utf-8", "replace").upper()
        if self.kind in ("OK", "NO", "BAD", "BYE", "PREAUTH"):
            t = rest2
            if t.startswith(b"["):
                depth, i = 0, 0
                while i < len(t):
                    if t[i:i + 1] == b"[":
                        depth += 1
                    elif t[i:i + 1] == b"]":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
                self.code = parse(t[1:i])
                t = t[i + 1:].lstrip(b" ")
            self.text = t.decode("utf-8", "replace")
        else:
            self.text = rest2.decode("utf-8", "replace")
            self.data = parse(rest2)

    @property
    def code_name(self):
        return self.code[0].upper() if self.code else None

    def fetch(self):
        """A FETCH response as {ITEM: value} (item names upper-cased)."""
        assert self.kind == "FETCH", self.raw
        items = self.data[0]
        assert len(items) % 2 == 0, self.raw
        return {items[i].upper(): items[i + 1]
                for i in range(0, len(items), 2)}

    def __repr__(self):
        return "Resp(%r)" % self.raw[:300]


def split_responses(data):
    """Cut a byte stream of server output into whole responses (a line
    and the literals it announces, with their continuation lines)."""
    out = []
    pos = 0
    cur = bytearray()
    while pos < len(data):
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise ParseError("unterminated response: %r" % data[pos:pos + 200])
        line = data[pos:eol + 2]
        cur += line
        pos = eol + 2
        m = _LIT.search(line[:-2])
        if m:
            size = int(m.group(1))
            cur += data[pos:pos + size]
            pos += size
            continue
        out.append(Resp(bytes(cur)))
        cur = bytearray()
    return out


# -- an imaplib client with a transcript -----------------------------------
class Result:
    def __init__(self, typ, tagged, untagged):
        self.typ = typ                # OK, NO or BAD
        self.tagged = tagged          # the tagged Resp
        self.untagged = untagged      # every other Resp, in order

    def of(self, kind):
        return [r for r in self.untagged if r.kind == kind]

    def one(self, kind):
        rs = self.of(kind)
        assert len(rs) == 1, (kind, self.untagged)
        return rs[0]

    def fetches(self):
        """{sequence number: {ITEM: value}}; several FETCH responses for
        one message are merged."""
        out = {}
        for r in self.of("FETCH"):
            out.setdefault(r.num, {}).update(r.fetch())
        return out

    def search(self):
        """The numbers of the SEARCH response(s)."""
        nums = []
        for r in self.of("SEARCH"):
            nums += [int(x) for x in r.data if str(x).isdigit()]
        return nums

    def codes(self):
        """Response codes of untagged status responses and the tagged
        one: {NAME: tokens after it}."""
        out = {}
        for r in self.untagged + [self.tagged]:
            if r.code:
                out[r.code[0].upper()] = r.code[1:]
        return out

    def __repr__(self):
        return "Result(%s, %r, %r)" % (self.typ, self.tagged, self.untagged)


class Client(imaplib.IMAP4):
    """imaplib, recording every byte the server sends so that each
    command's responses can be parsed completely (run())."""

    def __init__(self, host, port, timeout=30):
        self._tx = bytearray()
        super().__init__(host, port, timeout=timeout)

    def readline(self):
        line = super().readline()
        self._tx += line
        return line

    def read(self, size):
        d = super().read(size)
        self._tx += d
        return d

    def _command(self, name, *args):
        # The client-side state check is imaplib's, not the server's.
        imaplib.Commands.setdefault(name, ("NONAUTH", "AUTH", "SELECTED"))
        saved = self.state
        self.state = imaplib.Commands[name][0]
        try:
            return super()._command(name, *args)
        finally:
            self.state = saved

    def run(self, name, *args, literal=None):
        """Send one command (args as written on the wire); a Result with
        every response the server sent for it.  BAD does not raise."""
        self.untagged_responses = {}
        self._tx = bytearray()
        if literal is not None:
            self.literal = literal
        try:
            tag = self._command(name, *args)
            typ, _ = self._command_complete(name, tag)
        except self.error as e:
            if "BAD" not in str(e):
                raise
            typ = "BAD"
        resps = split_responses(bytes(self._tx))
        tagged = [r for r in resps if r.tag not in ("*", "+")]
        assert tagged, resps
        untagged = [r for r in resps if r.tag == "*"]
        self.untagged_responses = {}
        return Result(typ, tagged[-1], untagged)

    def ok(self, name, *args, literal=None):
        r = self.run(name, *args, literal=literal)
        assert r.typ == "OK", r
        return r

    def uidcmd(self, *args, literal=None):
        return self.run("UID", *args, literal=literal)

    def select_box(self, box, examine=False, *extra):
        r = self.ok("EXAMINE" if examine else "SELECT", quote(box), *extra)
        self.state = "SELECTED"
        return r


def quote(s):
    if isinstance(s, bytes):
        s = s.decode()
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- a raw socket client ---------------------------------------------------
class Raw:
    """IMAP over a plain socket, for what imaplib cannot do."""

    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.n = 0
        self.greeting = self.response()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout=None):
        if timeout is not None:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return False
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk
        return True

    def _line(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if not self._fill(left):
                return None
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def response(self, timeout=None):
        """The next whole response, or None after timeout seconds."""
        line = self._line(timeout)
        if line is None:
            return None
        cur = line
        while True:
            m = _LIT.search(line[:-2])
            if not m:
                return Resp(cur)
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill()
            cur += self.buf[:size]
            self.buf = self.buf[size:]
            line = self._line()
            cur += line

    def tag(self):
        self.n += 1
        return "r%d" % self.n

    def until_tagged(self, tag, timeout=60):
        """Responses up to the tagged one for tag: (tagged, untagged)."""
        untagged = []
        deadline = time.monotonic() + timeout
        while True:
            r = self.response(max(0.0, deadline - time.monotonic()))
            if r is None:
                raise AssertionError("no tagged reply for %s within %ss; "
                                     "got %r" % (tag, timeout, untagged))
            if r.tag == tag:
                return r, untagged
            untagged.append(r)

    def cmd(self, text, timeout=60):
        """Send 'TAG text' (text as bytes or str); (tagged, untagged)."""
        tag = self.tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.until_tagged(tag, timeout)

    def ok(self, text, timeout=60):
        t, u = self.cmd(text, timeout)
        assert t.kind == "OK", (text, t, u)
        return u

    def login(self, user, password=PASSWORD):
        return self.ok("LOGIN %s %s" % (quote(user), quote(password)))


# -- messages ---------------------------------------------------------------
def crlf(b):
    """b with every line ending a CRLF."""
    return re.sub(rb"\r?\n", b"\r\n", b)


def simple_message(subject="hello", body=b"Hello there.\r\n", extra=b"",
                   sender=b"Alice Example <alice@example.test>",
                   to=b"Bob <bob@example.test>",
                   date=b"Mon, 7 Feb 1994 21:52:25 -0800"):
    if isinstance(subject, str):
        subject = subject.encode()
    return crlf(b"Date: " + date + b"\n"
                b"From: " + sender + b"\n"
                b"To: " + to + b"\n"
                b"Subject: " + subject + b"\n"
                b"Message-ID: <%d.%d@example.test>\n" % (
                    os.getpid(), time.monotonic_ns()) + extra +
                b"\n") + crlf(body)


# -- the server under test -----------------------------------------------------
def auth_delay_key():
    """(name, value) of the configuration key for the delay after a
    failed login, from lib/daemon/cfg_keys.c, with a value that keeps the
    tests fast but measurable; None while there is no such key."""
    try:
        with open(os.path.join(TOP, "lib", "cfg_keys.c")) as f:
            text = f.read()
    except OSError:
        return None
    for m in re.finditer(r'K_(TIME|INT|STR)\("((?:imapd|auth)_[a-z_]*'
                         r'(?:delay|fail|penalty)[a-z_]*)",\s*"([^"]*)"',
                         text):
        kind, name, _default = m.groups()
        if kind == "TIME":
            # millisecond keys are written as such in their defaults
            return name, "1s"
        if kind == "INT":
            return name, "1"
    return None


class RoostIMAP:
    """A roost instance for IMAP tests: users with PASSWORD, the auth
    failure delay set small."""
    oracle = False
    name = "roost"

    def __init__(self):
        self.r = Roost()
        self.delay = None

    def start(self):
        self.r.start()
        key = auth_delay_key()
        if key:
            with open(self.r.conf, "a") as f:
                f.write("%s = %s\n" % key)
            self.r.ctl("restart", "imapd")
            self.delay = key
        self.wait_ready()

    def wait_ready(self):
        wait_greeting(self.port, "* OK", "imapd")

    @property
    def port(self):
        return self.r.port("imap")

    def add_user(self, name, password=PASSWORD):
        self.r.add_user(name, password)

    def smtp_port(self):
        return self.r.port("smtp")

    def configure(self, text):
        """Add roost.conf lines and restart imapd."""
        with open(self.r.conf, "a") as f:
            f.write(text)
        self.r.ctl("restart", "imapd")
        self.wait_ready()

    def finish(self):
        self.r.finish()


class DovecotIMAP:
    """A private Dovecot (IMAP only) with the same users and mailboxes:
    an oracle for the tests themselves."""
    oracle = True
    name = "dovecot"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="imap-oracle-")
        self.port = pick_port_base() + 143
        self.delay = ("auth_failure_delay", "1s")

    def start(self):
        d = self.dir
        os.chmod(d, 0o755)
        os.makedirs(d + "/mail")
        shutil.chown(d + "/mail", "nobody", "nogroup")
        open(d + "/users", "w").close()
        with open(d + "/dovecot.conf", "w") as f:
            f.write("""base_dir = %(d)s/run
state_dir = %(d)s/state
log_path = %(d)s/dovecot.log
instance_name = imap-oracle-%(p)d
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 1s
first_valid_uid = 1
protocol imap {
  mail_max_userip_connections = 1000
}
mail_location = maildir:%(d)s/mail/%%n:LAYOUT=fs
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(p)d
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
passdb {
  driver = passwd-file
  args = %(d)s/users
}
userdb {
  driver = passwd-file
  args = %(d)s/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Archive {
    special_use = \\Archive
    auto = create
  }
}
""" % {"d": d, "p": self.port})
        os.makedirs(d + "/state")
        subprocess.run(["dovecot", "-c", d + "/dovecot.conf"], check=True)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    def add_user(self, name, password=PASSWORD):
        with open(self.dir + "/users", "a") as f:
            f.write("%s:{PLAIN}%s:65534:65534::%s/mail/%s::\n" % (
                name, password, self.dir, name))

    def smtp_port(self):
        pytest.skip("oracle run: SMTP delivery is roost's")

    def configure(self, text):
        pass        # roost's settings; the oracle's limits are raised

    def finish(self):
        subprocess.run(["dovecot", "-c", self.dir + "/dovecot.conf", "stop"],
                       capture_output=True)
        time.sleep(0.3)
        shutil.rmtree(self.dir, ignore_errors=True)


def make_server():
    return DovecotIMAP() if ORACLE == "dovecot" else RoostIMAP()


def roost_only(srv, what):
    """Skip in an oracle run: what is roost's alone."""
    if srv.oracle:
        pytest.skip("oracle run: %s is roost's" % what)


def connect(srv, user, password=PASSWORD):
    c = Client("127.0.0.1", srv.port)
    c.login(user, password)
    return c


def logout(c):
    try:
        c.logout()
    except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
        pass
