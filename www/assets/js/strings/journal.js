// strings/journal.js - the words of Transactions, Batches, Contracts and the tree navigation, in French and English.
export default {
  fr: {},
  en: {},
};
