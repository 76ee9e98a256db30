/*
 * export_layout.c - the layouts of the journals' exports (export_layout.h). The words are the
 * web UI's (www/assets/js/strings/), in French and English, as the server's other texts in
 * two languages (the hosted page's, api/hosted.c): a table of both.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/csv.h"
#include "api/export_layout.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "store/store.h"

int
export_layout_parse(const char *text, enum export_layout *out)
{
	if (strcmp(text, "machine") == 0)
		*out = LAYOUT_MACHINE;
	else if (strcmp(text, "classic") == 0)
		*out = LAYOUT_CLASSIC;
	else if (strcmp(text, "old") == 0)
		*out = LAYOUT_OLD;
	else
		return -1;
	return 0;
}

/* A word of a set: its code (the machine's cell, or a column's key) and its names. */
struct word {
	const char *code, *fr, *en;
};

struct word_set {
	const char *name;
	const struct word *words;
};

/* The column labels, the web UI's (strings/journal.js col.tx.*, col.b.*, recurring.js
 * col.rc.*, reconciliation.js jrb.col.*, risk.js bl.col.*, api-errors.js apierr.col.*). */
static const struct word transactions[] = {
        {"id", "Numéro", "Number"},
        {"created_at", "Date et heure", "Date and time"},
        {"type", "Type", "Type"},
        {"status", "Statut", "Status"},
        {"acquirer_status", "Statut acquéreur", "Acquirer status"},
        {"amount_initial", "Montant initial", "Initial amount"},
        {"amount_current", "Montant actuel", "Current amount"},
        {"amount_refunded", "Montant remboursé", "Refunded amount"},
        {"currency", "Devise", "Currency"},
        {"order_ref", "Référence commande", "Order reference"},
        {"card_masked", "Carte", "Card"},
        {"payment_method", "Moyen de paiement", "Payment method"},
        {"email", "E-mail porteur", "Cardholder e-mail"},
        {"customer_country", "Pays client", "Customer country"},
        {"card_country", "Pays carte", "Card country"},
        {"authorization_number", "Autorisation", "Authorization"},
        {"refusal_reason", "Motif de refus", "Refusal reason"},
        {"card_expiry", "Validité carte", "Card validity"},
        {"three_d_secure", "Paiement 3-D Secure", "3-D Secure payment"},
        {"three_d_secure_authenticated", "Porteur authentifié", "Cardholder authenticated"},
        {"three_d_secure_guaranteed", "Garantie 3DS", "3DS guarantee"},
        {"shop", "Magasin", "Shop"},
        {"batch", "Remise", "Batch"},
        {"bank_date", "Date de remise", "Bank date"},
        {"wallet", "Wallet", "Wallet"},
        {"acquirer", "Acquéreur", "Acquirer"},
        {"issuer", "Émetteur", "Issuer"},
        {"card_type", "Type de carte", "Card type"},
        {"capture", "Mode de capture", "Capture mode"},
        {"parent_id", "Transaction d’origine", "Original transaction"},
        {"accepted_at", "Acceptée le", "Accepted at"},
        {"updated_at", "Modifiée le", "Changed at"},
        {"manual", "Saisie manuelle", "Manual entry"},
        {"archive_ref", "Référence d’archivage", "Archive reference"},
        {"origin", "Origine", "Origin"},
        {NULL, NULL, NULL}};

static const struct word batches[] = {{"id", "Identifiant", "Id"},
                                      {"created_at", "Date et heure", "Date and time"},
                                      {"bank_date", "Date de remise", "Bank date"},
                                      {"number", "Numéro de remise", "Batch number"},
                                      {"contract", "Numéro de contrat", "Contract number"},
                                      {"rang", "Rang", "Rang"},
                                      {"payment_method", "Moyen de paiement", "Payment method"},
                                      {"currency", "Devise", "Currency"},
                                      {"debit_count", "Nb débits", "Debits"},
                                      {"debit_amount", "Montant débits", "Debit amount"},
                                      {"credit_count", "Nb crédits", "Credits"},
                                      {"credit_amount", "Montant crédits", "Credit amount"},
                                      {"transaction_count", "Nb transactions", "Transactions"},
                                      {"total", "Montant total", "Total amount"},
                                      {"status", "Statut remise", "Batch status"},
                                      {"file_name", "Fichier", "File"},
                                      {NULL, NULL, NULL}};

