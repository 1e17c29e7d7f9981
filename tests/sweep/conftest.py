"""The sweep tests' PostgreSQL server: started once per session, stopped by its finalizer.

Skipped where no server is installed, unless LDDL_REQUIRE_POSTGRES=1 (set by .ci/run, which
installs Debian's postgresql package), where a missing server is a failure."""

from __future__ import annotations

import itertools
import os

import pytest
from postgres_server import PostgresServer, server_binaries

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server():
    binaries = server_binaries()
    if binaries is None:
        if os.environ.get("LDDL_REQUIRE_POSTGRES") == "1":
            pytest.fail("LDDL_REQUIRE_POSTGRES=1 but initdb/pg_ctl are not installed")
        pytest.skip("no PostgreSQL server installed (initdb, pg_ctl); .ci/run installs one")
    server = PostgresServer(binaries).start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """An empty database of its own on the session's server."""
    return postgres_server.create_database(f"sweep_{os.getpid()}_{next(_databases)}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
