"""The client's languages (README "The command-line client", "Languages"): French or English,
the signed-in user's own language on the server before the environment's (LC_ALL,
LC_MESSAGES, LANG, LANGUAGE as gettext reads them), on a machine that may have no French locale
installed at all (LANG=fr_FR.UTF-8 must still give French); and what scripts read unchanged in
either language.

The client and its catalogue come from the build tree, as in test_client.py (Client)."""
import csv
import io
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT, free_port
from test_client import CLIENT, FROM, TO, Client, authorized, one_of, ready, speaks
from test_signin import NEW_PASSWORD, password_of

FR = {'LANG': 'fr_FR.UTF-8'}
EN = {'LANG': 'C'}


def nowhere(tmp_path):
    """A client whose profile points at a port where nothing listens: what it says before
    sending anything, or of a network failure."""
    cli = Client(tmp_path)
    os.makedirs(os.path.dirname(cli.file('profile')))
    with open(cli.file('profile'), 'w') as f:
        json.dump({'host': '127.0.0.1', 'port': free_port(), 'tls': False}, f)
    return cli


def signed_in_as(server, tmp_path, login, language, env=EN):
    """A client signed in as login, whose language on the server is language."""
    ready(server, login)
    speaks(server, login, language)
    cli = Client(tmp_path)
    cli.connect(server)
    out = cli.run('login', '--login', login, '--password-stdin', '--take-over',
                  stdin=NEW_PASSWORD + '\n', env=env)
    assert out.returncode == 0, out.stderr
    return cli, out


def test_the_environments_language(tmp_path):
    """Without a session, the environment's language: usage errors, a network failure."""
    cli = nowhere(tmp_path)
    rows = [
        # (environment, French?) as gettext reads it, the French locale installed or not.
        ({'LANG': 'fr_FR.UTF-8'}, True),
        ({'LANG': 'fr_CA.UTF-8'}, True),
        ({'LC_ALL': 'fr_FR.UTF-8', 'LANG': 'C'}, True),
        ({'LC_MESSAGES': 'fr_BE.UTF-8'}, True),
        ({'LANG': 'C.UTF-8', 'LANGUAGE': 'fr'}, True),
        ({'LANG': 'C'}, False),
        ({'LANG': 'C', 'LANGUAGE': 'fr'}, False),  # gettext ignores LANGUAGE under C
        ({'LANG': 'fr_FR.UTF-8', 'LANGUAGE': 'en'}, False),
        ({'LC_ALL': 'C', 'LANG': 'fr_FR.UTF-8'}, False),
        ({'LANG': 'de_DE.UTF-8'}, False),  # no German catalogue: English
    ]
    for env, french in rows:
        out = cli.run('transactions', '--from', '2026-13-01', '--to', TO, env=env)
        assert out.returncode == 2, (env, out.stderr)
        said = ("--from « 2026-13-01 » n’est pas une date : AAAA-MM-JJ" if french else
                "--from '2026-13-01' is not a date: YYYY-MM-DD")
        assert said in out.stderr, (env, out.stderr)

    # The option parser's words, a plural, an unknown command, in French.
    out = cli.run('transactions', '--from', FROM, '--to', TO, '--bogus', '1', env=FR)
    assert out.returncode == 2 and "option inconnue « --bogus »" in out.stderr, out.stderr
    assert "« guichet transactions --help » en donne les options" in out.stderr
    out = cli.run('transactions', '--from', FROM, '--to', TO, '--amount', '7.5', '--currency',
                  'JPY', env=FR)
    assert out.returncode == 2 and 'a plus de 0 décimale :' in out.stderr, out.stderr
    out = cli.run('transactions', '--from', FROM, '--to', TO, '--amount', '7.505', env=FR)
    assert 'a plus de 2 décimales :' in out.stderr, out.stderr
    out = cli.run('frobnicate', env=FR)
    assert out.returncode == 2 and 'commande inconnue « frobnicate »' in out.stderr
    assert 'commandes :' in out.stderr  # the usage that follows
    # Nothing signed in; then the network's failure explained.
    out = cli.run('logout', env=FR)
    assert out.returncode == 3 and 'vous n’êtes pas connecté' in out.stderr, out.stderr
    port = cli.run('connect', '--host', '127.0.0.1', '--port', str(free_port()), '--no-tls',
                   env=FR)
    assert port.returncode == 4 and 'rien n’écoute sur 127.0.0.1:' in port.stderr and \
        'un pare-feu' in port.stderr, port.stderr
    out = cli.run('connect', '--host', 'example.com', '--no-tls', env=FR)
    assert out.returncode == 2 and 'HTTP en clair seulement vers cette machine' in out.stderr
    # The same in English.
    out = cli.run('logout', env=EN)
    assert out.returncode == 3 and 'not signed in' in out.stderr, out.stderr


