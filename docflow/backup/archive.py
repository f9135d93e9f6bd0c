"""Back up and restore the database and the file store as one archive.

An archive is a folder (or the same folder as a ``.tar`` / ``.tar.gz``)::

    manifest.json      format, dialect, schema revision, row counts, sha256 of every file
    database.sqlite3   SQLite: a copy made with sqlite3's online backup API
    database.pgdump    PostgreSQL: pg_dump --format=custom
    blobs/ab/cd/abcd…  every file content the database refers to, named by its SHA-256

The copy is consistent: on SQLite the backup API copies one snapshot; on PostgreSQL the counts
and the list of files are read in a REPEATABLE READ transaction whose snapshot pg_dump shares
(``--snapshot``), so a file written meanwhile is in neither or in both.

Restore checks the whole archive (every blob's SHA-256, the dump's checksum, the schema
revision, the dialect) before it touches anything, refuses a target that already holds data
unless forced, then compares the restored row counts and every file with the manifest.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import create_engine, inspect, text

from ..engine.storage import FileSystemBlobStore, S3BlobStore, blob_store, check_key, fan_out
from ..extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
BLOB_QUERY = "SELECT DISTINCT sha256 FROM engine_file_version"


class BackupError(RuntimeError):
    """The backup or restore cannot be done as asked; the message says why."""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _counts(conn) -> dict[str, int]:
    present = set(inspect(conn).get_table_names())
    return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
            for name in _tables() if name in present}


def _revision(conn) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None  # a schema made by create_all (tests), not by migrations
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _known_revisions(app) -> set[str]:
    from alembic.script import ScriptDirectory
    folder = app.extensions["migrate"].directory
    return {s.revision for s in ScriptDirectory(folder).walk_revisions()}


def _pg_tool(name: str) -> str:
    """The newest pg_dump / pg_restore installed (a dump needs a client >= the server)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise BackupError(f"{name} was not found: install the PostgreSQL client "
                          "(Debian package postgresql-client) to back up or restore PostgreSQL.")
    return path


def _pg_args(url) -> tuple[list[str], dict]:
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password  # not on the command line, where `ps` shows it
    return args, env


def _run(cmd: list[str], env: dict, what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip() or done.returncode}")


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


# ----------------------------------------------------------------------------- backup

def backup(app, dest: str | os.PathLike) -> dict:
    """Write an archive of the app's database and files to ``dest``; returns the manifest."""
    dest = Path(dest)
    as_tar = dest.name.endswith((".tar", ".tar.gz", ".tgz"))
    if dest.exists() and (as_tar or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not empty; give a new path.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the destination and moved in place at the end: a failed backup leaves
    # no half archive that looks like a whole one.
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".backup-") as tmp:
        work = Path(tmp) / "archive"
        work.mkdir()
        manifest = _write(app, work)
        if as_tar:
            mode = "w:gz" if dest.name.endswith(("gz", ".tgz")) else "w"
            with tarfile.open(Path(tmp) / "archive.tar", mode) as tar:
                for path in sorted(work.rglob("*")):
                    tar.add(path, arcname=str(path.relative_to(work)), recursive=False)
            os.replace(Path(tmp) / "archive.tar", dest)
        else:
            if dest.exists():
                dest.rmdir()
            os.replace(work, dest)
    return manifest


