"""C2SP signed notes and tlog checkpoints, with Ed25519 keys in the signed-note key formats.

A signed note (c2sp.org/signed-note) is UTF-8 text ending in a newline, a blank line, then one
line per signature: an em dash, the key's name and base64 of the 4-byte key id followed by the
signature. The key id is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key),
0x01 being Ed25519's signature type. Keys are written as Go's golang.org/x/mod/sumdb/note writes
them (``PRIVATE+KEY+<name>+<hex id>+<base64>`` and ``<name>+<hex id>+<base64>``), so keys and
notes work with the Go tools and witnesses that speak the format; the Go package's own test
vectors check this module.

A checkpoint (c2sp.org/tlog-checkpoint) is a note whose text is the log's origin, its size in
decimal and its root hash in base64, one per line.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Final, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat
from cryptography.hazmat.primitives.serialization import NoEncryption

from ledger.errors import NoteError

ALG_ED25519: Final = 0x01
SIGNATURE_PREFIX: Final = "\u2014 "  # an em dash and a space
PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
MAX_SIGNATURES: Final = 100
HEX_ID = re.compile(r"[0-9a-f]{8}")


def valid_key_name(name: str) -> bool:
    """A key name is non-empty UTF-8 without spaces and without '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


KEY_FORM: Final = "<name>+<8 hex digits>+<base64 key>"


def key_id(name: str, public_raw: bytes, algorithm: int = ALG_ED25519) -> int:
    """SHA-256(name || 0x0A || signature type || public key)[:4], as a number."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_raw).digest()
    return int.from_bytes(digest[:4], "big")


def key_text(name: str, key_id: int, algorithm: int, raw: bytes) -> str:
    """``<name>+<hex id>+<base64(type || key)>``: a verifier key, or a private key's tail."""
    return f"{name}+{key_id:08x}+{base64.b64encode(bytes([algorithm]) + raw).decode()}"


def parse_key_text(
    text: str, *, noun: str, algorithm: int, kind: str, form: str = KEY_FORM
) -> tuple[str, int, bytes]:
    """The name, key id and 32 key bytes of ``key_text``'s form; NoteError naming ``noun``."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not valid_key_name(parts[0]) or not HEX_ID.fullmatch(parts[1]):
        raise NoteError(f"a {noun} is {form}")
    key = decode_b64(parts[2], f"the {noun}")
    if len(key) != 33 or key[0] != algorithm:
        raise NoteError(f"the {noun} is not {kind}")
    return parts[0], int(parts[1], 16), key[1:]


def private_key_tail(text: str, noun: str) -> str:
    """What follows ``PRIVATE+KEY+`` in a private key's text; NoteError naming ``noun`` if absent."""
    stripped = text.strip()
    if not stripped.startswith(PRIVATE_PREFIX):
        raise NoteError(f"a {noun} starts with PRIVATE+KEY+")
    return stripped[len(PRIVATE_PREFIX) :]


def new_seed(name: str) -> bytes:
    """A fresh Ed25519 private key's 32 bytes, for a key to be called ``name``."""
    if not valid_key_name(name):
        raise NoteError("a key name is non-empty, without spaces and without '+'")
    private = Ed25519PrivateKey.generate()
    return private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def public_of(seed: bytes) -> bytes:
    """The raw public key of an Ed25519 seed."""
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class VerifierKey:
    """A public key and its name: what an auditor needs to check the ledger's checkpoints."""

    name: str
    key_id: int
    public_raw: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        verifier = cls(
            *parse_key_text(
                text,
                noun="verifier key",
                algorithm=ALG_ED25519,
                kind="an Ed25519 key (0x01 and 32 bytes)",
            )
        )
        if key_id(verifier.name, verifier.public_raw) != verifier.key_id:
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    @property
    def text(self) -> str:
        return key_text(self.name, self.key_id, ALG_ED25519, self.public_raw)

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class KeyIdentified(Protocol):
    """A verifier key, as far as a private key's file needs it: its id."""

    @property
    def key_id(self) -> int: ...


