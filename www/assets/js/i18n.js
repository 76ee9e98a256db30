// i18n.js - the UI's words in French (the default) and English, and t() to use them.
//
// The language is the signed-in user's `language` (GET /bo/api/me); before sign-in, the one
// last used in this browser (localStorage), else French. Keys are dotted; {name} in a text is
// replaced by params.name. A key missing from English falls back to French, then to the key.
// The shell's words are here; each area of pages keeps its own in strings/<area>.js
// (`export default { fr: {...}, en: {...} }`), merged below.

import account from './strings/account.js';
import accounts from './strings/accounts.js';
import actions from './strings/admin.js';
import apiErrors from './strings/api-errors.js';
import hmacKeys from './strings/hmac-keys.js';
import home from './strings/home.js';
import journal from './strings/journal.js';
import mails from './strings/mails.js';
import pushReports from './strings/push-reports.js';
import notify from './strings/notify.js';
import recurring from './strings/recurring.js';
import reconciliation from './strings/reconciliation.js';
import risk from './strings/risk.js';
import secondFactor from './strings/second-factor.js';
import settings from './strings/settings.js';
import pageTheme from './strings/page-theme.js';
import terminal from './strings/terminal.js';
import hosted from './strings/hosted.js';
import orderFiles from './strings/order-files.js';
import environment from './strings/environment.js';
import productionAccount from './strings/production-account.js';

