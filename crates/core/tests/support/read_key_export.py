"""Reads a room-key export following the Matrix specification's "Key export format", written
independently of matrix-sdk: if Estafette's exports drift from the spec (that Element reads and
writes), this fails. Usage: read_key_export.py FILE PASSPHRASE. Prints one room ID per session.
"""

import base64
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HEADER = "-----BEGIN MEGOLM SESSION DATA-----"
FOOTER = "-----END MEGOLM SESSION DATA-----"
SESSION_FIELDS = {"algorithm", "room_id", "sender_key", "session_id", "session_key"}


def read(path: str, passphrase: str) -> list:
    text = open(path, encoding="ascii").read().strip()
    if not (text.startswith(HEADER) and text.endswith(FOOTER)):
        raise ValueError("not armoured as MEGOLM SESSION DATA")
    body = base64.b64decode("".join(text[len(HEADER) : -len(FOOTER)].split()))
    if body[0] != 1:
        raise ValueError(f"unknown version {body[0]}")
    salt, iv = body[1:17], body[17:33]
    (rounds,) = struct.unpack(">I", body[33:37])
    ciphertext, mac = body[37:-32], body[-32:]
    keys = hashlib.pbkdf2_hmac("sha512", passphrase.encode(), salt, rounds, 64)
    aes_key, hmac_key = keys[:32], keys[32:]
    if not hmac.compare_digest(hmac.new(hmac_key, body[:-32], hashlib.sha256).digest(), mac):
        raise ValueError("wrong passphrase or corrupted file")
    decryptor = Cipher(algorithms.AES(aes_key), modes.CTR(iv)).decryptor()
    sessions = json.loads(decryptor.update(ciphertext) + decryptor.finalize())
    for session in sessions:
        missing = SESSION_FIELDS - session.keys()
        if missing:
            raise ValueError(f"a session lacks {sorted(missing)}")
        if session["algorithm"] != "m.megolm.v1.aes-sha2":
            raise ValueError(f"unexpected algorithm {session['algorithm']}")
    return sessions


if __name__ == "__main__":
    for found in read(sys.argv[1], sys.argv[2]):
        print(found["room_id"])
