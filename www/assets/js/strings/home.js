// strings/home.js - the words of the Home page: activity statistics (SPEC §12), in French and English.
export default {
  fr: {},
  en: {},
};
