"""The acquirer's return files (docs/RECONCILIATION.md) as the tests read, change and import
them: the simulator writes them into spool/returns; `guichetd reconcile import` imports one."""
import glob
import os
import subprocess

from conftest import GUICHETD


def returns_dir(srv):
    return os.path.join(srv.tmp, 'spool', 'returns')


def return_files(srv, brand=None):
    """The return files waiting in the spool (of one brand), by name."""
    pattern = f'JRB_{brand}_*.txt' if brand else 'JRB_*.txt'
    return sorted(glob.glob(os.path.join(returns_dir(srv), pattern)))


def read(path):
    """(header fields, [line fields]) of a return file."""
    with open(path, encoding='ascii') as f:
        rows = [line.split(';') for line in f.read().splitlines()]
    assert rows[0][0] == 'H' and rows[-1][0] == 'Z', rows
    return rows[0], rows[1:-1]


def text(header, lines):
    """A return file's text: the header, the lines, the trailer of their counts and sums."""
    total = [sum(int(l[i]) for l in lines) for i in (3, 4, 5)]
    return ''.join(';'.join(map(str, r)) + '\n' for r in
                   [header, *lines, ['Z', len(lines), *total]])


def write(path, header, lines):
    with open(path, 'w', encoding='ascii') as f:
        f.write(text(header, lines))
    return path


def line(txn_id, amount, currency='EUR', commission=0, credit=False, auth=''):
    return ['L', str(txn_id), 'CREDIT' if credit else 'DEBIT', str(amount), str(commission),
            str(amount - commission), currency, auth]


def cli_import(srv, path, check=True):
    out = subprocess.run([GUICHETD, 'reconcile', 'import', path, '--db', srv.db, *srv.clock()],
                         capture_output=True, text=True, timeout=60, env=srv.env)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def with_mismatches(path, dest):
    """A copy of the return file at path (3 debit lines or more) with one mismatch of each
    kind: its first line's amount a cent more, its last line left out, a line of a
    transaction unknown to the batch, written at dest (outside the spool, which the server's
    job reads). Returns (dest, the three transaction ids)."""
    header, lines = read(path)
    assert len(lines) >= 3, lines
    first, last = lines[0], lines[-1]
    first = line(first[1], int(first[3]) + 1, first[6], auth=first[7])
    unknown = line(999999999, 100, header[9])
    write(dest, header, [first, *lines[1:-1], unknown])
    return dest, (int(lines[0][1]), int(last[1]), 999999999)