const dictionaries = {
  fr: {
    'app.name': 'Guichet',
    'app.loading': 'Chargement de Guichet…',
    'app.skip': 'Aller au contenu',
    'app.tagline': 'Back office de paiement',
    'day.placeholder': 'jj/mm/aaaa',

    'nav.label': 'Menu principal',
    'nav.menu': 'Menu',
    'nav.home': 'Accueil',
    'nav.transactions': 'Transactions',
    'nav.batches': 'Remises',
    'nav.contracts': 'Contrats',
    'nav.me': 'Informations personnelles',
    'nav.users': 'Utilisateurs',
    'nav.actions': 'Suivi des actions',
    'nav.password': 'Modifier son mot de passe',

    'header.user': 'Connecté : {name}',
    'header.signout': 'Se déconnecter',
    'header.disconnect': 'Suspendre la session',
    'header.disconnect.title': 'Interrompre la connexion en gardant la session, pour la reprendre sur cet appareil',
    'resume.title': 'Session suspendue',
    'resume.kept': 'Vous êtes déconnecté, mais votre session est gardée pour cet appareil.',
    'resume.until': 'La session de {name} peut être reprise sur cet appareil jusqu’au {time}.',
    'resume.button': 'Reprendre ma session',
    'resume.busy': 'Reprise…',
    'resume.signin': 'Se connecter autrement',
    'resume.notice.gone': 'Aucune session à reprendre sur cet appareil. Connectez-vous.',
    'signin.notice.disconnected': 'Cette session est suspendue : reprenez-la depuis l’appareil qui l’a suspendue, ou connectez-vous à nouveau.',
    'signin.elsewhere.text.disconnected': 'Votre session est suspendue sur l’appareil « {device} », qui peut encore la reprendre. Voulez-vous la reprendre ici ? Elle prendra fin sur l’autre appareil.',
    'error.session_disconnected': 'Cette session est suspendue : reprenez-la depuis l’appareil qui l’a suspendue, ou connectez-vous à nouveau.',
    'error.resume_refused': 'La session n’a pas pu être reprise (clé de reprise refusée). Connectez-vous à nouveau.',
    'error.not_disconnected': 'Cette session n’est pas suspendue : rien à reprendre.',

    'profile.consultation': 'Consultation',
    'profile.action': 'Consultation + Action',
    'profile.admin': 'Consultation + Action + Gestion d’utilisateurs',
    'profile.entry': 'Opérateur de saisie',
    'profile.hmac': 'Gestionnaire HMAC',

    'signin.title': 'Connexion au back office',
    'signin.intro': 'Renseignez votre identifiant et votre mot de passe.',
    'signin.login': 'Identifiant',
    'signin.password': 'Mot de passe',
    'signin.submit': 'Se connecter',
    'signin.busy': 'Connexion…',
    'signin.elsewhere.title': 'Session ouverte sur un autre appareil',
    'signin.elsewhere.text': 'Votre session est détenue par l’appareil « {device} ». Voulez-vous la reprendre ici ? L’autre appareil sera déconnecté.',
    'signin.elsewhere.takeover': 'Reprendre la session ici',
    'signin.elsewhere.cancel': 'Annuler',
    'signin.notice.signed_out': 'Vous êtes déconnecté.',
    'signin.notice.ended': 'Votre session a pris fin (inactivité, durée maximale, ou reprise depuis un autre appareil). Connectez-vous à nouveau.',
    'signin.notice.other_tab': 'Votre session a pris fin dans un autre onglet de ce navigateur. Connectez-vous à nouveau.',
    'signin.notice.csrf': 'Ce navigateur n’a plus la clé de votre session : connectez-vous à nouveau.',
    'signin.notice.locked': 'Troisième échec de suite (mot de passe actuel ou code erroné) : votre compte est verrouillé et votre session a pris fin. Un administrateur peut le déverrouiller.',
    'signin.notice.unknown_step': 'Une étape de connexion demandée par le serveur n’est pas prise en charge par cette page : rechargez-la, puis connectez-vous à nouveau.',
    'signin.security': 'L’accès simultané au back office avec le même identifiant depuis deux appareils est refusé.',

    'password.title': 'Modifier son mot de passe',
    'password.forced': 'Vous devez choisir un nouveau mot de passe avant de continuer (première connexion, réinitialisation, ou mot de passe de plus de 90 jours).',
    'password.old': 'Mot de passe actuel',
    'password.new': 'Nouveau mot de passe',
    'password.confirm': 'Confirmez le nouveau mot de passe',
    'password.rules': 'Au moins 12 caractères, avec des lettres et des chiffres, sans votre identifiant, différent de vos 4 derniers mots de passe. Une longue phrase de passe convient très bien.',
    'password.strength': 'Qualité du mot de passe',
    'password.strength.none': '—',
    'password.strength.very_weak': 'Très faible',
    'password.strength.weak': 'Faible',
    'password.strength.medium': 'Moyen',
    'password.strength.strong': 'Fort',
    'password.strength.very_strong': 'Très fort',
    'password.mismatch': 'Les deux saisies du nouveau mot de passe diffèrent.',
    'password.submit': 'Enregistrer le mot de passe',
    'password.done': 'Votre mot de passe a été modifié.',
    'password.show': 'Afficher les mots de passe',

    'terms.title': 'Conditions générales d’utilisation',
    'terms.intro': 'Pour accéder au back office, vous devez accepter les conditions générales d’utilisation (version {version}).',
    'terms.accept': 'J’accepte les conditions',
    'terms.decline': 'Refuser et se déconnecter',

    'home.title': 'Accueil',
    'home.welcome': 'Bonjour, {name}.',

    'me.title': 'Informations personnelles',
    'me.login': 'Identifiant',
    'me.name': 'Nom',
    'me.email': 'Adresse e-mail',
    'me.mobile': 'Mobile',
    'me.profile': 'Profil',
    'me.node': 'Rattachement',
    'me.language': 'Langue',
    'me.time_zone': 'Fuseau horaire',
    'me.sign_ins': 'Connexions (cette semaine / au total)',
    'me.none': 'non renseigné',
    'me.change_password': 'Modifier son mot de passe',


    'language.fr': 'Français',
    'language.en': 'English',

    'error.title': 'Erreur',
    'error.network': 'Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.',
    'error.generic': 'Une erreur est survenue ({code}).',
    'error.bad_credentials': 'Identifiant ou mot de passe incorrect.',
    'error.locked': 'Ce compte est verrouillé après 3 tentatives de connexion échouées. Un administrateur peut le déverrouiller.',
    'error.not_signed_in': 'Vous n’êtes pas connecté.',
    'error.session_expired': 'Votre session a pris fin. Connectez-vous à nouveau.',
    'error.csrf': 'La clé de votre session manque ou ne correspond pas : connectez-vous à nouveau.',
    'error.forbidden': 'Vous n’avez pas le droit de faire ceci.',
    'error.wrong_password': 'Le mot de passe actuel est incorrect.',
    'error.password_reused': 'Le nouveau mot de passe doit être différent de vos 4 derniers.',
    'error.password_too_short': 'Le mot de passe doit compter au moins 12 caractères.',
    'error.password_too_long': 'Le mot de passe est trop long (256 octets au plus).',
    'error.password_needs_letter_and_digit': 'Le mot de passe doit contenir des lettres et des chiffres.',
    'error.password_too_weak': 'Le mot de passe est trop facile à deviner : allongez-le ou variez ses caractères.',
    'error.password_contains_login': 'Le mot de passe ne doit pas contenir votre identifiant.',
    'error.password_control_character': 'Le mot de passe ne doit pas contenir de caractères de contrôle.',
    'error.busy': 'Le serveur est occupé ; rien n’a été enregistré. Réessayez.',
    'error.too_many_attempts': 'Trop de connexions échouées depuis ce poste ou pour cet identifiant. Réessayez dans {seconds} s.',
    'error.storage_unavailable': 'Le stockage est indisponible ; rien n’a été enregistré. Réessayez.',
    'error.internal_error': 'Erreur interne du serveur ; rien n’a été enregistré.',
    'error.invalid_field': 'Un champ est invalide : {message}',
    'error.not_found': 'Introuvable.',
  },
  en: {
    'app.name': 'Guichet',
    'app.loading': 'Loading Guichet…',
    'app.skip': 'Skip to content',
    'app.tagline': 'Payment back office',
    'day.placeholder': 'dd/mm/yyyy',

    'nav.label': 'Main menu',
    'nav.menu': 'Menu',
    'nav.home': 'Home',
    'nav.transactions': 'Transactions',
    'nav.batches': 'Batches',
    'nav.contracts': 'Contracts',
    'nav.me': 'Personal information',
    'nav.users': 'Users',
    'nav.actions': 'Action log',
    'nav.password': 'Change password',

    'header.user': 'Signed in: {name}',
    'header.signout': 'Sign out',
    'header.disconnect': 'Disconnect',
    'header.disconnect.title': 'Drop the connection but keep the session, to resume it on this device',
    'resume.title': 'Session disconnected',
    'resume.kept': 'You are disconnected, but your session is kept for this device.',
    'resume.until': 'The session of {name} can be resumed on this device until {time}.',
    'resume.button': 'Resume my session',
    'resume.busy': 'Resuming…',
    'resume.signin': 'Sign in otherwise',
    'resume.notice.gone': 'No session to resume on this device. Sign in.',
    'signin.notice.disconnected': 'This session is disconnected: resume it from the device that disconnected it, or sign in again.',
    'signin.elsewhere.text.disconnected': 'Your session is disconnected on the device “{device}”, which may still resume it. Take it over here? It will end on the other device.',
    'error.session_disconnected': 'This session is disconnected: resume it from the device that disconnected it, or sign in again.',
    'error.resume_refused': 'The session could not be resumed (resume key refused). Sign in again.',
    'error.not_disconnected': 'This session is not disconnected: nothing to resume.',

    'profile.consultation': 'Consultation',
    'profile.action': 'Consultation + Action',
    'profile.admin': 'Consultation + Action + User management',
    'profile.entry': 'Entry operator',
    'profile.hmac': 'HMAC manager',

    'signin.title': 'Sign in to the back office',
    'signin.intro': 'Enter your login and password.',
    'signin.login': 'Login',
    'signin.password': 'Password',
    'signin.submit': 'Sign in',
    'signin.busy': 'Signing in…',
    'signin.elsewhere.title': 'Session open on another device',
    'signin.elsewhere.text': 'Your session is held by the device “{device}”. Take it over here? The other device will be signed out.',
    'signin.elsewhere.takeover': 'Take over the session',
    'signin.elsewhere.cancel': 'Cancel',
    'signin.notice.signed_out': 'You are signed out.',
    'signin.notice.ended': 'Your session ended (idle, maximum length, or taken over from another device). Sign in again.',
    'signin.notice.other_tab': 'Your session ended in another tab of this browser. Sign in again.',
    'signin.notice.csrf': 'This browser no longer has your session’s key: sign in again.',
    'signin.notice.locked': 'A third failure in a row (a wrong current password or code): your account is locked and your session ended. An administrator can unlock it.',
    'signin.notice.unknown_step': 'A sign-in step the server asks for is not handled by this page: reload it, then sign in again.',
    'signin.security': 'Signing in with the same login from two devices at once is refused.',

    'password.title': 'Change password',
    'password.forced': 'Choose a new password before going on (first sign-in, reset, or a password older than 90 days).',
    'password.old': 'Current password',
    'password.new': 'New password',
    'password.confirm': 'Confirm the new password',
    'password.rules': 'At least 12 characters, with letters and digits, without your login, different from your last 4 passwords. A long passphrase is fine.',
    'password.strength': 'Password strength',
    'password.strength.none': '—',
    'password.strength.very_weak': 'Very weak',
    'password.strength.weak': 'Weak',
    'password.strength.medium': 'Medium',
    'password.strength.strong': 'Strong',
    'password.strength.very_strong': 'Very strong',
    'password.mismatch': 'The two entries of the new password differ.',
    'password.submit': 'Save the password',
    'password.done': 'Your password was changed.',
    'password.show': 'Show the passwords',

    'terms.title': 'Terms of use',
    'terms.intro': 'To use the back office, accept the terms of use (version {version}).',
    'terms.accept': 'I accept the terms',
    'terms.decline': 'Decline and sign out',

    'home.title': 'Home',
    'home.welcome': 'Hello, {name}.',

    'me.title': 'Personal information',
    'me.login': 'Login',
    'me.name': 'Name',
    'me.email': 'E-mail address',
    'me.mobile': 'Mobile',
    'me.profile': 'Profile',
    'me.node': 'Attached to',
    'me.language': 'Language',
    'me.time_zone': 'Time zone',
    'me.sign_ins': 'Sign-ins (this week / in total)',
    'me.none': 'not given',
    'me.change_password': 'Change password',


    'language.fr': 'Français',
    'language.en': 'English',

    'error.title': 'Error',
    'error.network': 'The server does not answer. Check your connection and try again.',
    'error.generic': 'Something went wrong ({code}).',
    'error.bad_credentials': 'Wrong login or password.',
    'error.locked': 'This account is locked after 3 failed sign-ins. An administrator can unlock it.',
    'error.not_signed_in': 'You are not signed in.',
    'error.session_expired': 'Your session ended. Sign in again.',
    'error.csrf': 'Your session’s key is missing or wrong: sign in again.',
    'error.forbidden': 'You are not allowed to do this.',
    'error.wrong_password': 'The current password is wrong.',
    'error.password_reused': 'The new password must differ from your last 4.',
    'error.password_too_short': 'The password needs at least 12 characters.',
    'error.password_too_long': 'The password is too long (256 bytes at most).',
    'error.password_needs_letter_and_digit': 'The password needs both letters and digits.',
    'error.password_too_weak': 'The password is too easy to guess: make it longer or vary its characters.',
    'error.password_contains_login': 'The password may not contain your login.',
    'error.password_control_character': 'The password may not contain control characters.',
    'error.busy': 'The server is busy; nothing was recorded. Try again.',
    'error.too_many_attempts': 'Too many failed sign-ins from this device or for this login. Try again in {seconds} s.',
    'error.storage_unavailable': 'Storage is unavailable; nothing was recorded. Try again.',
    'error.internal_error': 'Internal server error; nothing was recorded.',
    'error.invalid_field': 'A field is not valid: {message}',
    'error.not_found': 'Not found.',
  },
};