static const struct word recurring[] = {
        {"id", "Numéro", "Number"},
        {"status", "Statut", "Status"},
        {"count", "Type / nombre d’échéances", "Type / installments"},
        {"created_at", "Date de création", "Created"},
        {"order_ref", "Référence commande", "Order reference"},
        {"card_expiry", "Date d’expiration", "Card expiry"},
        {"email", "E-mail porteur", "Cardholder e-mail"},
        {"next_amount", "Montant", "Amount"},
        {"next_date", "Prochain débit", "Next debit"},
        {"remaining", "Paiements restants", "Payments remaining"},
        {"done", "Paiements effectués", "Payments made"},
        {"amount", "Montant total / récurrent", "Total / recurring amount"},
        {"currency", "Devise", "Currency"},
        {"card_masked", "Carte", "Card"},
        {"payment_method", "Moyen de paiement", "Payment method"},
        {"shop_name", "Magasin", "Shop"},
        {"site", "Site", "Site"},
        {"rang", "Rang", "Rang"},
        {"contract_number", "Numéro de contrat", "Contract number"},
        {"start", "Premier débit", "First debit"},
        {"manual", "Saisie manuelle", "Manual entry"},
        {"ended_at", "Fin", "Ended"},
        {"end_reason", "Motif de résiliation", "Termination reason"},
        {"initial_amount", "Montant initial", "Initial amount"},
        {"every_months", "Tous les X mois", "Every X months"},
        {"day_of_month", "Jour du mois", "Day of month"},
        {NULL, NULL, NULL}};

static const struct word reconciliation[] = {
        {"id", "Numéro de transaction", "Transaction number"},
        {"created_at", "Date et heure", "Date and time"},
        {"order_ref", "Réf. commande", "Order ref."},
        {"amount", "Montant", "Amount"},
        {"currency", "Devise", "Currency"},
        {"type", "Type", "Type"},
        {"batch_id", "ID remise", "Batch ID"},
        {"batch_number", "Numéro de remise", "Batch number"},
        {"jrb_number", "Remise JRB", "JRB remittance"},
        {"batch_at", "Date de remise", "Batch date"},
        {"reconciled", "Rapprochement", "Reconciled"},
        {"reconciled_at", "Date de rapprochement", "Reconciliation date"},
        {"net_amount", "Montant net", "Net amount"},
        {"commission", "Commission", "Commission"},
        {"commission_currency", "Devise de la commission", "Commission currency"},
        {"contract", "Contrat", "Contract"},
        {"rang", "Rang", "Rang"},
        {NULL, NULL, NULL}};

static const struct word blocklist[] = {{"id", "Numéro", "Number"},
                                        {"kind", "Type", "Kind"},
                                        {"value", "Valeur", "Value"},
                                        {"node", "Portée", "Scope"},
                                        {"reason", "Motif", "Reason"},
                                        {"expires_at", "Fin du blocage", "Blocked until"},
                                        {"created_at", "Ajouté le", "Added on"},
                                        {"created_by", "Ajouté par", "Added by"},
                                        {"transaction", "Transaction", "Transaction"},
                                        {NULL, NULL, NULL}};

static const struct word api_errors[] = {
        {"at", "Heure", "Time"},
        {"shop", "Boutique", "Shop"},
        {"site", "Site", "Site"},
        {"rang", "Rang", "Rang"},
        {"method", "Méthode", "Method"},
        {"path", "Route", "Route"},
        {"http_status", "Statut", "Status"},
        {"code", "Code", "Code"},
        {"field", "Champ", "Field"},
        {"message", "Message de l’API et correction", "The API’s message and the fix"},
        {"count", "Nombre", "Count"},
        {NULL, NULL, NULL}};

/* The action log's columns (strings/admin.js actions.col.*; its count, the repeated refusals'). */
static const struct word actions[] = {{"date", "Date et heure", "Date and time"},
                                      {"login", "Identifiant", "Login"},
                                      {"name", "Nom", "Name"},
                                      {"email", "Adresse e-mail", "E-mail address"},
                                      {"action", "Action", "Action"},
                                      {"target", "Utilisateur concerné", "Done to"},
                                      {"details", "Détails", "Details"},
                                      {"count", "Nombre", "Count"},
                                      {NULL, NULL, NULL}};

