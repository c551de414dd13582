"""The local seal: evidence this machine's aima-ci wrote, told apart from files in the checkout.

Whoever opens a pull request controls every file in the checkout, including a committed evidence
directory whose manifest they hashed themselves: a manifest proves the files are consistent with
each other, never who wrote them. The seal is an HMAC-SHA256 over manifest.json with a key that
never lives in the checkout (``$AIMA_CI_SEAL_KEY``, else ``<user cache dir>/seal.key``, created
0600 on first use). ``collect`` and ``merge`` seal what they write; ``score`` re-seals only
evidence whose seal verified before it started; the gate refuses evidence without a valid seal.
Without the key an attacker can edit, delete and re-hash every file, but cannot seal the result.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

from aima_ci.safety.paths import is_inside, user_cache_dir

SEAL = "seal.json"
KEY_ENV = "AIMA_CI_SEAL_KEY"
KEY_FILE = "seal.key"
MIN_ENV_KEY = 16
_DOMAIN = b"aima-ci seal v1\0"


class NoKey(Exception):
    """No usable seal key on this machine (the message says why)."""


def key_file() -> Path:
    return user_cache_dir() / KEY_FILE


def load_key(root: Path | None, *, create: bool = True) -> bytes:
    """The seal key; NoKey when there is none this process may trust.

    A key file inside the repository is never used: the pull request could have committed it.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env) < MIN_ENV_KEY:
            raise NoKey(f"${KEY_ENV} is shorter than {MIN_ENV_KEY} characters")
        return env.encode("utf-8")
    path = key_file()
    if root is not None and is_inside(path.parent, root):
        raise NoKey(f"the seal key folder {path.parent} is inside the checkout; not used")
    data = _read_key(path)
    if data is None and create:
        _create_key(path)
        data = _read_key(path)
    if data is None:
        raise NoKey(f"no seal key at {path}")
    return data


def _read_key(path: Path) -> bytes | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NoKey(f"{path}: cannot read the seal key ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise NoKey(f"{path}: the seal key is not a regular file")
    data = path.read_bytes().strip()
    if len(data) < 32:
        raise NoKey(f"{path}: the seal key is too short")
    return data


def _create_key(path: Path) -> None:
    """A fresh random key, published with link() so two first runs agree on one key."""
    import tempfile  # only on first use: the gate path never needs it

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".seal-", dir=path.parent)
    try:
        os.write(fd, os.urandom(32).hex().encode())
        os.fsync(fd)
        os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def key_id(key: bytes) -> str:
    """Names the key in seal.json without revealing it."""
    return hmac.new(key, b"aima-ci key id", hashlib.sha256).hexdigest()[:16]


def mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, _DOMAIN + data, hashlib.sha256).hexdigest()


def seal(directory: Path, root: Path | None) -> str | None:
    """Seal manifest.json; returns why it could not be sealed (no key), else None."""
    from aima_ci.evidence.directory import MANIFEST, atomic_write

    try:
        key = load_key(root)
    except NoKey as exc:
        remove_seal(directory)
        return str(exc)
    manifest = (directory / MANIFEST).read_bytes()
    record = {
        "version": 1,
        "key_id": key_id(key),
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "mac": mac(key, manifest),
    }
    atomic_write(directory / SEAL, json.dumps(record, indent=2) + "\n")
    return None


def remove_seal(directory: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (directory / SEAL).unlink()


def check_seal(directory: Path, root: Path | None) -> str | None:
    """Why the evidence is not sealed by this machine's key, or None when the seal holds."""
    from aima_ci.evidence.directory import MANIFEST

    path = directory / SEAL
    if path.is_symlink() or not path.is_file():
        why = (
            "not sealed: it was not written by 'aima-ci collect' or 'run' with this machine's"
            f" seal key (or it was scored from unsealed findings); see ${KEY_ENV}"
        )
        try:
            load_key(root, create=False)
        except NoKey as exc:
            why += f" ({exc})"
        return why
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
        manifest = (directory / MANIFEST).read_bytes()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"the seal cannot be read ({exc})"
    if not isinstance(record, dict):
        return f"{SEAL} is malformed"
    try:
        key = load_key(root, create=False)
    except NoKey as exc:
        return f"the seal cannot be checked: {exc}"
    if record.get("key_id") != key_id(key):
        return (
            "sealed with another key (another machine, or another $AIMA_CI_SEAL_KEY): its"
            " origin cannot be checked here"
        )
    if not hmac.compare_digest(str(record.get("mac", "")), mac(key, manifest)):
        return "the seal does not match manifest.json: the evidence changed after aima-ci wrote it"
    return None


def reseal(directory: Path, root: Path | None, sealed_before: bool) -> None:
    """After rewriting the manifest: seal again when the input was sealed, else drop the seal
    (it no longer matches anyway, and an unsealed directory says so plainly)."""
    if sealed_before:
        seal(directory, root)
    else:
        remove_seal(directory)
