"""Blob stores: the same behaviour on a folder and on S3 (moto), and the choice by BLOB_STORE."""
import os
from hashlib import sha256

import pytest
from flask import Flask

from docflow.engine import storage
from docflow.engine.storage import (
    BlobMissing,
    BlobStore,
    FileSystemBlobStore,
    InvalidBlobKey,
    S3BlobStore,
    blob_store,
)

BUCKET = "docflow-test"


@pytest.fixture(scope="module")
def _mocked_s3():
    """moto's in-memory S3, started once for the module (starting it costs about a second);
    fake credentials so nothing can reach a real account."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            import boto3

            yield boto3.client("s3")


@pytest.fixture
def aws(_mocked_s3):
    """The S3 client with a new, empty bucket named BUCKET for this test."""
    for bucket in _mocked_s3.list_buckets()["Buckets"]:
        listing = _mocked_s3.list_objects_v2(Bucket=bucket["Name"])
        for item in listing.get("Contents", []):
            _mocked_s3.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        _mocked_s3.delete_bucket(Bucket=bucket["Name"])
    _mocked_s3.create_bucket(Bucket=BUCKET)
    return _mocked_s3


def _fs_objects(store):
    return sorted(str(p.relative_to(store.root.parent)) for p in store.root.rglob("*") if p.is_file())


def _s3_objects(store):
    listing = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture(params=["filesystem", "s3"])
def store(request, tmp_path):
    """Each store with a way to list what it really holds (files or objects)."""
    if request.param == "filesystem":
        made = FileSystemBlobStore(tmp_path / "blobs")
        made.list_objects = lambda: _fs_objects(made)
    else:
        client = request.getfixturevalue("aws")
        made = S3BlobStore(BUCKET, prefix="blobs", client=client)
        made.list_objects = lambda: _s3_objects(made)
    return made


DATA = "Өтініш ә ғ қ ң ө ұ ү һ і".encode()
KEY = sha256(DATA).hexdigest()


def test_is_a_blob_store(store):
    assert isinstance(store, BlobStore)


def test_put_returns_the_sha256_and_get_returns_the_bytes(store):
    assert store.put(DATA) == KEY
    assert store.get(KEY) == DATA
    assert store.exists(KEY)
    assert store.size(KEY) == len(DATA)


def test_same_bytes_are_stored_once(store):
    assert store.put(DATA) == store.put(bytes(DATA)) == KEY
    assert store.put(b"other") != KEY
    objects = store.list_objects()
    assert len(objects) == 2
    assert objects.count(f"blobs/{KEY[:2]}/{KEY[2:4]}/{KEY}") == 1


def test_layout_fans_out_by_key(store):
    store.put(DATA)
    assert store.list_objects() == [f"blobs/{KEY[:2]}/{KEY[2:4]}/{KEY}"]


def test_empty_blob(store):
    key = store.put(b"")
    assert key == sha256(b"").hexdigest()
    assert store.get(key) == b""
    assert store.size(key) == 0


def test_missing_blob(store):
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(BlobMissing):
        store.get(missing)
    with pytest.raises(KeyError):  # BlobMissing is a KeyError, as callers may catch it so
        store.size(missing)


BAD_KEYS = ["../../etc/passwd", "../" + "a" * 61, KEY.upper(), KEY[:63], KEY + "0",
            KEY + "\n", "/" + KEY[1:], KEY[:2] + "/" + KEY[3:], "", " " * 64,
            "g" * 64, None, 123, KEY.encode()]


@pytest.mark.parametrize("bad", BAD_KEYS, ids=repr)
def test_bad_keys_are_refused(store, bad):
    for method in (store.get, store.exists, store.size):
        with pytest.raises(InvalidBlobKey):
            method(bad)


# --- the folder store -----------------------------------------------------------------------

def test_fs_write_is_atomic_temp_file_fsync_replace(tmp_path, monkeypatch):
    store = FileSystemBlobStore(tmp_path)
    target = store.path(KEY)
    calls = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst):
        calls.append(("replace", os.path.dirname(src), str(dst), target.exists(),
                      open(src, "rb").read()))
        real_replace(src, dst)

    def fsync(fd):
        calls.append(("fsync",))
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    store.put(DATA)
    replaces = [c for c in calls if c[0] == "replace"]
    # the final name appears only by rename of a complete, synced temp file in the same folder
    assert replaces == [("replace", str(target.parent), str(target), False, DATA)]
    assert calls.index(replaces[0]) > calls.index(("fsync",))
    assert calls[-1] == ("fsync",)  # the folder, so the rename survives a crash
    assert target.read_bytes() == DATA


def test_fs_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    store = FileSystemBlobStore(tmp_path)

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(DATA)
    assert not store.exists(KEY)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_fs_leftover_temp_file_is_not_a_blob(tmp_path):
    store = FileSystemBlobStore(tmp_path)
    store.path(KEY).parent.mkdir(parents=True)
    (store.path(KEY).parent / ".tmp-crashed").write_bytes(DATA[:3])
    assert not store.exists(KEY)
    assert store.put(DATA) == KEY and store.get(KEY) == DATA


def test_fs_existing_blob_is_not_rewritten(tmp_path, monkeypatch):
    store = FileSystemBlobStore(tmp_path)
    store.put(DATA)
    monkeypatch.setattr(os, "replace", lambda *a: pytest.fail("rewrote an existing blob"))
    assert store.put(DATA) == KEY


def test_s3_existing_blob_is_not_uploaded_again(aws, monkeypatch):
    store = S3BlobStore(BUCKET, client=aws)
    store.put(DATA)
    monkeypatch.setattr(aws, "put_object", lambda **kw: pytest.fail("uploaded again"))
    assert store.put(DATA) == KEY
    assert _s3_objects(store) == [f"{KEY[:2]}/{KEY[2:4]}/{KEY}"]  # no prefix: at the root


# --- choosing the store ---------------------------------------------------------------------

@pytest.fixture
def bare_app(tmp_path):
    """A bare Flask app: blob_store reads only app.config and app.extensions."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    return app


