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
    'account.sf.title': 'Validation en deux étapes',
    'account.sf.required': 'Exiger la validation en deux étapes de chaque utilisateur',
    'account.sf.hint':
      'Un utilisateur qui n’en a pas devra en activer une (application ou code par e-mail) avant toute autre action, dès sa prochaine page — vous compris.',
    'account.sf.saved_on': 'La validation en deux étapes est exigée de chaque utilisateur.',
    'account.sf.saved_off': 'La validation en deux étapes n’est plus exigée.',
    'action.retention_changed': 'Conservation des données de paiement modifiée',
    'action.second_factor_policy_changed': 'Exigence de validation en deux étapes modifiée',
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
    'account.sf.title': 'Two-step sign-in',
    'account.sf.required': 'Require two-step sign-in of every user',
    'account.sf.hint':
      'A user without one will have to turn one on (app or e-mailed code) before anything else, from their next page — you included.',
    'account.sf.saved_on': 'Two-step sign-in is required of every user.',
    'account.sf.saved_off': 'Two-step sign-in is no longer required.',
    'action.retention_changed': 'Retention of payment data changed',
    'action.second_factor_policy_changed': 'Two-step sign-in requirement changed',
  },
};