def test_help_in_french(tmp_path):
    """--help in French; the commands, options and placeholders stay what they are, and the
    bash completion reads them from the French help as from the English one."""
    cli = Client(tmp_path)
    out = cli.run('--help', env=FR)
    assert out.returncode == 0 and out.stdout.startswith('usage : guichet [--profile NAME]')
    assert re.search(r'^commandes :$', out.stdout, re.M), out.stdout
    assert re.search(r'^  capture +capturer une autorisation$', out.stdout, re.M), out.stdout
    assert 'code de sortie : 0 fait, 1 refusé' in out.stdout
    english = cli.run('--help', env=EN).stdout
    assert re.findall(r'^  ([a-z-]+) ', out.stdout, re.M) == \
        re.findall(r'^  ([a-z-]+) ', english, re.M)
    sub = cli.run('refund', '--help', env=FR)
    assert sub.returncode == 0 and sub.stdout.startswith('usage : guichet [--profile NAME] '
                                                         'refund ID [OPTIONS]')
    assert re.search(r'^options :$', sub.stdout, re.M)
    assert re.search(r'^  --amount A +le montant, dans l’unité principale de la devise',
                     sub.stdout, re.M), sub.stdout
    assert re.search(r'^  --yes +le faire sans demander \(scripts\)$', sub.stdout, re.M)

    def complete(*words):
        script = (f'source {os.path.join(ROOT, "dist", "guichet.bash-completion")}; '
                  f'COMP_WORDS=(guichet {" ".join(words)}); COMP_CWORD={len(words)}; '
                  '_guichet; printf "%s\\n" "${COMPREPLY[@]}"')
        env = {**cli.env, **FR, 'PATH': os.path.dirname(CLIENT) + ':' + os.environ['PATH']}
        done = subprocess.run(['bash', '-c', script], capture_output=True, text=True, env=env,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return sorted(w for w in done.stdout.split('\n') if w)

    assert complete('ca') == ['cancel', 'capture']
    assert complete('refund', '123', '--') == ['--amount', '--help', '--yes']


def test_a_french_user_after_sign_in(server, tmp_path):
    """A user whose language is French gets French from the sign-in on, whatever LANG says;
    the language is kept with the session, so a later command knows it before sending
    anything."""
    cli, out = signed_in_as(server, tmp_path, 'demo.action', 'fr', env=EN)
    assert out.stdout.startswith('Connecté en tant que demo.action (profil « default », '
                                 'appareil '), out.stdout
    assert cli.session()['language'] == 'fr'
    # Checked before anything is sent, in the saved language.
    out = cli.run('transactions', '--from', FROM, env=EN)
    assert out.returncode == 2 and '--to D est obligatoire' in out.stderr, out.stderr
    # The server's refusals by their code; the client's own refusal of an operation.
    out = cli.run('show', '999999999', env=EN)
    assert out.returncode == 1 and 'refusé : Introuvable. (not_found)' in out.stderr, out.stderr
    sent = one_of(server, acquirer_status='sent')
    out = cli.run('refund', sent['id'], '--amount', '999999.00', '--yes', env=EN)
    assert out.returncode == 1, out.stderr
    assert 'refusé : Le montant dépasse ce que permet cette transaction. (amount_too_high)' \
        in out.stderr, out.stderr
    out = cli.run('capture', sent['id'], '--yes', env=EN)
    assert out.returncode == 1 and \
        f'capture n’est pas possible sur la transaction {sent["id"]} (debit, accepted, sent)' \
        in out.stderr, out.stderr
    # Done: the new state in French, the API's words for it as they are.
    t = authorized(server)
    out = cli.run('capture', t['id'], env=EN)  # no terminal, no --yes
    assert out.returncode == 2 and 'capture demande une confirmation' in out.stderr
    out = cli.run('capture', t['id'], '--yes', env=EN)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f'capture : la transaction {t["id"]} est debit, accepted, '
                                 'to_send ('), out.stdout
    # The table's headers for people; the details' labels, aligned by their width.
    out = cli.run('transactions', '--from', FROM, '--to', TO, '--limit', '3', env=EN)
    assert out.returncode == 0, out.stderr
    assert re.match(r'^NUMÉRO +DATE \(UTC\) .*MONTANT', out.stdout), out.stdout
    assert re.search(r'^page suivante : --cursor \S+$', out.stdout, re.M), out.stdout
    out = cli.run('show', t['id'], env=EN)
    assert re.search(r'^état {12} debit, accepted, to_send$', out.stdout, re.M), out.stdout
    assert re.search(r'^historique :\nDATE \(UTC\) +ACTION', out.stdout, re.M), out.stdout
    # Signed out, the session and its language gone: the environment's again.
    assert cli.run('logout', env=EN).stdout == 'Déconnecté (profil « default »)\n'
    out = cli.run('transactions', '--from', FROM, env=EN)
    assert out.returncode == 2 and '--to D is required' in out.stderr, out.stderr


