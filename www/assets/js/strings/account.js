// strings/account.js - the words of the account page (Ingenico guide 3.2.2; SPEC §14), in
// French and English.
export default {
  fr: {
    'nav.account': 'Compte',
    'account.name': 'Enseigne',
    'account.pspid': 'Identifiant de compte (PSPID)',
    'account.retention.title': 'Conservation des données de paiement',
    'account.retention': 'Durée de conservation (jours)',
    'account.retention.hint':
      'De 45 à 540 jours. Passé ce délai, le numéro de carte complet est effacé ; la carte masquée, la transaction et les totaux restent.',
    'account.retention.read_only':
      'Seul un administrateur au niveau de l’enseigne peut la modifier.',
    'account.retention.range': 'La durée va de {min} à {max} jours.',
    'account.retention.confirm_title': 'Raccourcir la conservation ?',
    'account.retention.confirm':
      'Les numéros de carte de plus de {days} jours seront effacés définitivement au prochain passage du traitement de conservation.',
    'account.retention.confirm_ok': 'Raccourcir',
    'account.retention.saved': 'Conservation enregistrée : {days} jours.',
    'account.save': 'Enregistrer',
  },
  en: {
    'nav.account': 'Account',
    'account.name': 'Brand',
    'account.pspid': 'Account id (PSPID)',
    'account.retention.title': 'Retention of payment data',
    'account.retention': 'Retention (days)',
    'account.retention.hint':
      'From 45 to 540 days. After it, the full card number is erased; the masked card, the transaction and the totals stay.',
    'account.retention.read_only': 'Only an administrator at the brand’s level may change it.',
    'account.retention.range': 'The retention is from {min} to {max} days.',
    'account.retention.confirm_title': 'Shorten the retention?',
    'account.retention.confirm':
      'Card numbers older than {days} days will be erased for good at the retention job’s next round.',
    'account.retention.confirm_ok': 'Shorten',
    'account.retention.saved': 'Retention saved: {days} days.',
    'account.save': 'Save',
  },
};
