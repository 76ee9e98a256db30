"""The cost of the password hashes (docs/SECURITY.md "Passwords"): GUICHET_PASSWORD_COST
refused below OWASP's floor or out of form, by every command, before anything is written; the
hashes made at the cost set; a hash of another cost made again at the next right sign-in, and
only then, with nothing else about the password changed.

The suite runs at 12 MiB × 3 passes (conftest.py); here the default (64 MiB × 2, the variable
unset) is set on purpose."""
import os
import subprocess

from conftest import GUICHETD, Server, q
from test_signin import password_of, sign_in


def hashes(srv):
    return dict(q(srv, 'SELECT login, password_hash FROM user ORDER BY login'))


def user_row(srv, login):
    return q(srv, 'SELECT password_set_at, must_change, failed_attempts FROM user '
                  'WHERE login = ?', (login,))[0]


def history_count(srv):
    return q(srv, 'SELECT count(*) FROM password_history')[0][0]


def test_refused_before_anything_is_written(tmp_path):
    db = str(tmp_path / 'guichet.db')
    for spec, why in [('6,5', "below OWASP's minimum"), ('45,1', "below OWASP's minimum"),
                      ('18,2', "below OWASP's minimum"), ('1025,2', 'above the maximum'),
                      ('64,17', 'above the maximum'), ('64', 'expected MEMORY_MIB,PASSES'),
                      ('', 'expected MEMORY_MIB,PASSES'), ("64,2'; --", 'expected')]:
        env = {**os.environ, 'GUICHET_PASSWORD_COST': spec}
        for argv in (['demo', '--db', db, '--transactions', '10'],
                     ['serve', '--db', db, '--listen', '127.0.0.1:1']):
            out = subprocess.run([GUICHETD, *argv], capture_output=True, text=True, env=env,
                                 timeout=30)
            assert out.returncode == 1, (spec, argv, out.stderr)
            assert f'GUICHET_PASSWORD_COST={spec} refused: {why}' in out.stderr, out.stderr
            assert not os.listdir(tmp_path), (spec, argv)


def test_the_hashes_are_made_at_the_cost_set(tmp_path):
    srv = Server(str(tmp_path), transactions=20, env={'GUICHET_PASSWORD_COST': '7,5'})
    assert all('$m=7168,t=5,p=1$' in h for h in hashes(srv).values())


def test_another_cost_made_again_at_the_next_right_sign_in(tmp_path):
    srv = Server(str(tmp_path), transactions=20)  # the suite's 12 MiB × 3
    before = hashes(srv)
    assert all(h.startswith('$argon2id$v=19$m=12288,t=3,p=1$') for h in before.values())
    rows = {login: user_row(srv, login) for login in before}
    history = history_count(srv)
    srv.env.pop('GUICHET_PASSWORD_COST', None)  # the default
    srv.start()
    try:
        # A wrong password changes no hash (and is counted as ever).
        _, r = sign_in(srv, 'demo.entry', 'Wrong-password-1')
        assert r.status_code == 401, r.text
        assert hashes(srv) == before
        assert user_row(srv, 'demo.entry')[2] == 1
        # The right one: its hash made again at 64 MiB × 2, nothing else of it changed.
        _, r = sign_in(srv, 'demo.entry', password_of(srv, 'demo.entry'))
        assert r.status_code == 200 and r.json()['next'] == 'change_password', r.text
        after = hashes(srv)
        assert after['demo.entry'].startswith('$argon2id$v=19$m=65536,t=2,p=1$')
        assert {k: v for k, v in after.items() if k != 'demo.entry'} == \
            {k: v for k, v in before.items() if k != 'demo.entry'}
        assert user_row(srv, 'demo.entry')[:2] == rows['demo.entry'][:2]
        assert user_row(srv, 'demo.entry')[2] == 0
        assert history_count(srv) == history
        # The new hash opens the account, and is not made again at the same cost.
        _, r = sign_in(srv, 'demo.entry', password_of(srv, 'demo.entry'), takeover=True)
        assert r.status_code == 200, r.text
        assert hashes(srv)['demo.entry'] == after['demo.entry']
        _, r = sign_in(srv, 'demo.entry', 'Wrong-password-1', takeover=True)
        assert r.status_code == 401, r.text
    finally:
        assert srv.stop() == 0
