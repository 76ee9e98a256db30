"""The PostgreSQL backend's cursor in a scan (src/store/pg/pg_stmt.c: an export page's SELECT
read a FETCH ahead), by tests/unit/test_pg_scan.c on a database of the suite's cluster: every
row at each batch's boundary, a statement in the middle of a walk, a walk left early."""
import os
import subprocess

import pytest

from conftest import GUICHETD, PG, SANITIZER_ENV, pg_cluster

PG_SCAN = os.path.join(os.path.dirname(os.path.dirname(GUICHETD)), 'tests', 'unit',
                       'test_pg_scan')


@pytest.mark.skipif(not PG, reason='a test of the PostgreSQL backend: GUICHET_TEST_DB=pg')
def test_a_scan_reads_through_a_cursor():
    uri = pg_cluster().createdb('scan' + os.urandom(6).hex())
    out = subprocess.run([PG_SCAN], capture_output=True, text=True, timeout=120,
                         env={**SANITIZER_ENV, **os.environ, 'GUICHET_TEST_PG_URI': uri})
    assert out.returncode == 0, out.stdout + out.stderr
    assert '[  PASSED  ] 4 test(s).' in out.stdout + out.stderr, out.stdout + out.stderr