/* The names of the codes (strings/journal.js tx.*, b.status.*, recurring.js rc.status.*,
 * reconciliation.js jrb.status.*, risk.js bl.kind.*). */
static const struct word tx_type[] = {{"debit", "Débit", "Debit"},
                                      {"refund", "Remboursement", "Refund"},
                                      {"cancellation", "Annulation", "Cancellation"},
                                      {"credit", "Crédit", "Credit"},
                                      {NULL, NULL, NULL}};

static const struct word tx_status[] = {{"accepted", "Acceptée", "Accepted"},
                                        {"refused", "Refusée", "Refused"},
                                        {"pending", "En attente", "Pending"},
                                        {"abandoned", "Abandonnée", "Abandoned"},
                                        {NULL, NULL, NULL}};

static const struct word tx_acq[] = {
        {"awaiting_capture", "En attente de capture", "Awaiting capture"},
        {"awaiting_confirmation", "En attente de confirmation", "Awaiting confirmation"},
        {"to_send", "À envoyer", "To send"},
        {"sent", "Envoyée", "Sent"},
        {"discarded", "Écartée", "Discarded"},
        {"na", "N/A", "N/A"},
        {NULL, NULL, NULL}};

static const struct word tx_refusal[] = {
        {"contract_inactive", "Contrat inactif", "Contract inactive"},
        {"currency_not_accepted", "Devise non acceptée par le contrat",
         "Currency not accepted by the contract"},
        {"amount_out_of_range", "Montant hors des bornes du contrat (minimum, maximum)",
         "Amount outside the contract’s range (minimum, maximum)"},
        {"card_not_allowed", "Carte non autorisée", "Card not allowed"},
        {"card_expired", "Carte expirée", "Card expired"},
        {"amount_above_limit", "Montant au-dessus du maximum du filtre anti-fraude",
         "Amount above the anti-fraud filter’s maximum"},
        {"card_country_blocked", "Pays de la carte refusé (filtre anti-fraude)",
         "Card country refused (anti-fraud filter)"},
        {"customer_country_blocked", "Pays du client refusé (filtre anti-fraude)",
         "Customer country refused (anti-fraud filter)"},
        {"country_mismatch", "Pays de la carte différent du pays du client (filtre anti-fraude)",
         "Card country differs from the customer’s (anti-fraud filter)"},
        {"card_velocity", "Trop de paiements avec cette carte aujourd’hui (filtre anti-fraude)",
         "Too many payments with this card today (anti-fraud filter)"},
        {"acquirer_refused", "Refusée par la banque émettrice", "Declined by the card issuer"},
        {"insufficient_funds", "Provision insuffisante", "Insufficient funds"},
        {"3ds_failed", "Échec de l’authentification 3-D Secure",
         "3-D Secure authentication failed"},
        {NULL, NULL, NULL}};

/* 3-D Secure's payment and guarantee, a yes/no column, the capture mode. */
static const struct word yes_no[] = {
        {"yes", "Oui", "Yes"},
        {"no", "Non", "No"},
        {"yes_expired", "Oui (expirée)", "Yes (expired)"},
        {"na", "Non applicable (N/A)", "Not applicable (N/A)"},
        {"auto", "Automatique", "Automatic"},
        {"manual", "Manuelle (autorisation seule)", "Manual (authorization only)"},
        {"error", "Erreur", "Error"},
        {NULL, NULL, NULL}};

static const struct word batch_status[] = {{"sent", "Envoyée", "Sent"}, {NULL, NULL, NULL}};

static const struct word recurring_status[] = {{"in_progress", "En cours", "In progress"},
                                               {"finished", "Terminé", "Finished"},
                                               {"failed", "Échoué", "Failed"},
                                               {"terminated", "Résilié", "Terminated"},
                                               {"will_fail", "Va échouer", "Will fail"},
                                               {"unlimited", "Illimité", "Unlimited"},
                                               {NULL, NULL, NULL}};

static const struct word block_kind[] = {{"card", "Carte", "Card"},
                                         {"bin", "BIN", "BIN"},
                                         {"email", "E-mail", "E-mail"},
                                         {"country", "Pays du client", "Customer country"},
                                         {NULL, NULL, NULL}};

