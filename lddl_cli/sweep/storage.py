"""Where a study lives: an SQLite file by default, a journal file (with a file lock) for several
local worker processes, or any database URL (PostgreSQL for many machines).

RDB storages send a heartbeat: a worker killed mid-trial stops it, and after ``GRACE_SECONDS``
the next worker to look marks that trial failed and enqueues its parameters again. Creating the
tables of an empty PostgreSQL database is serialized with an advisory lock, since Optuna raises a
duplicate-key error when several workers create them at once.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

from ..errors import UsageError

HEARTBEAT_SECONDS = 2
GRACE_SECONDS = 6
CONNECT_SECONDS = 5
CREATION_LOCK = 0x1DD15EE9  # the advisory lock's key: any constant shared by every lddl worker


def default_storage(out_dir: Path, workers: int) -> str:
    """``study.journal`` if one exists or several local workers will share it, else ``study.db``."""
    journal = out_dir / "study.journal"
    if journal.exists() or (workers > 1 and not (out_dir / "study.db").exists()):
        return str(journal)
    return f"sqlite:///{out_dir / 'study.db'}"


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` means the psycopg 3 driver, the one the sweep extra installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def stored_file(url: str) -> Path | None:
    """The file of a file storage (journal path or sqlite URL), None for a database server."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return None if "://" in url else Path(url)


def open_storage(optuna, url: str):
    """The Optuna storage for ``url``; UsageError (one line, exit 2) if it cannot be reached."""
    if "://" not in url:
        from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

        return optuna.storages.JournalStorage(JournalFileBackend(url, lock_obj=JournalFileOpenLock(url)))
    import sqlalchemy.exc

    target = sqlalchemy_url(url)
    try:
        with _creation_lock(target), warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats are
            storage = optuna.storages.RDBStorage(
                target,
                engine_kwargs=_engine_arguments(target),
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3),
            )
        if target.startswith("sqlite"):
            _write_ahead(storage.engine)
        return storage
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError) as error:
        reason = " ".join(str(getattr(error, "orig", None) or error).split())[:300]
        raise UsageError(f"--storage {url}: cannot open the study storage: {reason}") from None


def _write_ahead(engine) -> None:
    """SQLite in WAL mode, synced at checkpoints: a commit survives a killed process (not a power
    cut) and costs no fsync, which made up most of a short trial's bookkeeping (~5 ms a write)."""
    import sqlalchemy

    def on_connect(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections opened so far would keep the default settings
    sqlalchemy.event.listen(engine, "connect", on_connect)


def _engine_arguments(url: str) -> dict:
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": CONNECT_SECONDS}, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    return {}


@contextlib.contextmanager
def _creation_lock(url: str):
    """A PostgreSQL session-level advisory lock while the tables and the study are made."""
    if not url.startswith("postgresql"):
        yield
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool, **_engine_arguments(url))
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": CREATION_LOCK})
            try:
                yield
            finally:
                connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": CREATION_LOCK})
    finally:
        engine.dispose()
