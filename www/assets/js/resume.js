// resume.js - a disconnected session's resume key, kept in this browser (SPEC §3
// "disconnected"; README "Disconnect and resume"): POST /bo/api/session/disconnect answers
// {resume_key, resumable_until}, given once; this browser keeps them in localStorage (the tab
// may be closed meanwhile) with who it was, so that the sign-in page offers "Resume my
// session" until then. Only this browser's own session can be resumed with it: the server
// checks the key against the session of the cookie. Forgotten once used, refused or past.

const RESUME_KEY = 'guichet.resume';

/** The stored {key, until, login, name, timeZone} of a disconnected session, or null. */
export function storedResume() {
  try {
    const v = JSON.parse(localStorage.getItem(RESUME_KEY) || 'null');
    if (!v || typeof v.key !== 'string' || typeof v.until !== 'string') return null;
    if (Date.parse(v.until) <= Date.now()) {
      forgetResume(); // past: the server ended the session
      return null;
    }
    return v;
  } catch {
    return null;
  }
}

export function keepResume(v) {
  try {
    localStorage.setItem(RESUME_KEY, JSON.stringify(v));
  } catch {
    // storage refused (private mode): the session ends at its idle time unresumed
  }
}

export function forgetResume() {
  try {
    localStorage.removeItem(RESUME_KEY);
  } catch {
    // nothing kept
  }
}
