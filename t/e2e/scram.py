"""A SCRAM client (RFC 5802, RFC 7677) written from the RFCs with
hashlib and hmac only, so the tests check roost's server side against
code that shares nothing with it."""
import base64
import hashlib
import hmac
import os

HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


def _b64(b):
    return base64.b64encode(b).decode()


class ScramClient:
    def __init__(self, mech, user, password, nonce=None):
        self.h = HASHES[mech]
        self.user = user.replace("=", "=3D").replace(",", "=2C")
        self.password = password.encode()
        self.nonce = nonce or _b64(os.urandom(18))
        self.bare = "n=%s,r=%s" % (self.user, self.nonce)
        self.server_sig = None

    def first(self):
        return "n,," + self.bare

    def first_b64(self):
        return _b64(self.first().encode())

    def final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        if not attrs["r"].startswith(self.nonce):
            raise ValueError("server nonce does not extend ours")
        salt = base64.b64decode(attrs["s"])
        iters = int(attrs["i"])
        salted = hashlib.pbkdf2_hmac(self.h, self.password, salt, iters)
        client_key = hmac.new(salted, b"Client Key", self.h).digest()
        stored = hashlib.new(self.h, client_key).digest()
        without_proof = "c=biws,r=" + attrs["r"]
        auth = ",".join([self.bare, server_first, without_proof]).encode()
        sig = hmac.new(stored, auth, self.h).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        server_key = hmac.new(salted, b"Server Key", self.h).digest()
        self.server_sig = hmac.new(server_key, auth, self.h).digest()
        return without_proof + ",p=" + _b64(proof)

    def final_b64(self, server_first_b64):
        return _b64(self.final(
            base64.b64decode(server_first_b64).decode()).encode())

    def verify(self, server_final):
        if server_final != "v=" + _b64(self.server_sig):
            raise ValueError("server signature does not match: %r"
                             % server_final)

    def verify_b64(self, server_final_b64):
        self.verify(base64.b64decode(server_final_b64).decode())