def _write(app, work: Path) -> dict:
    engine = db.engine
    dialect = engine.dialect.name
    if dialect == "sqlite":
        target = work / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(engine.url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        snapshot = create_engine(f"sqlite:///{target}")
        try:
            with snapshot.connect() as conn:
                counts, revision = _counts(conn), _revision(conn)
                blobs = sorted(conn.execute(text(BLOB_QUERY)).scalars())
        finally:
            snapshot.dispose()
        db_file = SQLITE_FILE
    elif dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.begin()
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts, revision = _counts(conn), _revision(conn)
            blobs = sorted(conn.execute(text(BLOB_QUERY)).scalars())
            args, env = _pg_args(engine.url)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot_id}", "--file", str(work / PG_FILE), *args],
                 env, "pg_dump")
            conn.rollback()
        db_file = PG_FILE
    else:
        raise BackupError(f"Backing up a {dialect} database is not supported.")

    store = blob_store(app)
    sizes = {}
    for key in blobs:
        data = store.get(check_key(key))
        if hashlib.sha256(data).hexdigest() != key:
            raise BackupError(f"The stored file {key} does not match its checksum: "
                              "the file store is damaged; the backup was not made.")
        path = work / "blobs" / fan_out(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        sizes[key] = len(data)

    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": dialect,
        "database": {"file": db_file, "sha256": _sha256_file(work / db_file)},
        "schema_revision": revision,
        "counts": counts,
        "blobs": sizes,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    return manifest


# ---------------------------------------------------------------------------- restore

@contextmanager
def _opened(src: Path):
    if src.is_dir():
        yield src
        return
    if not src.is_file():
        raise BackupError(f"No archive at {src}.")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(src) as tar:
                members = _plain_members(tar, src)
                if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: the stdlib's check too
                    tar.extractall(tmp, members=members, filter="data")
                else:
                    tar.extractall(tmp, members=members)
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{src} is not a readable archive: {exc}") from exc
        yield Path(tmp)


def _plain_members(tar: tarfile.TarFile, src: Path) -> list[tarfile.TarInfo]:
    """The archive's members, refused whole unless each is a plain file or folder with a
    relative name that stays inside the folder it is unpacked into: no absolute path, no ``..``,
    no link, device or pipe. A backup holds nothing else, so anything else is a damaged or
    forged archive. (The stdlib's ``filter="data"`` checks much the same, but Debian 12's
    Python 3.11.2 predates it.)"""
    members = tar.getmembers()
    for member in members:
        name = PurePosixPath(member.name)
        inside = not name.is_absolute() and ".." not in name.parts and "\\" not in member.name
        if not (inside and (member.isdir() or (member.isfile() and name.parts))):
            raise BackupError(f"{src} is not a docflow backup: it holds {member.name!r}, "
                              "which is not a plain file or folder inside the archive.")
    return members


def verify_archive(app, folder: Path) -> dict:
    """Check the archive before anything is changed; returns its manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"The archive has no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown archive format {manifest.get('format')!r}.")
    dump = folder / manifest["database"]["file"]
    if not dump.is_file() or _sha256_file(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"The database dump {dump.name} is missing or damaged "
                          "(its checksum differs from the manifest).")
    bad = []
    for key, size in manifest["blobs"].items():
        path = folder / "blobs" / fan_out(check_key(key))
        if not path.is_file() or path.stat().st_size != size or _sha256_file(path) != key:
            bad.append(key)
    if bad:
        raise BackupError(f"{len(bad)} file(s) in the archive are missing or damaged "
                          f"(first: {bad[0]}); nothing was restored.")
    revision = manifest.get("schema_revision")
    if revision is not None and revision not in _known_revisions(app):
        raise BackupError(f"The archive's schema revision {revision} is unknown to this "
                          "version of docflow (made by a newer version?); nothing was restored.")
    return manifest


def _store_empty(store) -> bool:
    if isinstance(store, FileSystemBlobStore):
        return not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))
    if isinstance(store, S3BlobStore):
        listing = store.client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix,
                                               MaxKeys=1)
        return listing.get("KeyCount", 0) == 0
    return True


def restore(app, src: str | os.PathLike, *, force: bool = False) -> dict:
    """Restore the archive at ``src`` into the app's database and file store.

    Returns ``{"revision", "tables", "rows", "blobs"}``; raises BackupError without changing
    anything when the archive is damaged or the target holds data and ``force`` is not set.
    """
    with _opened(Path(src)) as folder:
        manifest = verify_archive(app, folder)
        engine = db.engine
        if manifest["dialect"] != engine.dialect.name:
            raise BackupError(f"The archive holds a {manifest['dialect']} database; this "
                              f"docflow uses {engine.dialect.name}. Nothing was restored.")
        store = blob_store(app)
        with engine.connect() as conn:
            rows = sum(_counts(conn).values())
        if not force and (rows or not _store_empty(store)):
            raise BackupError("The target database or file store already holds data "
                              f"({rows} rows); restore into an empty one, or pass --force "
                              "to replace it. Nothing was restored.")
        db.session.remove()
        dump = folder / manifest["database"]["file"]
        if engine.dialect.name == "sqlite":
            engine.dispose()
            source = sqlite3.connect(dump)
            target = sqlite3.connect(_sqlite_path(engine.url))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            engine.dispose()
            args, env = _pg_args(engine.url)
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                  "--no-privileges", "--single-transaction", *args, str(dump)],
                 env, "pg_restore")
        for key in manifest["blobs"]:
            data = (folder / "blobs" / fan_out(key)).read_bytes()
            if store.put(data) != key:
                raise BackupError(f"The file store returned another key for {key}.")
        return _check_restored(store, manifest)


def _check_restored(store, manifest: dict) -> dict:
    with db.engine.connect() as conn:
        counts, revision = _counts(conn), _revision(conn)
    differ = {t: (n, counts.get(t)) for t, n in manifest["counts"].items() if counts.get(t) != n}
    if differ:
        raise BackupError(f"The restored row counts differ from the archive: {differ}")
    if revision != manifest.get("schema_revision"):
        raise BackupError(f"The restored schema revision {revision} is not the archive's "
                          f"{manifest.get('schema_revision')}.")
    for key in manifest["blobs"]:
        if hashlib.sha256(store.get(key)).hexdigest() != key:
            raise BackupError(f"The restored file {key} does not match its checksum.")
    return {"revision": revision, "tables": len(counts), "rows": sum(counts.values()),
            "blobs": len(manifest["blobs"])}