def test_an_english_user_after_sign_in(server, tmp_path):
    """A user whose language is English gets English with LANG=fr_FR.UTF-8; the sign-in's
    first steps, before the server says whose language it is, are in the environment's: the
    language changes within the one command."""
    speaks(server, 'demo.entry', 'en')
    cli = Client(tmp_path)
    cli.connect(server)
    out = cli.run('login', '--login', 'demo.entry', '--password-stdin', '--accept-terms',
                  stdin=password_of(server, 'demo.entry') + '\n' + NEW_PASSWORD + '\n', env=FR)
    assert out.returncode == 0, out.stderr
    assert 'Mot de passe modifié.' in out.stderr and \
        'Conditions générales d’utilisation (version' in out.stderr, out.stderr
    assert out.stdout.startswith('Signed in as demo.entry'), out.stdout
    assert cli.session()['language'] == 'en'
    out = cli.run('transactions', '--from', FROM, env=FR)
    assert out.returncode == 2 and '--to D is required' in out.stderr, out.stderr
    # An entry operator may not search: the server's refusal as it words it.
    out = cli.run('show', '999999999', env=FR)
    assert out.returncode == 1 and \
        'refused: You are not allowed to do this. (forbidden)' in out.stderr, out.stderr
    assert cli.run('--help', env=FR).stdout.startswith('usage: guichet')


