// strings/admin.js - the words of Personal information, Users and the Action log, in French and English.
export default {
  fr: {},
  en: {},
};
