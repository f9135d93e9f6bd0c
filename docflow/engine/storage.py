"""Blob storage: file contents kept once by their SHA-256, on a folder or on S3.

Content addressing is what makes file versions cheap and safe: a regenerated letter identical
to the last one costs nothing, two appeals carrying the same scan share one object, and a blob
can never be changed under a version that points at it (its key *is* its content).

The key is the only thing that reaches a path or an object name, so it is checked to be
exactly 64 lowercase hex characters before any use: no `../`, no separators, no surprises.

`BLOB_STORE` (config) picks the store: ``s3://bucket/prefix`` for S3-compatible storage
(``S3_ENDPOINT_URL`` for MinIO and the like; credentials and region come from the usual AWS
environment variables), anything else is a folder (relative paths are under the instance
folder). Both lay objects out alike, ``ab/cd/abcd…``, so a folder can be synced to a bucket.
"""
from __future__ import annotations

import os
import re
import tempfile
from hashlib import sha256
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

_KEY = re.compile(r"[0-9a-f]{64}")


class BlobMissing(KeyError):
    """No blob has this key."""


class InvalidBlobKey(ValueError):
    """The key is not a SHA-256 hex digest; refused before it reaches a path or a bucket."""


@runtime_checkable
class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data` (once) and return its SHA-256 hex digest, the key."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under the key; BlobMissing when there are none."""

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """The size in bytes; BlobMissing when there is no such blob."""


def check_key(key) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidBlobKey(f"not a SHA-256 hex digest: {key!r}")
    return key


def fan_out(key: str) -> str:
    """``ab/cd/abcd…``: two levels of 256 folders keep every folder small."""
    return f"{key[:2]}/{key[2:4]}/{key}"


class FileSystemBlobStore:
    """Blobs as files under `root`. Writes are atomic (temp file in the target folder, fsync,
    `os.replace`, fsync of the folder), so a crash never leaves a half-written blob under a
    real key and concurrent writers of the same content simply replace equal bytes."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileSystemBlobStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / fan_out(check_key(key))

    def put(self, data: bytes) -> str:
        key = sha256(data).hexdigest()
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
        return key

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobMissing(sha256) from None


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3BlobStore:
    """Blobs as objects in an S3-compatible bucket. A PUT is atomic on S3 (an object is
    visible whole or not at all), so no temp object is needed; an existing key is not
    uploaded again."""

    def __init__(self, bucket: str, prefix: str = "", client=None,
                 endpoint_url: str | None = None):
        if client is None:
            import boto3  # only production deployments on S3 need boto3 loaded

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def __repr__(self) -> str:
        return f"S3BlobStore({self.bucket!r}, prefix={self.prefix!r})"

    def object_key(self, key: str) -> str:
        return self.prefix + fan_out(check_key(key))

    def put(self, data: bytes) -> str:
        key = sha256(data).hexdigest()
        if not self.exists(key):
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data,
                                   ContentType="application/octet-stream")
        return key

    def get(self, sha256: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(sha256))
        except self.client.exceptions.ClientError as exc:
            if _not_found(exc):
                raise BlobMissing(sha256) from None
            raise
        return response["Body"].read()

    def _head(self, key: str):
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except self.client.exceptions.ClientError as exc:
            if _not_found(exc):
                return None
            raise

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def size(self, sha256: str) -> int:
        head = self._head(sha256)
        if head is None:
            raise BlobMissing(sha256)
        return head["ContentLength"]


def _not_found(exc) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("404", "NoSuchKey", "NotFound")


def store_from_setting(setting: str, *, base: str | os.PathLike = ".",
                       endpoint_url: str | None = None) -> BlobStore:
    """The store a `BLOB_STORE` value names: ``s3://bucket/prefix`` or a folder."""
    if setting.startswith("s3://"):
        parts = urlsplit(setting)
        if not parts.netloc:
            raise ValueError(f"BLOB_STORE={setting!r} names no bucket (s3://bucket/prefix)")
        return S3BlobStore(parts.netloc, parts.path, endpoint_url=endpoint_url)
    return FileSystemBlobStore(Path(base) / setting)


def blob_store(app) -> BlobStore:
    """The app's store, built once per app (per `BLOB_STORE` value) and kept in
    `app.extensions`: a boto3 client is costly to create and safe to share between threads."""
    setting = str(app.config["BLOB_STORE"])
    endpoint_url = app.config.get("S3_ENDPOINT_URL")
    cached = app.extensions.get("docflow_blob_store")
    if cached and cached[0] == (setting, endpoint_url):
        return cached[1]
    store = store_from_setting(setting, base=app.instance_path, endpoint_url=endpoint_url)
    app.extensions["docflow_blob_store"] = ((setting, endpoint_url), store)
    return store