static const struct word contracts[] = {
        {"shop", "Magasin", "Shop"},
        {"site", "Site", "Site"},
        {"rang", "Rang", "Rang"},
        {"payment_method", "Moyen de paiement", "Payment method"},
        {"number", "Numéro de contrat", "Contract number"},
        {"bank_code", "Code banque", "Bank code"},
        {"currency", "Devise", "Currency"},
        {"amount_min", "Montant min", "Minimum amount"},
        {"amount_max", "Montant max", "Maximum amount"},
        {"deferral_days", "Nombre de jours différés", "Deferral days"},
        {"three_d_secure", "3-D Secure", "3-D Secure"},
        {"state", "État", "State"},
        {"created_at", "Date de création", "Created"},
        {"last_auth_at", "Date de dernière autorisation", "Last authorization"},
        {"deactivated_at", "Date de désactivation", "Deactivated"},
        {"test_mode", "Mode test", "Test mode"},
        {"telecollect_number", "N° télécollecte", "Settlement number"},
        {"report_email", "E-mail du compte rendu de télécollecte", "Settlement report e-mail"},
        {NULL, NULL, NULL}};

static const struct word contract_state[] = {
        {"active", "Actif", "Active"}, {"inactive", "Inactif", "Inactive"}, {NULL, NULL, NULL}};

/* The names of the action log's actions: the web UI's (action.* of www/assets/js/strings/),
 * which test_users.py holds this table to. */
static const struct word action_names[] = {
        {"account_locked", "Compte verrouillé", "Account locked"},
        {"blocklist_added", "Paramètres : blocage ajouté", "Parameters: entry blocked"},
        {"blocklist_removed", "Paramètres : blocage retiré", "Parameters: entry removed"},
        {"card_blocked", "Paramètres : mise en blocage carte", "Parameters: card blocked"},
        {"contact_sent", "Demande au support", "Request to the support"},
        {"disconnect", "Session suspendue (reprise possible)", "Session disconnected (resumable)"},
        {"fraud_filters_changed", "Contrat : filtres anti-fraude modifiés",
         "Contract: anti-fraud filters changed"},
        {"hmac_key_activated", "Clé HMAC activée", "HMAC key activated"},
        {"hmac_key_created", "Nouvelle clé HMAC", "New HMAC key"},
        {"mail_retried", "E-mail renvoyé", "E-mail sent again"},
        {"page_theme_changed", "Page de paiement : modification", "Payment page: changed"},
        {"page_theme_logo_changed", "Page de paiement : nouveau logo", "Payment page: new logo"},
        {"page_theme_logo_removed", "Page de paiement : logo retiré", "Payment page: logo removed"},
        {"page_theme_reset", "Page de paiement : retour à celle de Guichet",
         "Payment page: back to Guichet’s"},
        {"password_change_refused", "Modification du mot de passe refusée",
         "Password change refused"},
        {"password_changed", "Mot de passe modifié", "Password changed"},
        {"personal_information_changed", "Informations personnelles modifiées",
         "Personal information changed"},
        {"plan_terminated", "Paiement N fois : résiliation", "Installment plan: terminated"},
        {"production_account_created", "Compte de test copié en production",
         "Test account copied into production"},
        {"resume", "Session reprise", "Session resumed"},
        {"resume_refused", "Reprise de session refusée (clé erronée)",
         "Session resume refused (wrong key)"},
        {"retention_changed", "Conservation des données de paiement modifiée",
         "Retention of payment data changed"},
        {"second_factor_change_refused", "Double authentification : modification refusée",
         "Second factor: change refused"},
        {"second_factor_disabled", "Validation en deux étapes désactivée",
         "Two-step sign-in turned off"},
        {"second_factor_enabled", "Validation en deux étapes activée",
         "Two-step sign-in turned on"},
        {"second_factor_failed", "Code de validation erroné", "Wrong sign-in code"},
        {"second_factor_policy_changed", "Exigence de validation en deux étapes modifiée",
         "Two-step sign-in requirement changed"},
        {"second_factor_requested", "Code de validation demandé", "Sign-in code asked for"},
        {"session_expired", "Fin de session (inactivité ou durée maximale)",
         "Session ended (idle or maximum length)"},
        {"settings_emails_changed", "Paramètres : changement d’e-mail",
         "Parameters: e-mail changed"},
        {"settings_immediate_return_changed", "Paramètres : retour vers site immédiat",
         "Parameters: immediate return to the site"},
        {"settings_urls_changed", "Paramètres : changement d’URL", "Parameters: URL changed"},
        {"sign_in", "Connexion", "Sign-in"},
        {"sign_in_failed", "Connexion échouée", "Failed sign-in"},
        {"sign_in_refused", "Connexion refusée", "Sign-in refused"},
        {"sign_out", "Déconnexion", "Sign-out"},
        {"store_request", "Store : demande d’ouverture", "Store: request to open a method"},
        {"subscription_terminated", "Abonnement : résiliation", "Subscription: terminated"},
        {"terms_accepted", "Conditions d’utilisation acceptées", "Terms of use accepted"},
        {"transaction_bank_sending", "Transaction : envoi en banque",
         "Transaction: sending to the bank"},
        {"transaction_cancellation", "Transaction : annulation", "Transaction: cancellation"},
        {"transaction_capture", "Transaction : capture", "Transaction: capture"},
        {"transaction_refund", "Transaction : remboursement", "Transaction: refund"},
        {"user_created", "Utilisateur : création", "User: created"},
        {"user_deactivated", "Utilisateur : désactivation", "User: deactivated"},
        {"user_ereport_changed", "Utilisateur : reporting électronique",
         "User: electronic reporting"},
        {"user_password_reset", "Utilisateur : nouveau mot de passe", "User: new password"},
        {"user_reactivated", "Utilisateur : réactivation", "User: reactivated"},
        {"user_unlocked", "Utilisateur : déverrouillage", "User: unlocked"},
        {"user_updated", "Utilisateur : modification", "User: changed"},
        {NULL, NULL, NULL}};