def test_a_session_without_a_language(server, tmp_path):
    """A session saved without the user's language (by an earlier client): its refusals in
    the environment's language, French with LANG=fr_FR.UTF-8, English with LANG=C."""
    cli, _ = signed_in_as(server, tmp_path, 'demo.consultation', 'fr')
    kept = cli.session()
    del kept['language']
    cli.env['GUICHET_KEYRING'] = 'no'  # the session in its file, written here
    os.makedirs(os.path.dirname(cli.file('session')), mode=0o700, exist_ok=True)
    with open(cli.file('session'), 'w') as f:
        json.dump(kept, f)
    out = cli.run('users', env=FR)
    assert out.returncode == 1, out.stderr
    assert 'refusé : Vous n’avez pas le droit de faire ceci. (forbidden)' in out.stderr, \
        out.stderr
    out = cli.run('users', env=EN)
    assert out.returncode == 1, out.stderr
    assert 'refused: You are not allowed to do this. (forbidden)' in out.stderr, out.stderr
    out = cli.run('transactions', '--from', FROM, '--to', TO, '--status', 'bogus', env=FR)
    assert out.returncode == 2 and 'refusé --status : --from et --to sont obligatoires' \
        in out.stderr, out.stderr


def saved_language(cli, language):
    """The language kept with cli's session, as a sign-in of a user of that language saves it."""
    kept = cli.session()
    kept['language'] = language
    cli.env['GUICHET_KEYRING'] = 'no'  # the session in its file, written here
    os.makedirs(os.path.dirname(cli.file('session')), mode=0o700, exist_ok=True)
    with open(cli.file('session'), 'w') as f:
        json.dump(kept, f)


def test_what_scripts_read_is_the_same_in_both(server, tmp_path):
    """CSV, TSV and JSON: the API's field names and values, byte for byte the same whatever
    the language (each pair of runs back to back); the cursor of the next page on stderr, in
    the language."""
    cli, _ = signed_in_as(server, tmp_path, 'demo.admin', 'fr')
    days = ('--from', FROM, '--to', TO)
    runs = [('transactions', *days, '--limit', '20', '--format', fmt)
            for fmt in ('csv', 'tsv', 'json')]
    runs += [('batches', *days, '--format', fmt) for fmt in ('csv', 'tsv', 'json')]
    runs += [('stats', '--from', FROM[:8] + '01', '--to', TO, '--format', 'json'),
             ('show', one_of(server, acquirer_status='sent')['id'], '--format', 'json')]
    for args in runs:
        said = {}
        for language, env in (('fr', EN), ('en', FR)):
            saved_language(cli, language)
            out = cli.run(*args, env=env)
            assert out.returncode == 0, (args, out.stderr)
            said[language] = out
        assert said['fr'].stdout == said['en'].stdout, args
        if args[0] == 'transactions' and args[-1] != 'json':
            assert said['fr'].stderr.startswith('page suivante : --cursor '), said['fr'].stderr
            assert said['en'].stderr.startswith('next page: --cursor '), said['en'].stderr
    header = next(csv.reader(io.StringIO(cli.run(*runs[0]).stdout)))
    assert header == ['id', 'created_at', 'type', 'status', 'acquirer_status', 'amount_initial',
                      'amount_current', 'currency', 'order_ref', 'card_masked', 'email']
    # The users' listing (its sign-in counts move with each sign-in): the API's fields.
    saved_language(cli, 'fr')
    out = cli.run('users', '--format', 'csv')
    assert out.returncode == 0, out.stderr
    assert next(csv.reader(io.StringIO(out.stdout))) == [
        'id', 'login', 'name', 'email', 'profile', 'level', 'node_name', 'locked',
        'second_factor', 'sign_ins_this_week', 'active']


def test_french_prompts_on_a_terminal(server, tmp_path):
    """The operation's question in French, [o/N], answered "o"."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    cli, _ = signed_in_as(server, tmp_path, 'demo.action', 'fr')
    t = authorized(server, 1250)
    child = pexpect.spawn(CLIENT, ['capture', t['id']], env=cli.env, encoding='utf-8',
                          timeout=30)
    child.expect(rf'Capturer 12\.50 EUR de la transaction {t["id"]} '
                 rf'\(commande {re.escape(t["order_ref"])}\) \? \[o/N\] ')
    child.sendline('o')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert f'capture : la transaction {t["id"]} est debit, accepted, to_send' in child.before
