"""C2SP tlog-cosignature/v1 with Ed25519 (signature type 0x04): witnesses' keys and signatures.

A cosignature is a signed-note signature line ``— <name> base64(key id || timestamp || sig)``
over the message ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint's text, where the
key id is SHA-256(name || 0x0A || 0x04 || public key)[:4] and the timestamp a big-endian uint64
of POSIX seconds. Keys are written as signed-note keys are (``ledger.audit.note``) with the
type byte 0x04: ``<name>+<hex id>+<base64(0x04 || public key)>`` for the verifier key (vkey),
``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>`` for the witness's own file.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.audit.note import (
    PRIVATE_PREFIX,
    SIGNATURE_PREFIX,
    NoteError,
    PrivateKey,
    decode_b64,
    key_id,
    key_text,
    parse_key_text,
    private_key_tail,
    public_of,
    split_note,
)

ALG_COSIGNATURE_V1: Final = 0x04
HEADER: Final = "cosignature/v1\n"
SIGNATURE_SIZE: Final = 4 + 8 + 64


def cosigner_key_id(name: str, public_raw: bytes) -> int:
    return key_id(name, public_raw, ALG_COSIGNATURE_V1)


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


def parse_cosigner_key(text: str, noun: str) -> tuple[str, int, bytes]:
    """A witness key's name, id and key bytes, from ``key_text``'s form with type 0x04."""
    kind = "an Ed25519 cosignature key (0x04 and 32 bytes)"
    return parse_key_text(text, noun=noun, algorithm=ALG_COSIGNATURE_V1, kind=kind)


@dataclass(frozen=True)
class CosignerVerifier:
    """A witness's public key and name, as a client's policy names it."""

    name: str
    key_id: int
    public_raw: bytes

    @classmethod
    def parse(cls, text: str) -> CosignerVerifier:
        name, written_id, public = parse_cosigner_key(text, "witness verifier key")
        if cosigner_key_id(name, public) != written_id:
            raise NoteError("the witness verifier key's id does not match its name and key")
        return cls(name, written_id, public)

    @property
    def text(self) -> str:
        return key_text(self.name, self.key_id, ALG_COSIGNATURE_V1, self.public_raw)

    @property
    def label(self) -> str:
        """How the ledger files this witness's cosignatures: ``<name>+<hex id>``."""
        return f"{self.name}+{self.key_id:08x}"

    def timestamp_of(self, checkpoint_text: str, line: str) -> int | None:
        """The cosignature's time if ``line`` is this key's valid cosignature on the text,
        None if the line is another key's; NoteError if it is this key's and does not verify."""
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        if name != self.name:
            return None
        signature = decode_b64(encoded, "a cosignature")
        if len(signature) < 4 or int.from_bytes(signature[:4], "big") != self.key_id:
            return None
        if len(signature) != SIGNATURE_SIZE:
            raise NoteError(f"witness {self.name}: a cosignature is {SIGNATURE_SIZE} bytes")
        timestamp = int.from_bytes(signature[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(
                signature[12:], cosigned_message(checkpoint_text, timestamp)
            )
        except InvalidSignature:
            raise NoteError(f"witness {self.name}: the cosignature does not verify") from None
        return timestamp

    def cosigned(self, note: str) -> int | None:
        """The time this witness cosigned the signed note ``note``, None if it did not."""
        text, _ = split_note(note)
        for line in note[len(text) + 1 :].splitlines():
            timestamp = self.timestamp_of(text, line)
            if timestamp is not None:
                return timestamp
        return None


class CosignerKey(PrivateKey):
    """A witness's Ed25519 private key with its name: kept in a file by the witness."""

    @classmethod
    def parse(cls, text: str) -> CosignerKey:
        tail = private_key_tail(text, "witness key")
        name, written_id, seed = parse_cosigner_key(tail, "witness key")
        return cls.checked(name, written_id, seed, "witness key")

    @property
    def text(self) -> str:
        written_id = self.verifier.key_id
        return PRIVATE_PREFIX + key_text(self.name, written_id, ALG_COSIGNATURE_V1, self.seed)

    @property
    def verifier(self) -> CosignerVerifier:
        public = public_of(self.seed)
        return CosignerVerifier(self.name, cosigner_key_id(self.name, public), public)

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line (without its newline) on a checkpoint's text at ``timestamp``."""
        if not 0 <= timestamp < 2**63:
            raise NoteError("a cosignature's timestamp is 0 to 2^63 - 1")
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        signature = private.sign(cosigned_message(checkpoint_text, timestamp))
        blob = self.verifier.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}"