@dataclass(frozen=True)
class PrivateKey:
    """An Ed25519 private key with its name, kept in a file: the ledger's signing key or a
    witness's; the two differ in their verifier keys (and ids), and in what they sign."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, new_seed(name))

    @classmethod
    def checked(cls, name: str, written_id: int, seed: bytes, noun: str) -> Self:
        """The key read from a file, once the id written in it is the one its name and key give."""
        key = cls(name, seed)
        if key.verifier.key_id != written_id:
            raise NoteError(f"the {noun}'s id does not match its name and key")
        return key

    @property
    def verifier(self) -> KeyIdentified:
        raise NotImplementedError


class SigningKey(PrivateKey):
    """An Ed25519 private key with its name; kept in a file, never in the database."""

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        """``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``."""
        name, written_id, seed = parse_key_text(
            private_key_tail(text, "signing key"),
            noun="signing key",
            algorithm=ALG_ED25519,
            kind="an Ed25519 key (0x01 and a 32-byte seed)",
            form=PRIVATE_PREFIX + KEY_FORM,
        )
        return cls.checked(name, written_id, seed, "signing key")

    @property
    def text(self) -> str:
        return PRIVATE_PREFIX + key_text(self.name, self.verifier.key_id, ALG_ED25519, self.seed)

    @functools.cached_property
    def verifier(self) -> VerifierKey:
        """Derived once per key: every signature names it (a seal signs once per commit)."""
        public = public_of(self.seed)
        return VerifierKey(self.name, key_id(self.name, public), public)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    @functools.cached_property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)


def sign_note(text: str, key: SigningKey) -> str:
    """The note ``text`` signed by ``key``."""
    _check_text(text)
    signature = key.verifier.key_id.to_bytes(4, "big") + key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{key.name} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, verifier: VerifierKey) -> str:
    """The text of ``note`` once ``verifier``'s signature on it checks; NoteError otherwise."""
    text, signatures = split_note(note)
    found = False
    for name, signature in signatures:
        if name != verifier.name or int.from_bytes(signature[:4], "big") != verifier.key_id:
            continue  # another key's signature (a witness's, say): not ours to check
        if not verifier.verifies(text.encode(), signature[4:]):
            raise NoteError(f"invalid signature for key {verifier.name}+{verifier.key_id:08x}")
        found = True
    if not found:
        raise NoteError(f"the note has no signature by {verifier.name}+{verifier.key_id:08x}")
    return text


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A note's text and its (key name, key id + signature) lines, checked for form only."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("malformed note: no blank line before its signatures")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    _check_text(text)
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: between 1 and 100 signature lines are needed")
    signatures = []
    for line in lines:
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        if not line.startswith(SIGNATURE_PREFIX) or not valid_key_name(name) or " " in encoded:
            raise NoteError("malformed note: a signature line is '\u2014 <name> <base64>'")
        signature = decode_b64(encoded, "a signature")
        if len(signature) < 5:
            raise NoteError("malformed note: a signature is too short")
        signatures.append((name, signature))
    return text, signatures


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, size and root hash: the text a signed checkpoint commits to."""

    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or not lines[0] or lines[-1] != "":
            raise NoteError("a checkpoint is origin, size and root hash, one per line")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError("a checkpoint's size is a decimal number without leading zeros")
        root_bytes = decode_b64(root, "the checkpoint's root hash")
        if len(root_bytes) != 32:
            raise NoteError("a checkpoint's root hash is 32 bytes")
        return cls(origin, int(size), root_bytes)


def open_checkpoint(note: str, verifier: VerifierKey) -> Checkpoint:
    """A signed checkpoint's content, once its signature checks."""
    return Checkpoint.parse(open_note(note, verifier))


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("malformed note: its text is non-empty lines, each ending in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("malformed note: control characters are not allowed")


def decode_b64(text: str, what: str) -> bytes:
    """Strict base64, or NoteError saying ``what`` was not."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
