// strings/production-account.js - the words of "Create production account" (Ingenico guide
// §3.2.9 "Créer compte réel"; docs/ENVIRONMENTS.md), in French and English.
export default {
  fr: {
    'prodacct.title': 'Créer compte réel',
    'prodacct.link': 'Créer compte réel…',
    'prodacct.card.title': 'Compte de production',
    'prodacct.card.text':
      'Copiez la configuration de ce compte de test dans le compte de production : le compte de test reste tel quel.',
    'prodacct.intro':
      'La configuration du compte de test {test} est copiée dans le compte de production {account}. Le compte de test reste tel quel et vous pourrez toujours l’utiliser pour vos tests.',
    'prodacct.copied': 'Ce qui est copié',
    'prodacct.not_copied': 'Ce qui n’est pas copié',
    'prodacct.not_copied.hint':
      'La production garde les siens : à vérifier ou à paramétrer dans une session de production.',
    'prodacct.count': '{count} dans le compte de test',
    'prodacct.new_nodes': '{count} nœud(s) créé(s) en test seulement seront créés en production.',
    'prodacct.submit': 'Copier vers la production',
    'prodacct.confirm_title': 'Copier la configuration de test en production ?',
    'prodacct.confirm':
      'Les paramètres des boutiques, les modèles de page de paiement et les filtres antifraude de la production seront remplacés par ceux du test.',
    'prodacct.confirm_ok': 'Copier',
    'prodacct.done': 'La configuration de test a été copiée dans le compte de production {account}.',
    'prodacct.written': '{count} élément(s) modifié(s) en production',
    'prodacct.again.title': 'À paramétrer à nouveau en production',
    'prodacct.again.text':
      'Ces éléments n’ont pas été copiés. Connectez-vous à l’environnement de production pour les vérifier ou les paramétrer.',
    'prodacct.only_test':
      'Cette page est celle de l’environnement de test : connectez-vous au test pour copier sa configuration en production.',
    'prodacct.open': 'Ouvrir la page',
    'prodacct.with_operator': 'Auprès de l’opérateur',
    'prodacct.apart': 'Propres à chaque environnement',
    'prodacct.item.tree': 'Arborescence (noms des nœuds)',
    'prodacct.item.shops': 'Boutiques (nom, adresse du site)',
    'prodacct.item.shop_settings': 'Configuration générale des boutiques (adresses e-mail, URL de retour)',
    'prodacct.item.notifications': 'Notifications au serveur du commerçant (URL de notification)',
    'prodacct.item.page_templates': 'Modèles de la page de paiement',
    'prodacct.item.fraud_filters': 'Filtres antifraude des contrats',
    'prodacct.item.subscription': 'Abonnement',
    'prodacct.item.options': 'Options souscrites',
    'prodacct.item.vat_number': 'Numéro de TVA',
    'prodacct.item.billing': 'Facturation',
    'prodacct.item.payment_methods': 'Moyens de paiement (contrats)',
    'prodacct.item.three_d_secure': 'Données 3-D Secure',
    'prodacct.item.users': 'Utilisateurs',
    'prodacct.item.hmac_keys': 'Clés HMAC (la production a les siennes)',
    'prodacct.item.blocklist': 'Liste noire',
    'prodacct.item.transactions': 'Transactions, remises et rapprochement',
    'action.production_account_created': 'Compte de test copié en production',
    'error.account_id_taken': 'Cet identifiant de compte est celui d’un autre compte.',
    'error.new_account_unavailable':
      'Un compte de production sous un autre identifiant est créé par l’opérateur : la copie va au compte de production de cette enseigne.',
    'error.site_rang_taken':
      'Une boutique créée en test a le SITE et le RANG d’une autre boutique de production : rien n’a été copié.',
  },
  en: {
    'prodacct.title': 'Create production account',
    'prodacct.link': 'Create production account…',
    'prodacct.card.title': 'Production account',
    'prodacct.card.text':
      'Copy this test account’s configuration into the production account: the test account stays as it is.',
    'prodacct.intro':
      'The configuration of the test account {test} is copied into the production account {account}. The test account stays as it is and you can go on using it for your tests.',
    'prodacct.copied': 'What is copied',
    'prodacct.not_copied': 'What is not copied',
    'prodacct.not_copied.hint': 'Production keeps its own: check or set them in a production session.',
    'prodacct.count': '{count} in the test account',
    'prodacct.new_nodes': '{count} node(s) made in test only will be made in production.',
    'prodacct.submit': 'Copy into production',
    'prodacct.confirm_title': 'Copy the test configuration into production?',
    'prodacct.confirm':
      'Production’s shop settings, payment page templates and fraud filters will be replaced by those of test.',
    'prodacct.confirm_ok': 'Copy',
    'prodacct.done': 'The test configuration was copied into the production account {account}.',
    'prodacct.written': '{count} item(s) changed in production',
    'prodacct.again.title': 'To set again in production',
    'prodacct.again.text':
      'These were not copied. Sign in to the production environment to check or set them.',
    'prodacct.only_test':
      'This page belongs to the test environment: sign in to test to copy its configuration into production.',
    'prodacct.open': 'Open the page',
    'prodacct.with_operator': 'With the operator',
    'prodacct.apart': 'Each environment’s own',
    'prodacct.item.tree': 'Tree (the nodes’ names)',
    'prodacct.item.shops': 'Shops (name, web site)',
    'prodacct.item.shop_settings': 'Shops’ general configuration (e-mail addresses, return URLs)',
    'prodacct.item.notifications': 'Notifications to the merchant’s server (notification URL)',
    'prodacct.item.page_templates': 'Payment page templates',
    'prodacct.item.fraud_filters': 'Contracts’ fraud filters',
    'prodacct.item.subscription': 'Subscription',
    'prodacct.item.options': 'Subscribed options',
    'prodacct.item.vat_number': 'VAT number',
    'prodacct.item.billing': 'Billing',
    'prodacct.item.payment_methods': 'Payment methods (contracts)',
    'prodacct.item.three_d_secure': '3-D Secure data',
    'prodacct.item.users': 'Users',
    'prodacct.item.hmac_keys': 'HMAC keys (production has its own)',
    'prodacct.item.blocklist': 'Blocklist',
    'prodacct.item.transactions': 'Transactions, batches and reconciliation',
    'action.production_account_created': 'Test account copied into production',
    'error.account_id_taken': 'This account id is another account’s.',
    'error.new_account_unavailable':
      'A production account under another account id is made by the operator: the copy goes to this brand’s production account.',
    'error.site_rang_taken':
      'A shop made in test has the SITE and RANG of another production shop: nothing was copied.',
  },
};
