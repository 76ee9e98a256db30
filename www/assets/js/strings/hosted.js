// strings/hosted.js - the words of the hosted payment page's part of the back office (issue
// 12): where a transaction came from, as the journal's column, filter and details name it.
const originsFr = {
  api: 'API marchand',
  hosted_page: 'Page de paiement',
  paybox_system: 'Paybox System',
  paybox_direct: 'Paybox Direct',
  manual_entry: 'Saisie manuelle',
  recurring: 'Échéance récurrente',
};
const originsEn = {
  api: 'Merchant API',
  hosted_page: 'Payment page',
  paybox_system: 'Paybox System',
  paybox_direct: 'Paybox Direct',
  manual_entry: 'Manual entry',
  recurring: 'Recurring debit',
};
const keyed = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`tx.origin.${k}`, v]));

export const ORIGINS = Object.keys(originsFr);

export default {
  fr: {
    'col.tx.origin': 'Origine',
    'tx.f.origin': 'Origine',
    ...keyed(originsFr),
  },
  en: {
    'col.tx.origin': 'Origin',
    'tx.f.origin': 'Origin',
    ...keyed(originsEn),
  },
};
