"""Backup and restore (issue 10): an archive made from a working database and file store,
restored into an empty database and store, gives back every appeal and every file — on SQLite
and on PostgreSQL; a damaged or foreign archive and a non-empty target are refused untouched."""
import hashlib
import json
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect as sa_inspect

from docflow import create_app
from docflow.backup import BackupError, backup, restore
from docflow.demo import load_demo
from docflow.engine.files import FileVersion, add_file_version, read_version
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body


def _heads(app) -> set[str]:
    from alembic.script import ScriptDirectory
    return set(ScriptDirectory(app.extensions["migrate"].directory).get_heads())


def populate() -> None:
    load_demo()
    for i in range(3):
        appeal = register_appeal(IntakeSchema().load(body(
            external_id=f"BK-{i}", subject=f"Тақырып {i}", applicant__last_name=f"Әлиев-{i}")),
            None).appeal
        for n in range(2):
            add_file_version(appeal, f"attachment-{n}", f"скан {i}/{n} ".encode() * 300, None,
                             filename=f"scan-{i}-{n}.txt", generated=True)
    db.session.commit()


def picture() -> dict:
    """Every appeal (all its columns) and every file version with the checksum of its bytes."""
    columns = [c.key for c in sa_inspect(Appeal).column_attrs]
    appeals = [{k: getattr(a, k) for k in columns} for a in
               db.session.execute(db.select(Appeal).order_by(Appeal.id)).scalars()]
    files = [(v.file.item_id, v.file.name, v.number, v.sha256,
              hashlib.sha256(read_version(v)).hexdigest()) for v in
             db.session.execute(db.select(FileVersion).order_by(FileVersion.id)).scalars()]
    return {"appeals": appeals, "files": files}


def target_app(tmp_path, url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "JOBS_BACKEND": "embedded",
                       "BLOB_STORE": str(tmp_path / "restored-blobs")})