def test_blob_store_is_a_folder_by_default(bare_app, tmp_path):
    bare_app.config["BLOB_STORE"] = str(tmp_path / "shared")
    store = blob_store(bare_app)
    assert isinstance(store, FileSystemBlobStore)
    assert store.root == tmp_path / "shared"
    assert blob_store(bare_app) is store  # cached per app
    key = store.put(DATA)
    assert (tmp_path / "shared" / KEY[:2] / KEY[2:4] / key).read_bytes() == DATA


def test_relative_folder_is_under_the_instance_folder(bare_app, tmp_path):
    bare_app.config["BLOB_STORE"] = "blobs"
    assert blob_store(bare_app).root == tmp_path / "instance" / "blobs"


def test_blob_store_on_s3(bare_app, aws):
    bare_app.config.update(BLOB_STORE=f"s3://{BUCKET}/docflow/prod",
                           S3_ENDPOINT_URL="https://s3.example.kz")
    store = blob_store(bare_app)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (BUCKET, "docflow/prod/")
    assert store.client.meta.endpoint_url == "https://s3.example.kz"
    assert blob_store(bare_app) is store


def test_blob_store_on_s3_stores_under_the_prefix(bare_app, aws):
    bare_app.config["BLOB_STORE"] = f"s3://{BUCKET}/docflow/prod"
    key = blob_store(bare_app).put(DATA)
    assert aws.get_object(Bucket=BUCKET, Key=f"docflow/prod/{KEY[:2]}/{KEY[2:4]}/{key}")[
        "Body"].read() == DATA


def test_changing_the_setting_builds_a_new_store(bare_app, tmp_path):
    bare_app.config["BLOB_STORE"] = str(tmp_path / "one")
    first = blob_store(bare_app)
    bare_app.config["BLOB_STORE"] = str(tmp_path / "two")
    assert blob_store(bare_app) is not first
    assert blob_store(bare_app).root == tmp_path / "two"


def test_s3_setting_without_bucket_is_an_error():
    with pytest.raises(ValueError, match="bucket"):
        storage.store_from_setting("s3:///prefix")
