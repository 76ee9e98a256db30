/*
 * paybox.c - the entry points of the Paybox protocols that are no page (research/
 * paybox-protocol.md): the availability probe /load.html the modules call before each
 * redirection or Direct call, and the back office's download of Guichet's public key, the
 * pubkey.pem a merchant puts in its module to verify K. Paybox Direct itself is ppps.c.
 */
#include <string.h>

#include "api/api.h"
#include "crypto/rsa.h"

/* research §0: the official kit and lexik look for the element id="server_status" whose text
 * is OK, highcanfly for ">OK<", PrestaShop and Magento for a 200. */
static const char load_html[] = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                                "<title>Guichet</title></head>\n<body><div "
                                "id=\"server_status\">OK</div></body></html>\n";

int
api_paybox_load(struct req *r)
{
	http_reply_text(r, 200, "text/html; charset=utf-8", load_html, sizeof(load_html) - 1);
	return 0;
}

int
api_paybox_public_key(struct req *r)
{
	const char *pem = rsa_public_pem(r->app->paybox_key);

	/* The name the modules give the file they read (Woo, PrestaShop: pubkey.pem). */
	http_reply_download(r, "application/x-pem-file", "pubkey.pem", pem, strlen(pem));
	return 0;
}