@pytest.fixture
def empty_target(tmp_path, postgres_or_none):
    """The URL of an empty database of the source's kind (a new PostgreSQL database)."""
    if postgres_or_none is None:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"docflow_restore_{uuid.uuid4().hex[:8]}"
    admin = postgres_or_none.url("postgres").replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_or_none.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_or_none(request, db_app):
    return request.getfixturevalue("postgres") if db_app.config[
        "SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else None


@pytest.mark.parametrize("as_tar", [False, True], ids=["folder", "tar"])
def test_backup_restores_every_appeal_and_file(db_app, empty_target, tmp_path, as_tar):
    populate()
    before = picture()
    assert len(before["appeals"]) == 3 and len(before["files"]) == 6
    archive = tmp_path / ("archive.tar.gz" if as_tar else "archive")
    manifest = backup(db_app, archive)
    assert manifest["dialect"] == db.engine.dialect.name
    assert manifest["counts"]["appeal"] == 3 and len(manifest["blobs"]) == 6
    assert manifest["counts"]["user_account"] > 0

    target = target_app(tmp_path, empty_target)
    with target.app_context():
        done = restore(target, archive)
        assert done["blobs"] == 6 and done["rows"] == sum(manifest["counts"].values())
        db.session.remove()
        assert picture() == before
        # the restored store is a real one: the files are read from restored-blobs
        assert any((tmp_path / "restored-blobs").rglob("*"))
        # a second restore into what is now full is refused, and --force replaces it
        with pytest.raises(BackupError, match="already holds data"):
            restore(target, archive)
        restore(target, archive, force=True)
        db.session.remove()
        assert picture() == before
        db.session.remove()
        db.engine.dispose()


def test_damaged_archive_is_refused_before_anything_changes(app, tmp_path):
    populate()
    archive = tmp_path / "archive"
    manifest = backup(app, archive)
    key = next(iter(manifest["blobs"]))
    blob = next(archive.joinpath("blobs").rglob(key))
    blob.write_bytes(blob.read_bytes() + b"!")
    target = target_app(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    with target.app_context():
        with pytest.raises(BackupError, match="missing or damaged"):
            restore(target, archive)
        assert not (tmp_path / "restored.sqlite3").exists() or \
            (tmp_path / "restored.sqlite3").stat().st_size == 0
        assert not (tmp_path / "restored-blobs").exists()
        db.engine.dispose()


@pytest.mark.parametrize("hostile", ["../{tag}.txt", "/tmp/{tag}.txt", "blobs/../../{tag}.txt",
                                     "link"])
def test_forged_archive_members_are_refused_before_anything_is_unpacked(app, tmp_path, hostile):
    """A tar whose members would land outside the folder it is unpacked into, or that holds
    a link, is refused whole: nothing of it is written anywhere, on any Python (Debian 12's
    3.11.2 has no tarfile extraction filter)."""
    import io
    import tarfile
    import tempfile

    populate()
    folder = tmp_path / "archive"
    backup(app, folder)
    tag = f"docflow-planted-{uuid.uuid4().hex}"
    forged = tmp_path / "forged.tar"
    with tarfile.open(forged, "w") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
        info = tarfile.TarInfo(hostile.format(tag=tag))
        if hostile == "link":
            info.type, info.linkname = tarfile.SYMTYPE, f"/tmp/{tag}.txt"
            tar.addfile(info)
        else:
            info.size = len(b"planted")
            tar.addfile(info, io.BytesIO(b"planted"))
    target = target_app(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    with target.app_context():
        with pytest.raises(BackupError, match="not a docflow backup"):
            restore(target, forged)
        db.engine.dispose()
    # the archive is unpacked in a fresh folder under the temporary directory: its parent,
    # and /tmp for the absolute name, are where a planted file would land
    assert not list(Path(tempfile.gettempdir()).glob(f"{tag}*"))
    assert not list(Path("/tmp").glob(f"{tag}*"))
    assert not (tmp_path / "restored-blobs").exists()


def test_unknown_schema_revision_and_other_dialect_are_refused(app, tmp_path):
    populate()
    archive = tmp_path / "archive"
    backup(app, archive)
    path = archive / "manifest.json"
    manifest = json.loads(path.read_text())
    target = target_app(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    with target.app_context():
        path.write_text(json.dumps({**manifest, "schema_revision": "ffffffffffff"}))
        with pytest.raises(BackupError, match="schema revision ffffffffffff"):
            restore(target, archive)
        path.write_text(json.dumps({**manifest, "dialect": "postgresql"}))
        with pytest.raises(BackupError, match="holds a postgresql database"):
            restore(target, archive)
        db.engine.dispose()


def test_restore_refuses_a_non_empty_target(app, tmp_path):
    populate()
    archive = tmp_path / "archive"
    backup(app, archive)
    with pytest.raises(BackupError, match="already holds data"):
        restore(app, archive)
    with pytest.raises(BackupError, match="not empty"):
        backup(app, archive)


def test_cli_backup_and_restore(app, tmp_path):
    populate()
    from sqlalchemy import text
    # as `flask db upgrade` leaves it: the archive records the revision and restore checks it
    head = next(iter(_heads(app)))
    db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    db.session.commit()
    before = picture()
    archive = tmp_path / "site.tar"
    made = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "3" in made.output and "files" in made.output and Path(archive).is_file()
    target = target_app(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    with target.app_context():
        done = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert done.exit_code == 0, done.output
        assert "every row count and file checksum matches" in done.output
        assert f"schema revision {head}" in done.output
        again = target.test_cli_runner().invoke(args=["restore", str(archive)])
        assert again.exit_code != 0 and "--force" in again.output
        db.session.remove()
        assert picture() == before
        db.engine.dispose()


@pytest.fixture
def s3(monkeypatch):
    """moto's in-memory S3 with fake credentials, so nothing can reach a real account."""
    from moto import mock_aws
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        import boto3
        client = boto3.client("s3")
        client.create_bucket(Bucket="restore-test")
        yield client


def test_restore_into_an_s3_store(app, tmp_path, s3):
    """A folder store backed up, restored onto S3 (BLOB_STORE=s3://…): same files, by key."""
    populate()
    before = picture()
    archive = tmp_path / "archive"
    manifest = backup(app, archive)
    target = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
                         "JOBS_BACKEND": "embedded", "BLOB_STORE": "s3://restore-test/docflow"})
    with target.app_context():
        restore(target, archive)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="restore-test")["Contents"]]
        assert sorted(k.rsplit("/", 1)[1] for k in keys) == sorted(manifest["blobs"])
        assert all(k.startswith("docflow/") for k in keys)
        db.session.remove()
        assert picture() == before
        db.session.remove()
        db.engine.dispose()
    # an empty database but a bucket that holds files: refused as well
    again = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'again.sqlite3'}",
                        "JOBS_BACKEND": "embedded", "BLOB_STORE": "s3://restore-test/docflow"})
    with again.app_context():
        with pytest.raises(BackupError, match=r"already holds data \(0 rows\)"):
            restore(again, archive)
        db.engine.dispose()