static const struct word_set sets[] = {
        {"contracts", contracts},           {"contract.state", contract_state},
        {"transactions", transactions},     {"batches", batches},
        {"installment_plans", recurring},   {"subscriptions", recurring},
        {"reconciliation", reconciliation}, {"blocklist", blocklist},
        {"api_errors", api_errors},         {"tx.type", tx_type},
        {"tx.status", tx_status},           {"tx.acq", tx_acq},
        {"tx.refusal", tx_refusal},         {"yes_no", yes_no},
        {"batch.status", batch_status},     {"recurring.status", recurring_status},
        {"block.kind", block_kind},         {"actions", actions},
        {"action", action_names},
};

/* The name of code in set, in the writer's language; the code itself when it has none. */
static const char *
word(const struct export_out *o, const char *set, const char *code)
{
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (strcmp(sets[i].name, set) != 0)
			continue;
		for (const struct word *w = sets[i].words; w->code != NULL; w++)
			if (strcmp(w->code, code) == 0)
				return o->en ? w->en : w->fr;
		break;
	}
	return code;
}

int
export_out_init(struct export_out *o, struct buf *b, enum export_layout layout, bool txt,
                struct store *st, const struct session *who)
{
	struct user_auth ua;
	int rc;

	memset(o, 0, sizeof(*o));
	o->b = b;
	o->layout = layout;
	o->txt = txt;
	o->st = st;
	o->brand_id = who->brand_id;
	if (layout != LAYOUT_CLASSIC)
		return ST_OK;
	rc = st->ops->user_get(st, who->user_brand_id, who->user_id, &ua);
	if (rc != ST_OK)
		return rc;
	o->en = strcmp(ua.language, "en") == 0;
	return ST_OK;
}

/* Writes a cell as the layout separates and guards it. */
static void
cell(struct export_out *o, const char *v, bool number)
{
	bool first = o->col++ == 0;

	if (o->txt)
		txt_field_as(o->b, v, first, number);
	else
		csv_field_as(o->b, v, first, o->layout == LAYOUT_CLASSIC && !o->en ? ';' : ',',
		             number);
}

void
export_out_header(struct export_out *o, const char *set, const char *const *keys)
{
	if (o->layout == LAYOUT_CLASSIC)
		buf_add(o->b, "\xEF\xBB\xBF", 3); /* the BOM: spreadsheets read the file as UTF-8 */
	for (int i = 0; keys[i] != NULL; i++)
		cell(o, o->layout == LAYOUT_CLASSIC ? word(o, set, keys[i]) : keys[i], false);
	export_out_row_end(o);
}

