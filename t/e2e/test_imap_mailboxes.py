"""imapd mailbox commands end to end: LIST and LSUB (RFC 3501, RFC 9051,
LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS RFC 5819),
STATUS, NAMESPACE, CREATE (hierarchy, CREATE-SPECIAL-USE, modified
UTF-7 and UTF8=ACCEPT names), DELETE, RENAME, SUBSCRIBE/UNSUBSCRIBE and
APPEND (flags, date-time, literal8, MULTIAPPEND, APPENDUID, TOOBIG,
TRYCREATE, OVERQUOTA).

Exact server lines are checked through a small raw client (Imap below)
that sends literals itself; imaplib is used where its own parsing is
the point (a real client must be able to use the replies).
"""
import datetime
import imaplib
import os
import re
import socket
import subprocess
import uuid

import pytest

from roost import BIN

PASSWORD = "pw-mailboxes"


# -- helpers -----------------------------------------------------------------
def add_user(r, name, password=PASSWORD):
    cmd = [os.path.join(BIN, "roostctl"), "-d", r.dir, "--port-base",
           str(r.port_base), "user", "add", name, "--password-stdin"]
    res = subprocess.run(cmd, input=password + "\n", text=True,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr


def show(r, user, box="INBOX"):
    """roostctl mailbox show: [(uid, flags, size, date, modseq, file)]."""
    res = r.ctl("mailbox", "show", user, box, check=False)
    assert res.returncode == 0, res.stderr
    return [tuple(line.split("\t")) for line in res.stdout.splitlines()]


def message_file(r, user, name):
    with open(r.path("store", "u", user, "msg", name), "rb") as f:
        return f.read()


class Lit:
    """A literal in a command: {n} (sync), {n+} (LITERAL+) or ~{n}."""

    def __init__(self, data, plus=False, eight=False):
        self.data = data if isinstance(data, bytes) else data.encode()
        self.plus = plus
        self.eight = eight


class Imap:
    """A raw IMAP client: sends commands with literals and returns the
    response lines as the server wrote them (literals inlined)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=20)
        self.f = self.sock.makefile("rb")
        self.n = 0
        self.greeting = self.line()

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def line(self):
        data = self.f.readline()
        if not data:
            raise EOFError("server closed the connection")
        while True:
            m = re.search(rb"~?\{(\d+)\}\r\n$", data)
            if not m:
                break
            data += self.f.read(int(m.group(1)))
            data += self.f.readline()
        return data

    def send(self, *parts):
        """Send one command of text and Lit parts; (tagged, untagged)
        where both are str without CRLF (undecodable bytes escaped)."""
        self.n += 1
        tag = "t%d" % self.n
        buf = tag.encode() + b" "
        untagged = []
        for p in parts:
            if isinstance(p, Lit):
                buf += b"%s{%d%s}\r\n" % (b"~" if p.eight else b"",
                                          len(p.data),
                                          b"+" if p.plus else b"")
                if not p.plus:
                    self.sock.sendall(buf)
                    buf = b""
                    while True:
                        resp = self.line()
                        if resp.startswith(b"+"):
                            break
                        text = self.text(resp)
                        if text.startswith(tag + " "):
                            return text, untagged
                        untagged.append(text)
                buf += p.data
            else:
                buf += p.encode() if isinstance(p, str) else p
        self.sock.sendall(buf + b"\r\n")
        while True:
            text = self.text(self.line())
            if text.startswith(tag + " "):
                return text, untagged
            untagged.append(text)

    @staticmethod
    def text(b):
        return b.decode("utf-8", "surrogateescape").rstrip("\r\n")

    def ok(self, *parts):
        tagged, untagged = self.send(*parts)
        assert tagged.split(" ")[1] == "OK", (parts, tagged, untagged)
        return tagged, untagged

    def lines(self, *parts, kind=None):
        """The untagged lines of a command that must succeed (only those
        starting "* kind " when kind is given)."""
        _, untagged = self.ok(*parts)
        if kind is None:
            return untagged
        return [u for u in untagged if u.startswith("* %s " % kind)]


def status(tagged):
    """"t5 NO [TRYCREATE] ..." -> ("NO", "TRYCREATE")."""
    m = re.match(r"\S+ (OK|NO|BAD)(?: \[([^\] ]+)[^\]]*\])?", tagged)
    assert m, tagged
    return m.group(1), m.group(2)


def parse_list(line):
    """A LIST/LSUB line -> (attributes, delimiter, name, rest) with the
    name decoded from a quoted string or a literal."""
    m = re.match(r'\* (?:LIST|LSUB) \(([^)]*)\) "/" ', line)
    assert m, line
    rest = line[m.end():]
    lm = re.match(r"\{(\d+)\}\r\n", rest)
    if lm:
        raw = rest[lm.end():].encode("utf-8", "surrogateescape")
        n = int(lm.group(1))
        name = raw[:n].decode("utf-8")
        tail = raw[n:].decode("utf-8")
    else:
        qm = re.match(r'"((?:[^"\\]|\\.)*)"', rest)
        assert qm, line
        name = re.sub(r"\\(.)", r"\1", qm.group(1))
        tail = rest[qm.end():]
    return m.group(1).split(), "/", name, tail


def names(lines):
    return [parse_list(x)[2] for x in lines]


def parse_status(line):
    m = re.match(r'\* STATUS (".*"|\S+) \((.*)\)$', line)
    assert m, line
    items = m.group(2).split()
    return m.group(1).strip('"'), dict(zip(items[::2],
                                           map(int, items[1::2])))


def msg(marker="x", extra=""):
    return ("From: <a@example.test>\r\nSubject: %s\r\n%s\r\nbody %s\r\n"
            % (marker, extra, marker))


# -- fixtures ----------------------------------------------------------------
@pytest.fixture(scope="module")
def inst(roost):
    return roost


@pytest.fixture
def user(inst):
    name = "mb%s@example.test" % uuid.uuid4().hex[:10]
    add_user(inst, name)
    return name


@pytest.fixture
def c(inst, user):
    cl = Imap(inst.port("imap"))
    cl.ok("LOGIN", ' "%s" "%s"' % (user, PASSWORD))
    yield cl
    cl.close()


class imap_lib:
    """imaplib, logged in, for a with block."""

    def __init__(self, inst, user):
        self.m = imaplib.IMAP4("127.0.0.1", inst.port("imap"), timeout=20)
        self.user = user

    def __enter__(self):
        self.m.login(self.user, PASSWORD)
        return self.m

    def __exit__(self, *exc):
        if exc[0] is None:
            self.m.logout()
        else:
            self.m.shutdown()


def connect(inst, user, *enable):
    cl = Imap(inst.port("imap"))
    cl.ok("LOGIN", ' "%s" "%s"' % (user, PASSWORD))
    if enable:
        cl.ok("ENABLE " + " ".join(enable))
    return cl


DEFAULT = ['* LIST () "/" "INBOX"',
           '* LIST (\\Archive) "/" "Archive"',
           '* LIST (\\Drafts) "/" "Drafts"',
           '* LIST (\\Junk) "/" "Junk"',
           '* LIST (\\Sent) "/" "Sent"',
           '* LIST (\\Trash) "/" "Trash"']


# -- LIST --------------------------------------------------------------------
def test_list_all_of_a_new_user(c):
    tagged, untagged = c.ok('LIST "" "*"')
    assert untagged == DEFAULT
    assert tagged.endswith("OK LIST completed")


def test_list_delimiter_and_root(c):
    assert c.lines('LIST "" ""') == ['* LIST (\\Noselect) "/" ""']
    assert c.lines('LIST "foo/bar" ""') == ['* LIST (\\Noselect) "/" "foo/"']
    assert c.lines('LIST "foo" ""') == ['* LIST (\\Noselect) "/" ""']
    # extended syntax keeps the rule (RFC 5258 3)
    assert c.lines('LIST () "" ""') == ['* LIST (\\Noselect) "/" ""']


def test_list_with_imaplib(inst, user):
    with imap_lib(inst, user) as m:
        typ, data = m.list()
        assert typ == "OK"
        assert data == [d[len("* LIST "):].encode() for d in DEFAULT]
        typ, data = m.list('""', "%")
        assert typ == "OK" and len(data) == 6


def test_list_wildcards_and_reference(c):
    c.ok('CREATE "a/b/c"')
    c.ok('CREATE "a-x"')
    c.ok('CREATE "ab"')
    # INBOX first, then by name with "/" before any other octet
    assert names(c.lines('LIST "" "%"')) == [
        "INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash", "a", "a-x",
        "ab"]
    assert names(c.lines('LIST "" "a/%"')) == ["a/b"]
    assert names(c.lines('LIST "" "a/*"')) == ["a/b", "a/b/c"]
    assert names(c.lines('LIST "" "a*"')) == ["a", "a/b", "a/b/c", "a-x",
                                              "ab"]
    assert names(c.lines('LIST "" "a%"')) == ["a", "a-x", "ab"]
    assert names(c.lines('LIST "" "*c"')) == ["a/b/c"]
    assert names(c.lines('LIST "" "%/%/%"')) == ["a/b/c"]
    # the reference is put in front of the pattern (RFC 3501 6.3.8)
    assert names(c.lines('LIST "a/" "%"')) == ["a/b"]
    assert names(c.lines('LIST "a/b/" "*"')) == ["a/b/c"]
    assert names(c.lines('LIST "a" "%"')) == ["a", "a-x", "ab"]
    # a pattern from the root ignores the reference (the RFC's table)
    assert c.lines('LIST "a" "/b"') == []
    # atoms work as patterns too, and nothing matches nothing
    assert names(c.lines("LIST \"\" a/b/*")) == ["a/b/c"]
    assert c.lines('LIST "" "zzz*"') == []
    # a pathological pattern must not take long
    assert c.lines('LIST "" "' + "*a" * 40 + '*b"') == []


def test_list_inbox_is_case_insensitive(c):
    c.ok('CREATE "INBOX/sub"')
    assert c.lines('LIST "" "inbox"') == ['* LIST () "/" "INBOX"']
    assert names(c.lines('LIST "" "InBox/*"')) == ["INBOX/sub"]
    assert names(c.lines('LIST "" "INBOX*"')) == ["INBOX", "INBOX/sub"]


def test_list_children_attributes(inst, user, c):
    c.ok('CREATE "p/q"')
    want = ['* LIST (\\HasNoChildren) "/" "INBOX"',
            '* LIST (\\HasChildren) "/" "p"']
    got = c.lines('LIST "" ("INBOX" "p") RETURN (CHILDREN)')
    assert got == want
    # plain LIST in IMAP4rev1 does not add them ...
    assert c.lines('LIST "" "p"') == ['* LIST () "/" "p"']
    # ... IMAP4rev2 always does (RFC 9051 6.3.9)
    r2 = connect(inst, user, "IMAP4rev2")
    try:
        assert r2.lines('LIST "" "p*"') == [
            '* LIST (\\HasChildren) "/" "p"',
            '* LIST (\\HasNoChildren) "/" "p/q"']
        assert r2.lines('LIST "" "Sent"') == [
            '* LIST (\\HasNoChildren \\Sent) "/" "Sent"']
    finally:
        r2.close()


def test_list_hidden_levels(c):
    c.ok('CREATE "h/i/j"')
    c.ok('DELETE "h"')
    c.ok('DELETE "h/i"')
    # "%" last: the levels above existing mailboxes are \Noselect
    assert c.lines('LIST "" "h"') == []
    assert c.lines('LIST "" "h%"') == ['* LIST (\\Noselect) "/" "h"']
    assert c.lines('LIST "" "h/%"') == ['* LIST (\\Noselect) "/" "h/i"']
    assert c.lines('LIST "" "h%" RETURN (CHILDREN)') == [
        '* LIST (\\Noselect \\HasChildren) "/" "h"']
    # "*" lists the mailboxes only
    assert names(c.lines('LIST "" "h*"')) == ["h/i/j"]
    # the child kept its name and works
    c.ok('STATUS "h/i/j" (MESSAGES)')
    # a mailbox can be created where a hidden level was
    c.ok('CREATE "h"')
    assert c.lines('LIST "" "h%"') == ['* LIST () "/" "h"']


def test_list_several_patterns(c):
    assert names(c.lines('LIST "" ("INBOX" "Sent" "Tr*")')) == [
        "INBOX", "Sent", "Trash"]
    # a mailbox matching twice is listed once; "" among others is no-op
    assert names(c.lines('LIST "" ("S*" "*t" "")')) == ["Sent"]
    tagged, _ = c.send('LIST "" ()')
    assert status(tagged)[0] == "BAD"


def test_list_special_use(c):
    c.ok('CREATE "Mine"')
    got = c.lines('LIST (SPECIAL-USE) "" "*"')
    assert got == DEFAULT[1:]
    assert c.lines('LIST "" "*" RETURN (SPECIAL-USE)') == DEFAULT[:4] + \
        ['* LIST () "/" "Mine"'] + DEFAULT[4:]


def test_list_subscribed(c):
    c.ok('CREATE "s/t/u"')
    c.ok('SUBSCRIBE "s/t/u"')
    c.ok('UNSUBSCRIBE "Junk"')
    got = c.lines('LIST (SUBSCRIBED) "" "*"')
    assert got == ['* LIST (\\Subscribed) "/" "INBOX"',
                   '* LIST (\\Subscribed \\Archive) "/" "Archive"',
                   '* LIST (\\Subscribed \\Drafts) "/" "Drafts"',
                   '* LIST (\\Subscribed \\Sent) "/" "Sent"',
                   '* LIST (\\Subscribed \\Trash) "/" "Trash"',
                   '* LIST (\\Subscribed) "/" "s/t/u"']
    got = c.lines('LIST "" "*" RETURN (SUBSCRIBED)')
    assert '* LIST (\\Junk) "/" "Junk"' in got
    assert '* LIST () "/" "s"' in got
    assert '* LIST (\\Subscribed) "/" "s/t/u"' in got
    # REMOTE changes nothing here: we have no remote mailboxes
    assert c.lines('LIST (REMOTE SUBSCRIBED) "" "s/*"') == [
        '* LIST (\\Subscribed) "/" "s/t/u"']
    # without RECURSIVEMATCH, unsubscribed parents are not listed
    assert c.lines('LIST (SUBSCRIBED) "" "s%"') == []


def test_list_recursivematch(c):
    c.ok('CREATE "r/m/n"')
    c.ok('SUBSCRIBE "r/m/n"')
    assert c.lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "r%"') == [
        '* LIST () "/" "r" ("CHILDINFO" ("SUBSCRIBED"))']
    assert c.lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "r/%"') == [
        '* LIST () "/" "r/m" ("CHILDINFO" ("SUBSCRIBED"))']
    # all descendants match "*": no CHILDINFO needed
    assert c.lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "r*"') == [
        '* LIST (\\Subscribed) "/" "r/m/n"']
    # a parent that is gone is \NonExistent
    c.ok('DELETE "r"')
    assert c.lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "r%"') == [
        '* LIST (\\NonExistent) "/" "r" ("CHILDINFO" ("SUBSCRIBED"))']
    # a subscribed parent with subscribed children: both facts
    c.ok('CREATE "r"')
    c.ok('SUBSCRIBE "r"')
    assert c.lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "r%"') == [
        '* LIST (\\Subscribed) "/" "r" ("CHILDINFO" ("SUBSCRIBED"))']


def test_list_bad_options(c):
    for cmd in ('LIST (RECURSIVEMATCH) "" "*"',
                'LIST (REMOTE RECURSIVEMATCH) "" "*"',
                'LIST (FOO) "" "*"',
                'LIST "" "*" RETURN (FOO)',
                'LIST "" "*" RETURN (STATUS)',
                'LIST "" "*" RETURN (STATUS ())',
                'LIST "" "*" RETURN (STATUS (FOO))',
                'LIST "" "*" RETURN',
                'LIST "" "*" NORETURN ()',
                'LIST ""',
                'LIST',
                'LSUB "" ("*")'):
        tagged, untagged = c.send(cmd)
        assert status(tagged)[0] == "BAD", (cmd, tagged)
        assert untagged == [], cmd


def test_list_status(c):
    c.ok('CREATE "w/x"')
    c.ok('DELETE "w"')
    c.ok("APPEND INBOX (\\Seen)", " ", Lit(msg("one")))
    c.ok("APPEND INBOX", " ", Lit(msg("two")))
    got = c.lines('LIST "" ("INBOX" "w%" "Sent") '
                  'RETURN (STATUS (MESSAGES UNSEEN SIZE))')
    assert got[0] == '* LIST () "/" "INBOX"'
    name, items = parse_status(got[1])
    assert name == "INBOX"
    assert list(items) == ["MESSAGES", "UNSEEN", "SIZE"]
    assert items["MESSAGES"] == 2 and items["UNSEEN"] == 1
    assert items["SIZE"] == len(msg("one")) + len(msg("two"))
    assert got[2] == '* LIST (\\Sent) "/" "Sent"'
    assert got[3] == '* STATUS "Sent" (MESSAGES 0 UNSEEN 0 SIZE 0)'
    # a level that is no mailbox gets no STATUS (RFC 5819)
    assert got[4:] == ['* LIST (\\Noselect) "/" "w"']


def test_lsub(c):
    c.ok('CREATE "l/m/n"')
    c.ok('SUBSCRIBE "l/m/n"')
    c.ok('UNSUBSCRIBE "Junk"')
    assert c.lines('LSUB "" "*"') == [
        '* LSUB () "/" "INBOX"', '* LSUB () "/" "Archive"',
        '* LSUB () "/" "Drafts"', '* LSUB () "/" "Sent"',
        '* LSUB () "/" "Trash"', '* LSUB () "/" "l/m/n"']
    # "%" hides the level of the subscribed child: \Noselect parent
    assert c.lines('LSUB "" "l%"') == ['* LSUB (\\Noselect) "/" "l"']
    assert c.lines('LSUB "l/" "%"') == ['* LSUB (\\Noselect) "/" "l/m"']
    assert c.lines('LSUB "" "l/m/%"') == ['* LSUB () "/" "l/m/n"']
    c.ok('SUBSCRIBE "l"')
    assert c.lines('LSUB "" "l%"') == ['* LSUB () "/" "l"']
    assert c.lines('LSUB "" "Junk"') == []


def test_list_utf8_and_mutf7_names(inst, user, c):
    c.ok('CREATE "&ZeVnLIqe-"')
    assert c.lines('LIST "" "&ZeVnLIqe-"') == [
        '* LIST () "/" "&ZeVnLIqe-"']
    # wildcards work on the decoded name
    assert c.lines('LIST "" "&ZeU-*"') == ['* LIST () "/" "&ZeVnLIqe-"']
    u = connect(inst, user, "UTF8=ACCEPT")
    try:
        got = u.lines('LIST "" "*"')
        assert "日本語" in names(got)
        u.ok("CREATE", " ", Lit("Überweisung/Zweig".encode()))
        got = u.lines("LIST", ' "" ', Lit("Über*".encode()))
        assert names(got) == ["Überweisung", "Überweisung/Zweig"]
        _, st = u.ok("STATUS", " ", Lit("Überweisung".encode()),
                     " (MESSAGES)")
        assert "MESSAGES 0" in st[0]
    finally:
        u.close()
    # the same names seen by a client without UTF8=ACCEPT
    assert c.lines('LIST "" "&ANw-*"') == [
        '* LIST () "/" "&ANw-berweisung"',
        '* LIST () "/" "&ANw-berweisung/Zweig"']
    # not valid modified UTF-7
    for bad in ('"&Jjo"', '"&U,BTFw-&ZeVnLIqe-"', '"a&"'):
        tagged, _ = c.send("CREATE " + bad)
        assert status(tagged)[0] == "NO", (bad, tagged)


# -- STATUS, NAMESPACE -------------------------------------------------------
def test_status_every_item(inst, user, c):
    c.ok("APPEND INBOX (\\Seen \\Deleted)", " ", Lit(msg("1")))
    tagged, _ = c.ok("APPEND INBOX ()", " ", Lit(msg("22")))
    uidvalidity = int(re.search(r"APPENDUID (\d+) 2\]", tagged).group(1))
    got = c.lines("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY "
                  "UNSEEN SIZE HIGHESTMODSEQ DELETED)")
    assert len(got) == 1
    name, items = parse_status(got[0])
    assert name == "INBOX"
    assert list(items) == ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
                           "UNSEEN", "SIZE", "HIGHESTMODSEQ", "DELETED"]
    assert items["MESSAGES"] == 2
    assert items["RECENT"] == 2
    assert items["UIDNEXT"] == 3
    assert items["UIDVALIDITY"] == uidvalidity
    assert items["UNSEEN"] == 1
    assert items["SIZE"] == len(msg("1")) + len(msg("22"))
    assert items["DELETED"] == 1
    modseq = max(int(x[4]) for x in show(inst, user))
    assert items["HIGHESTMODSEQ"] >= modseq > 0
    # lower case, another mailbox, one item
    assert c.lines('status "Sent" (uidnext)') == [
        '* STATUS "Sent" (UIDNEXT 1)']
    # only INBOX is case-insensitive
    tagged, _ = c.send('STATUS "sent" (UIDNEXT)')
    assert status(tagged) == ("NO", "NONEXISTENT")
    # imaplib can read it
    with imap_lib(inst, user) as m:
        typ, data = m.status("INBOX", "(MESSAGES DELETED)")
        assert typ == "OK"
        assert data == [b'"INBOX" (MESSAGES 2 DELETED 1)']


def test_status_errors(c):
    tagged, untagged = c.send('STATUS "nosuch" (MESSAGES)')
    assert status(tagged) == ("NO", "NONEXISTENT") and untagged == []
    for cmd in ('STATUS INBOX (FOO)', 'STATUS INBOX ()',
                'STATUS INBOX MESSAGES', 'STATUS INBOX', 'STATUS'):
        tagged, untagged = c.send(cmd)
        assert status(tagged)[0] == "BAD", (cmd, tagged)
        assert untagged == []


def test_namespace(inst, user, c):
    assert c.lines("NAMESPACE") == ['* NAMESPACE (("" "/")) NIL NIL']
    with imap_lib(inst, user) as m:
        assert m.namespace() == ("OK", [b'(("" "/")) NIL NIL'])


# -- CREATE ------------------------------------------------------------------
def test_create_hierarchy_and_errors(c):
    c.ok('CREATE "x/y/z"')
    assert names(c.lines('LIST "" "x*"')) == ["x", "x/y", "x/y/z"]
    # the trailing separator is dropped (RFC 3501 6.3.3)
    c.ok('CREATE "t/"')
    assert c.lines('LIST "" "t*"') == ['* LIST () "/" "t"']
    tagged, _ = c.send('CREATE "t"')
    assert status(tagged) == ("NO", "ALREADYEXISTS")
    tagged, _ = c.send('CREATE "x/y"')
    assert status(tagged) == ("NO", "ALREADYEXISTS")
    tagged, _ = c.send('CREATE "inbox"')
    assert status(tagged) == ("NO", "ALREADYEXISTS")
    c.ok('CREATE "inbox/child"')
    assert names(c.lines('LIST "" "INBOX/*"')) == ["INBOX/child"]
    for bad in ('"a//b"', '"/"', '"/lead"', '""', '"tab\there"'):
        tagged, _ = c.send("CREATE " + bad)
        assert status(tagged)[0] == "NO", (bad, tagged)
    for bad in ("CREATE", 'CREATE "a" "b"', 'CREATE "a" (FOO (\\Sent))',
                'CREATE "a" (USE)', 'CREATE "a" (USE \\Sent)'):
        tagged, _ = c.send(bad)
        assert status(tagged)[0] == "BAD", (bad, tagged)
    assert c.lines('LIST "" "a"') == []


def test_create_special_use(c):
    c.ok('CREATE "MySent" (USE (\\Sent))')
    assert c.lines('LIST "" "MySent"') == ['* LIST (\\Sent) "/" "MySent"']
    c.ok('CREATE "Everything" (USE (\\All \\Flagged))')
    assert c.lines('LIST "" "Everything"') == [
        '* LIST (\\All \\Flagged) "/" "Everything"']
    tagged, _ = c.send('CREATE "Odd" (USE (\\Important))')
    assert status(tagged) == ("NO", "USEATTR")
    assert c.lines('LIST "" "Odd"') == []
    assert "MySent" in names(c.lines('LIST (SPECIAL-USE) "" "*"'))


# -- DELETE ------------------------------------------------------------------
def test_delete(inst, user, c):
    tagged, _ = c.send("DELETE INBOX")
    assert status(tagged)[0] == "NO"
    tagged, _ = c.send('DELETE "inbox"')
    assert status(tagged)[0] == "NO"
    tagged, _ = c.send('DELETE "nosuch"')
    assert status(tagged) == ("NO", "NONEXISTENT")
    c.ok('CREATE "d/e"')
    c.ok("APPEND d", " ", Lit(msg("in d")))
    c.ok('DELETE "d"')
    # the child keeps its name (as Dovecot does)
    assert c.lines('LIST "" "d*"') == ['* LIST () "/" "d/e"']
    tagged, _ = c.send('STATUS "d" (MESSAGES)')
    assert status(tagged) == ("NO", "NONEXISTENT")
    # the name can be used again, empty and with a new UIDVALIDITY
    c.ok('CREATE "d"')
    _, items = parse_status(c.lines('STATUS "d" (MESSAGES UIDNEXT)')[0])
    assert items == {"MESSAGES": 0, "UIDNEXT": 1}
    tagged, _ = c.send("DELETE")
    assert status(tagged)[0] == "BAD"


def test_delete_selected_mailbox(c):
    c.ok('CREATE "sel"')
    c.ok("APPEND sel", " ", Lit(msg("s")))
    c.ok('SELECT "sel"')
    tagged, untagged = c.ok('DELETE "sel"')
    assert not any(u.startswith("* BYE") for u in untagged)
    # no longer selected, and the session goes on
    tagged, _ = c.send("FETCH 1 FLAGS")
    assert status(tagged)[0] == "BAD"
    c.ok("NOOP")
    assert c.lines('LIST "" "sel"') == []


# -- RENAME ------------------------------------------------------------------
def test_rename_with_children(c):
    c.ok('CREATE "p/q/r"')
    c.ok('SUBSCRIBE "p/q"')
    c.ok("APPEND p/q", " ", Lit(msg("pq")))
    c.ok('RENAME "p" "n/o"')
    assert names(c.lines('LIST "" "*"'))[6:] == [
        "n", "n/o", "n/o/q", "n/o/q/r"]
    assert c.lines('LIST "" "p*"') == []
    # messages and subscription moved with the mailbox
    _, items = parse_status(c.lines('STATUS "n/o/q" (MESSAGES)')[0])
    assert items["MESSAGES"] == 1
    assert c.lines('LSUB "" "n/o/*"') == ['* LSUB () "/" "n/o/q"']


def test_rename_errors(c):
    c.ok('CREATE "k1"')
    c.ok('CREATE "k2"')
    tagged, _ = c.send('RENAME "k1" "k2"')
    assert status(tagged) == ("NO", "ALREADYEXISTS")
    tagged, _ = c.send('RENAME "k1" "inbox"')
    assert status(tagged) == ("NO", "ALREADYEXISTS")
    tagged, _ = c.send('RENAME "nosuch" "k3"')
    assert status(tagged) == ("NO", "NONEXISTENT")
    tagged, _ = c.send('RENAME "k1" "k1/k"')
    assert status(tagged)[0] == "NO"
    tagged, _ = c.send('RENAME "k1" "a//b"')
    assert status(tagged)[0] == "NO"
    tagged, _ = c.send('RENAME "k1"')
    assert status(tagged)[0] == "BAD"
    assert names(c.lines('LIST "" "k*"')) == ["k1", "k2"]


def test_rename_inbox(inst, user, c):
    c.ok("APPEND INBOX", " ", Lit(msg("i1")))
    c.ok("APPEND INBOX", " ", Lit(msg("i2")))
    c.ok('CREATE "INBOX/kid"')
    c.ok('RENAME "INBOX" "Old/Mail"')
    # the messages moved; INBOX stays, empty, with its children
    # (RFC 3501 6.3.5)
    got = {}
    for line in c.lines('LIST "" "*" RETURN (STATUS (MESSAGES))'):
        if line.startswith("* STATUS"):
            n, items = parse_status(line)
            got[n] = items["MESSAGES"]
    assert got["INBOX"] == 0
    assert got["Old/Mail"] == 2
    assert got["INBOX/kid"] == 0
    assert len(show(inst, user, "Old/Mail")) == 2
    c.ok("APPEND INBOX", " ", Lit(msg("i3")))
    assert len(show(inst, user)) == 1


def test_rename_selected_mailbox(c):
    c.ok('CREATE "f/g"')
    c.ok("APPEND f/g", " ", Lit(msg("fg")))
    c.ok('SELECT "f/g"')
    # a superior of the selected mailbox: it stays selected
    tagged, untagged = c.ok('RENAME "f" "e"')
    assert not any(u.startswith("* BYE") for u in untagged)
    _, untagged = c.ok("NOOP")
    assert untagged == []
    _, items = parse_status(c.lines('STATUS "e/g" (MESSAGES)')[0])
    assert items["MESSAGES"] == 1
    # renaming the selected INBOX takes its messages away: expunged
    c.ok("APPEND INBOX", " ", Lit(msg("i1")))
    c.ok("APPEND INBOX", " ", Lit(msg("i2")))
    c.ok("SELECT INBOX")
    _, untagged = c.ok('RENAME "INBOX" "Kept"')
    assert untagged == ["* 1 EXPUNGE", "* 1 EXPUNGE"]


# -- SUBSCRIBE ---------------------------------------------------------------
def test_subscribe_unsubscribe(inst, user, c):
    c.ok('CREATE "sub"')
    assert c.lines('LSUB "" "sub"') == []
    c.ok('SUBSCRIBE "sub"')
    c.ok('SUBSCRIBE "sub"')  # twice is fine
    assert c.lines('LSUB "" "sub"') == ['* LSUB () "/" "sub"']
    assert c.lines('LIST "" "sub" RETURN (SUBSCRIBED)') == [
        '* LIST (\\Subscribed) "/" "sub"']
    c.ok('UNSUBSCRIBE "sub"')
    assert c.lines('LSUB "" "sub"') == []
    c.ok('UNSUBSCRIBE "sub"')
    # a name that does not exist cannot be subscribed here (RFC 3501
    # 6.3.6 lets a server check)
    tagged, _ = c.send('SUBSCRIBE "nosuch"')
    assert status(tagged) == ("NO", "NONEXISTENT")
    tagged, _ = c.send("SUBSCRIBE")
    assert status(tagged)[0] == "BAD"
    # deleting a mailbox does not unsubscribe its name (RFC 3501
    # 6.3.4): LSUB shows it \Noselect, LIST (SUBSCRIBED) \NonExistent,
    # plain LIST not at all
    c.ok('SUBSCRIBE "sub"')
    c.ok('DELETE "sub"')
    assert c.lines('LSUB "" "sub"') == ['* LSUB (\\Noselect) "/" "sub"']
    assert c.lines('LIST (SUBSCRIBED) "" "sub"') == [
        '* LIST (\\NonExistent \\Subscribed) "/" "sub"']
    assert c.lines('LIST "" "sub"') == []
    assert not [ln for ln in c.lines('LIST "" "*" RETURN (SUBSCRIBED)')
                if ln.endswith(' "sub"')]
    # made again, it is subscribed, once
    c.ok('CREATE "sub"')
    assert c.lines('LSUB "" "sub"') == ['* LSUB () "/" "sub"']
    assert c.lines('LIST (SUBSCRIBED) "" "sub"') == [
        '* LIST (\\Subscribed) "/" "sub"']
    # and UNSUBSCRIBE ends the subscription of a deleted one
    c.ok('DELETE "sub"')
    c.ok('UNSUBSCRIBE "sub"')
    assert c.lines('LSUB "" "sub"') == []
    assert c.lines('LIST (SUBSCRIBED) "" "sub"') == []
    tagged, _ = c.send('UNSUBSCRIBE "sub"')
    assert status(tagged)[0] == "NO"
    with imap_lib(inst, user) as m:
        assert m.subscribe("Junk")[0] == "OK"
        assert m.unsubscribe("Junk")[0] == "OK"
        typ, data = m.lsub()
        assert typ == "OK" and b'() "/" "Junk"' not in data


# -- APPEND ------------------------------------------------------------------
def test_append_imaplib_flags_and_date(inst, user):
    with imap_lib(inst, user) as m:
        when = datetime.datetime(2024, 2, 29, 13, 14, 15,
                                 tzinfo=datetime.timezone(
                                     datetime.timedelta(hours=2)))
        typ, data = m.append("Drafts", "(\\Draft \\Seen $Work)",
                             imaplib.Time2Internaldate(when),
                             msg("draft").replace("\r\n", "\n").encode())
        assert typ == "OK", data
        m_ = re.match(rb"\[APPENDUID (\d+) 1\] APPEND completed", data[0])
        assert m_, data
        typ, data = m.append("Drafts", None, None, msg("plain").encode())
        assert typ == "OK" and b"APPENDUID %s 2]" % m_.group(1) in data[0]
    rows = show(inst, user, "Drafts")
    assert len(rows) == 2
    uid, flags, size, date, _, fname = rows[0]
    assert uid == "1"
    assert set(flags.split(",")) == {"\\Seen", "\\Draft", "\\Recent",
                                     "$Work"}
    assert date == "2024-02-29T11:14:15Z"
    # bare LFs were stored as CRLF
    assert message_file(inst, user, fname) == msg("draft").encode()
    assert int(size) == len(msg("draft"))
    assert rows[1][1] == "\\Recent"


def test_append_dates(inst, user, c):
    good = {'"01-Jan-2020 00:00:00 +0000"': "2020-01-01T00:00:00Z",
            '" 2-feb-2021 23:59:59 -0130"': "2021-02-03T01:29:59Z",
            '"31-Dec-1999 12:00:00 +1200"': "1999-12-31T00:00:00Z"}
    for d in good:
        c.ok("APPEND INBOX () %s" % d, " ", Lit(msg("d")))
    dates = [row[3] for row in show(inst, user)]
    assert dates == list(good.values())
    for d in ('"1-Jan-2020 00:00:00 +0000"', '"32-Jan-2020 00:00:00 +0000"',
              '"29-Feb-2023 00:00:00 +0000"', '"01-Foo-2020 00:00:00 +0000"',
              '"01-Jan-2020 24:00:00 +0000"', '"01-Jan-2020 00:60:00 +0000"',
              '"01-Jan-2020 00:00:00 0000"', '"01-Jan-2020 00:00:00 +0060"',
              '"01-Jan-2020 00:00:00"', '"01-Jan-20 00:00:00 +0000"',
              '"2020-01-01T00:00:00Z"', '""', "01-Jan-2020"):
        tagged, _ = c.send("APPEND INBOX %s" % d, " ", Lit(msg("bad")))
        assert status(tagged)[0] == "BAD", (d, tagged)
    assert len(show(inst, user)) == 3


def test_append_flags(inst, user, c):
    c.ok("APPEND INBOX (\\Answered \\Flagged \\Deleted $Label1 Junk)", " ",
         Lit(msg("f")))
    flags = show(inst, user)[0][1].split(",")
    assert set(flags) == {"\\Answered", "\\Flagged", "\\Deleted",
                          "\\Recent", "$Label1", "Junk"}
    for f in ("(\\Recent)", "(\\Unknown)", '("quoted")', "((nested))",
              "(\\Seen"):
        tagged, _ = c.send("APPEND INBOX %s" % f, " ", Lit(msg("f")))
        assert status(tagged)[0] == "BAD", (f, tagged)
    assert len(show(inst, user)) == 1


def test_append_errors(inst, user, c):
    tagged, _ = c.send('APPEND "nosuch"', " ", Lit(msg("n")))
    assert status(tagged) == ("NO", "TRYCREATE")
    tagged, _ = c.send('APPEND "a//b"', " ", Lit(msg("n")))
    assert status(tagged)[0] == "NO"
    # an empty message is refused
    tagged, _ = c.send("APPEND INBOX", " ", Lit(b""))
    assert status(tagged)[0] == "NO"
    # the message must be a literal
    for cmd in ('APPEND INBOX "From: x"', "APPEND INBOX", "APPEND",
                'APPEND INBOX (\\Seen) "01-Jan-2020 00:00:00 +0000"'):
        tagged, _ = c.send(cmd)
        assert status(tagged)[0] == "BAD", (cmd, tagged)
    assert show(inst, user) == []


def test_append_literal8_and_nul(inst, user, c):
    data = b"Subject: bin\r\n\r\n\x00\x01\x02 binary\r\n"
    tagged, _ = c.send("APPEND INBOX", " ", Lit(data, eight=True))
    assert status(tagged) == ("OK", "APPENDUID"), tagged
    rows = show(inst, user)
    assert message_file(inst, user, rows[0][5]) == data
    # NUL in a normal literal: BAD (RFC 3516 4.4)
    tagged, _ = c.send("APPEND INBOX", " ", Lit(data))
    assert status(tagged)[0] == "BAD"
    # the UTF8 data item (RFC 6855) once UTF8=ACCEPT is on
    c.ok("ENABLE UTF8=ACCEPT")
    utf = "Subject: Grüße\r\n\r\nÄ\r\n".encode()
    tagged, _ = c.send("APPEND INBOX (\\Seen) UTF8 (",
                       Lit(utf, eight=True), ")")
    assert status(tagged)[0] == "OK", tagged
    rows = show(inst, user)
    assert len(rows) == 2
    assert message_file(inst, user, rows[1][5]) == utf


def test_multiappend(inst, user, c):
    c.ok('CREATE "multi"')
    tagged, _ = c.send(
        'APPEND "multi" (\\Seen) "05-Mar-2022 10:00:00 +0000" ',
        Lit(msg("m1")), " ", Lit(msg("m2"), plus=True),
        " (\\Flagged $X) ", Lit(msg("m3")))
    st, code = status(tagged)
    assert (st, code) == ("OK", "APPENDUID"), tagged
    uv = re.search(r"APPENDUID (\d+) ([0-9:,]+)\]", tagged)
    assert uv.group(2) == "1:3"
    rows = show(inst, user, "multi")
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert rows[0][3] == "2022-03-05T10:00:00Z"
    assert set(rows[0][1].split(",")) == {"\\Seen", "\\Recent"}
    assert rows[1][1] == "\\Recent"
    assert set(rows[2][1].split(",")) == {"\\Flagged", "\\Recent", "$X"}
    _, items = parse_status(c.lines('STATUS "multi" (UIDVALIDITY)')[0])
    assert items["UIDVALIDITY"] == int(uv.group(1))
    # all or nothing: one bad message spoils the command
    tagged, _ = c.send('APPEND "multi" ', Lit(msg("m4")), " ",
                       Lit(b"x\x00y"))
    assert status(tagged)[0] == "BAD"
    tagged, _ = c.send('APPEND "multi" ', Lit(msg("m4")), " () ",
                       Lit(b""))
    assert status(tagged)[0] == "NO"
    assert len(show(inst, user, "multi")) == 3
    # the next UIDs go on from there
    tagged, _ = c.ok('APPEND "multi" ', Lit(msg("m5"), plus=True), " ",
                     Lit(msg("m6"), plus=True))
    assert re.search(r"APPENDUID \d+ 4:5\]", tagged)


def test_append_overquota(inst, user, c):
    c.ok("APPEND INBOX", " ", Lit(msg("small")))
    inst.ctl("user", "quota", user, "1k")
    big = msg("big", "X-Pad: " + "p" * 800 + "\r\n")
    c.ok("APPEND INBOX", " ", Lit(big))
    tagged, _ = c.send("APPEND INBOX", " ", Lit(big))
    assert status(tagged) == ("NO", "OVERQUOTA"), tagged
    assert len(show(inst, user)) == 2
    # MULTIAPPEND: the first would fit, the second not: neither is stored
    inst.ctl("user", "quota", user, "2k")
    tagged, _ = c.send("APPEND INBOX ", Lit(big), " ", Lit(big))
    assert status(tagged) == ("NO", "OVERQUOTA"), tagged
    assert len(show(inst, user)) == 2
    c.ok("APPEND INBOX ", Lit(big))
    assert len(show(inst, user)) == 3


def test_append_to_selected_mailbox(c):
    c.ok('CREATE "live"')
    c.ok('SELECT "live"')
    tagged, untagged = c.ok('APPEND "live"', " ", Lit(msg("l1")))
    # the session reports the new message itself (EXISTS), once
    assert untagged.count("* 1 EXISTS") == 1, untagged
    c.ok("NOOP")


def test_append_toobig(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("message_size_limit = 1k\n")
    fresh.ctl("restart", "imapd")
    name = "big@example.test"
    add_user(fresh, name)
    cl = Imap(fresh.port("imap"))
    try:
        cl.ok("LOGIN", ' "%s" "%s"' % (name, PASSWORD))
        # the limit is announced (RFC 7889)
        _, untagged = cl.ok("CAPABILITY")
        assert " APPENDLIMIT=1024" in untagged[0]
        # over the limit: refused before the octets are sent
        tagged, untagged = cl.send("APPEND INBOX", " ", Lit(b"x" * 2000))
        assert status(tagged) == ("NO", "TOOBIG"), tagged
        cl.ok("NOOP")
        # under the limit as sent, over it once bare LFs became CRLF
        body = b"Subject: lf\n\n" + b"0123456789\n" * 90
        assert len(body) <= 1024 < len(body.replace(b"\n", b"\r\n"))
        tagged, _ = cl.send("APPEND INBOX", " ", Lit(body))
        assert status(tagged) == ("NO", "TOOBIG"), tagged
        cl.ok("APPEND INBOX", " ", Lit(b"Subject: ok\r\n\r\nfits\r\n"))
        assert len(show(fresh, name)) == 1
    finally:
        cl.close()
