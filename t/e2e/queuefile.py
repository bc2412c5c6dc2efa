"""Read roost queue files (lib/mail/rec.h): typed records, each a type byte,
a LEB128 payload length and the payload, ending with an 'E' record."""


class Corrupt(Exception):
    pass


def records(data, end="E"):
    """[(type, payload)] of a whole file; Corrupt if malformed (or, with
    end set, not ended by that record type)."""
    out, i = [], 0
    while i < len(data):
        t = chr(data[i])
        i += 1
        n, shift = 0, 0
        while True:
            if i >= len(data) or shift > 28:
                raise Corrupt("truncated length")
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if i + n > len(data):
            raise Corrupt("record past the end")
        out.append((t, data[i:i + n]))
        i += n
    if end and (not out or out[-1][0] != end):
        raise Corrupt("no end record")
    return out


def status(path):
    """The status file at path (lib/mail/qstatus.h) as a list of {name: value}
    dicts, [] when there is none."""
    try:
        with open(path, "rb") as f:
            recs = records(f.read(), end=None)
    except FileNotFoundError:
        return []
    out = []
    for t, p in recs:
        assert t == "Q", t
        out.append(dict(l.split("=", 1) for l in p.decode().splitlines()
                        if l))
    return out


def read(path):
    """The entry at path as a dict: sender, rcpt list, attrs, content."""
    with open(path, "rb") as f:
        recs = records(f.read())
    e = {"sender": None, "rcpt": [], "attrs": {}, "content": b""}
    for t, p in recs:
        if t == "S":
            e["sender"] = p.decode()
        elif t == "R":
            e["rcpt"].append(p.decode())
        elif t == "A":
            k, _, v = p.decode(errors="replace").partition("=")
            e["attrs"][k] = v
        elif t == "D":
            e["content"] += p
        elif t == "V":
            e["version"] = p.decode()
    return e
