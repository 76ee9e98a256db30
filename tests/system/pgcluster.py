"""A throwaway PostgreSQL cluster for the tests and the benchmarks (issue 13): Debian's
postgresql binaries, `initdb` in a new temporary folder, the server listening on a Unix socket
in that folder only (no TCP port), with the durability production has (fsync and
synchronous_commit on), stopped and removed after. As root, the cluster runs as the `postgres`
user the package made: PostgreSQL refuses to run as root.

From a shell (the benchmarks):
    python3 tests/system/pgcluster.py start FOLDER          # prints the connection URI
    python3 tests/system/pgcluster.py createdb FOLDER NAME  # a database for guichetd: its URI
    python3 tests/system/pgcluster.py stop FOLDER
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

ROLE = 'guichet'


def bindir():
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/pg_ctl'),
                   key=lambda p: int(p.split('/')[4]))
    if not found:
        raise RuntimeError('PostgreSQL is not installed: scripts/bootstrap installs it')
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self, folder=None):
        """folder: where the cluster lives (made if missing); None: a new temporary one."""
        self.folder = folder or tempfile.mkdtemp(prefix='guichet-pg-')
        self.data = os.path.join(self.folder, 'data')
        self.sock = self.folder  # the socket's folder, .s.PGSQL.5432 in it
        self.log = os.path.join(self.folder, 'postgresql.log')
        self.bin = bindir()
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ['runuser', '-u', 'postgres', '--']

    def run(self, *argv, **kw):
        return subprocess.run([*self.as_user, *argv], check=True, capture_output=True,
                              text=True, timeout=kw.pop('timeout', 120), **kw)

    def start(self):
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        if self.as_user:
            pw = pwd.getpwnam('postgres')
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
        if not os.path.exists(os.path.join(self.data, 'PG_VERSION')):
            # Trust on the socket only: the folder is private (0700) to the cluster's user.
            self.run(os.path.join(self.bin, 'initdb'), '-D', self.data, '-A', 'trust',
                     '-U', 'postgres', '-E', 'UTF8', '--locale', 'C.UTF-8', '--no-sync')
        self.run(os.path.join(self.bin, 'pg_ctl'), '-D', self.data, '-l', self.log, '-w',
                 '-o', f"-k {self.sock} -c listen_addresses='' -c fsync=on "
                       "-c synchronous_commit=on -c max_connections=200", 'start')
        self.psql(f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
                  f"THEN CREATE ROLE {ROLE} LOGIN CREATEDB; END IF; END$$")
        return self

    def stop(self, remove=True):
        if os.path.exists(os.path.join(self.data, 'postmaster.pid')):
            self.run(os.path.join(self.bin, 'pg_ctl'), '-D', self.data, '-m', 'fast', '-w',
                     'stop')
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def uri(self, db='postgres', user=ROLE):
        """The libpq URI of database db on the socket, as the role guichetd uses."""
        return f'postgresql:///{db}?host={self.sock}&user={user}'

    def psql(self, sql, db='postgres', user='postgres'):
        """Runs sql (one statement or a script) as user; returns psql's unaligned output."""
        out = subprocess.run([os.path.join(self.bin, 'psql'), '-X', '-q', '-A', '-t',
                              '-v', 'ON_ERROR_STOP=1', '-d', self.uri(db, user), '-c', sql],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f'psql failed: {out.stderr}')
        return out.stdout.strip()

    def createdb(self, name, template=None):
        """A new database owned by the role guichetd uses, with pg_trgm (the search's
        trigram indexes need it, and only a superuser may create it); or a copy of the
        database template, which nothing may be connected to."""
        if template is not None:
            self.psql(f'CREATE DATABASE "{name}" OWNER {ROLE} TEMPLATE "{template}"')
            return self.uri(name)
        self.psql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        self.psql('CREATE EXTENSION IF NOT EXISTS pg_trgm', db=name)
        return self.uri(name)


if __name__ == '__main__':
    if not ((len(sys.argv) == 3 and sys.argv[1] in ('start', 'stop')) or
            (len(sys.argv) == 4 and sys.argv[1] == 'createdb')):
        sys.exit(__doc__)
    c = Cluster(os.path.abspath(sys.argv[2]))
    if sys.argv[1] == 'start':
        c.start()
        print(c.uri())
    elif sys.argv[1] == 'createdb':
        print(c.createdb(sys.argv[3]))
    else:
        c.stop()