/* The shop's name (its id as text when unknown): from the page's few names, else the store. */
struct shop_find {
	int64_t id;
	char *name;
};

static int
shop_found(void *arg, const struct tree_node *n)
{
	struct shop_find *f = arg;

	if (n->n.id == f->id)
		snprintf(f->name, 81, "%s", n->n.name);
	return ST_OK;
}

static const char *
shop_name(struct export_out *o, const char *id_text)
{
	long long id = 0;
	struct shop_find f;
	int slot;

	if (sscanf(id_text, "%lld", &id) != 1 || id <= 0)
		return id_text;
	slot = (int)(id % EXPORT_SHOP_CACHE);
	if (o->shops[slot].id == id)
		return o->shops[slot].name;
	f.id = id;
	f.name = o->shops[slot].name;
	snprintf(f.name, 81, "%s", id_text);
	if (o->st->ops->nodes_each(o->st, o->brand_id, id, shop_found, &f) != ST_OK)
		snprintf(f.name, 81, "%s", id_text);
	o->shops[slot].id = id;
	return o->shops[slot].name;
}

/* "15050" of EUR → "150,50" (French) or "150.50"; as it is when not a number or currency. */
static const char *
amount(const struct export_out *o, const char *v, char *out, size_t cap)
{
	const struct currency *cur = o->currency ? money_currency_find(o->currency) : NULL;
	long long minor;
	char *dot;
	int used;

	if (cur == NULL || sscanf(v, "%lld%n", &minor, &used) != 1 || v[used] != '\0')
		return v;
	if (money_format_plain(minor, cur, out, cap) < 0)
		return v;
	if (!o->en && (dot = strchr(out, '.')) != NULL)
		*dot = ',';
	return out;
}

/* "2026-11-24T18:43:05(.123)+01:00" → "24/11/2026 18:43:05" (French) or "2026-11-24
 * 18:43:05": the wall time already in the user's zone, as Excel reads a date and time. */
static const char *
instant(const struct export_out *o, const char *v, char *out)
{
	if (strlen(v) < 19 || v[10] != 'T')
		return v;
	if (o->en)
		snprintf(out, 20, "%.10s %.8s", v, v + 11);
	else
		snprintf(out, 20, "%.2s/%.2s/%.4s %.8s", v + 8, v + 5, v, v + 11);
	return out;
}

static const char *
day(const struct export_out *o, const char *v, char *out)
{
	if (o->en || strlen(v) != 10 || v[4] != '-')
		return v;
	snprintf(out, 11, "%.2s/%.2s/%.4s", v + 8, v + 5, v);
	return out;
}

void
export_put(struct export_out *o, enum export_kind kind, const char *set, const char *v)
{
	char text[40];

	if (o->layout != LAYOUT_CLASSIC || v[0] == '\0') {
		cell(o, v, false);
		return;
	}
	switch (kind) {
	case EK_AMOUNT:
		v = amount(o, v, text, sizeof(text));
		cell(o, v, v == text);
		return;
	case EK_UNITS:
		snprintf(text, sizeof(text), "%s", v);
		if (!o->en && strchr(text, '.') != NULL)
			*strchr(text, '.') = ',';
		cell(o, text, true);
		return;
	case EK_INSTANT:
		v = instant(o, v, text);
		break;
	case EK_DAY:
		v = day(o, v, text);
		break;
	case EK_WORD:
		v = word(o, set, v);
		break;
	case EK_SHOP:
		v = shop_name(o, v);
		break;
	case EK_TEXT:
	case EK_NUMBER:
		break;
	}
	cell(o, v, false);
}

void
export_out_row_end(struct export_out *o)
{
	csv_end(o->b);
	o->col = 0;
}

void
export_file_name(char *out, size_t cap, const char *base, enum export_layout layout,
                 const struct tz *z, int64_t from_us, int64_t to_us)
{
	char first[11], last[11];

	if (layout == LAYOUT_MACHINE || from_us <= 0 || to_us == INT64_MAX || from_us >= to_us) {
		snprintf(out, cap, "%s", base);
		return;
	}
	cal_date_format(tz_day(z, from_us), first);
	cal_date_format(tz_day(z, to_us - 1), last);
	snprintf(out, cap, "%s_%s_%s", base, first, last);
}