for (const area of [home, actions, journal, secondFactor, hmacKeys, account, mails, terminal, hosted, recurring, risk, settings, pageTheme, apiErrors, notify, pushReports, orderFiles, reconciliation, environment, productionAccount, accounts]) {
  for (const lang of Object.keys(dictionaries)) Object.assign(dictionaries[lang], area[lang] || {});
}

export const LANGUAGES = Object.keys(dictionaries);
const STORAGE_KEY = 'guichet.language';
let current = 'fr';

/** The current language: "fr" or "en". */
export function language() {
  return current;
}

/** The BCP 47 locale that Intl uses for the current language. */
export function locale() {
  return current === 'en' ? 'en-GB' : 'fr-FR';
}

/** Switches the language (unknown ones fall back to French) and remembers it here. */
export function setLanguage(lang) {
  current = Object.prototype.hasOwnProperty.call(dictionaries, lang) ? lang : 'fr';
  document.documentElement.lang = current;
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // storage refused (private mode): the language is only kept for this page
  }
  return current;
}

/** The language last used in this browser, or French. */
export function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    saved = null;
  }
  return setLanguage(saved || 'fr');
}

/** Whether key has a text in some language. */
export function has(key) {
  return key in dictionaries[current] || key in dictionaries.fr;
}

/** The text of key in the current language, with {name} replaced by params.name. */
export function t(key, params = {}) {
  const text = dictionaries[current][key] ?? dictionaries.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** For tests: the two dictionaries hold the same keys. */
export function missingKeys() {
  const fr = Object.keys(dictionaries.fr);
  const en = Object.keys(dictionaries.en);
  return {
    en: fr.filter((k) => !en.includes(k)),
    fr: en.filter((k) => !fr.includes(k)),
  };
}
