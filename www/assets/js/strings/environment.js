// strings/environment.js - the words of the environments (issue 15; SPEC §16.1): the
// sign-in's choice and the test environment's banner, in French and English.
export default {
  fr: {
    'env.choose': 'Environnement',
    'env.production': 'Production',
    'env.test': 'Test',
    'env.banner.title': 'Environnement de TEST.',
    'env.banner.text':
      'Les paiements faits ici sont fictifs : ils ne sont jamais remis à la banque et n’apparaissent pas en production.',
    'error.environment_unavailable': 'Cet environnement n’est pas disponible pour ce compte.',
  },
  en: {
    'env.choose': 'Environment',
    'env.production': 'Production',
    'env.test': 'Test',
    'env.banner.title': 'TEST environment.',
    'env.banner.text':
      'Payments made here are not real: they never go to the bank and do not appear in production.',
    'error.environment_unavailable': 'This environment is not available for this account.',
  },
};
