"""Fresh PostgreSQL databases for (h) and (j), dropped at the end."""

from __future__ import annotations

import os
import shutil
import urllib.parse
import urllib.request

from bench_suite.measure import run
from bench_suite.report import log
from glossproc.processes import ProcessError


class Postgres:
    """Makes fresh databases next to the one the URL names, and drops them at the end."""

    def __init__(self, url):
        self.url = url
        self.created = []

    @staticmethod
    def from_environment():
        url = os.environ.get("GLOSS_BENCH_POSTGRES_URL") or os.environ.get("GLOSS_TEST_POSTGRES_URL")
        if not url:
            return None, "neither $GLOSS_BENCH_POSTGRES_URL nor $GLOSS_TEST_POSTGRES_URL is set"
        if not shutil.which("psql"):
            return None, "psql is not installed"
        return Postgres(url), None

    def admin_url(self):
        """The URL without the query part, which psql would not understand."""
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit(parts._replace(query=""))

    def url_for(self, name):
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(self.url)._replace(path="/" + name))

    def psql(self, sql):
        run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.admin_url(), "-c", sql])

    def create_database(self, name):
        self.psql(f"CREATE DATABASE {name}")
        self.created.append(name)
        return self.url_for(name)

    def drop_all(self):
        for name in self.created:
            try:
                self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except ProcessError as error:
                log(f"could not drop PostgreSQL database {name}: {error}")
        self.created = []
