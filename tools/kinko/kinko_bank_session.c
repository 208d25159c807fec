/* The bank sessions kinko keeps between runs: one file per bank and certificate (the bank binds
 * a session to the certificate), so a second token or certificate logging on to the same bank
 * never overwrites the first one's session; and which of them a later run means. */
#include "kinko_bank.h"
#include "i18n.h"
#include "kinko_bank_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SESSION_MAX 64 /* session files considered: more is not a user's */

void bank_cert_name(X509 *x, char *out, size_t len)
{
	char cn[96] = "", ou[64] = "";
	X509_NAME *n = X509_get_subject_name(x);
	if (X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof cn) < 0)
		snprintf(cn, sizeof cn, "%s", _("(no CN)"));
	if (X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, ou, sizeof ou) < 0)
		ou[0] = '\0';
	snprintf(out, len, ou[0] ? "%s (%s)" : "%s", cn, ou);
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?'; /* a file line and a terminal line */
}

int bank_cert_sha(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != sizeof md)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The directory of the session files. */
static int session_dir(char *out, size_t len)
{
	return bank_dir(".cache/kinko", "", out, len);
}

int bank_session_path(const char *bank_url, const char *cert_sha, char *out, size_t len)
{
	char hp[256], dir[3072];
	if (strlen(cert_sha) != 64 || kinko_bank_host_port(bank_url, hp, sizeof hp) != 0 ||
	    session_dir(dir, sizeof dir) != 0)
		return -1;
	int n = snprintf(out, len, "%s/session-%s-%.16s", dir, hp, cert_sha);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* mkdir -p with mode 0700 for the directories kinko creates. */
static int session_mkdirs(const char *path)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int bank_session_save(const kinko_bank *b)
{
	char tmp[4200];
	if (session_mkdirs(b->session_path) != 0 ||
	    snprintf(tmp, sizeof tmp, "%s.tmp", b->session_path) >= (int)sizeof tmp)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int ok = dprintf(fd, "bank=%s\ncert=%s\nname=%s\nsession=%s\n", b->url, b->cert_sha,
	                 b->cert_name, b->session) > 0;
	ok = fsync(fd) == 0 && ok;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, b->session_path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* One session file's fields; the session token only when token is not NULL. 0, or -1 when it
 * is not a complete session file. */
static int session_read(const char *path, bank_session_ref *ref, char token[33])
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	char line[2100];
	int have = 0;
	memset(ref, 0, sizeof *ref);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "bank=", 5) == 0 && strlen(line + 5) < sizeof ref->url) {
			memcpy(ref->url, line + 5, strlen(line + 5) + 1);
			have |= 1;
		} else if (strncmp(line, "cert=", 5) == 0 && strlen(line + 5) == 64) {
			memcpy(ref->cert_sha, line + 5, 65);
			have |= 2;
		} else if (strncmp(line, "name=", 5) == 0) {
			snprintf(ref->name, sizeof ref->name, "%s", line + 5);
		} else if (strncmp(line, "session=", 8) == 0 && strlen(line + 8) == 32) {
			if (token != NULL)
				memcpy(token, line + 8, 33);
			have |= 4;
		}
	}
	fclose(f);
	OPENSSL_cleanse(line, sizeof line);
	snprintf(ref->path, sizeof ref->path, "%s", path);
	return have == 7 ? 0 : -1;
}

int bank_session_load(kinko_bank *b)
{
	bank_session_ref ref;
	char token[33];
	int rc = session_read(b->session_path, &ref, token);
	if (rc == 0 && strcmp(ref.cert_sha, b->cert_sha) == 0)
		memcpy(b->session, token, sizeof token);
	else
		rc = -1;
	OPENSSL_cleanse(token, sizeof token);
	return rc;
}

void bank_session_forget(kinko_bank *b)
{
	OPENSSL_cleanse(b->session, sizeof b->session);
	unlink(b->session_path);
}

/* Same bank? Compared by host and port, as the files are named. */
static int session_same_bank(const char *a, const char *b)
{
	char ha[256], hb[256];
	return kinko_bank_host_port(a, ha, sizeof ha) == 0 &&
	       kinko_bank_host_port(b, hb, sizeof hb) == 0 && strcmp(ha, hb) == 0;
}

/* The kept sessions, of bank_url's bank or of all; at most SESSION_MAX. */
static size_t session_list(const char *bank_url, bank_session_ref *refs)
{
	char dir[3072];
	size_t n = 0;
	if (session_dir(dir, sizeof dir) != 0)
		return 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && n < SESSION_MAX && (e = readdir(d)) != NULL) {
		char path[4096];
		if (strncmp(e->d_name, "session-", 8) != 0 || strstr(e->d_name, ".tmp") != NULL ||
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (session_read(path, &refs[n], NULL) == 0 &&
		    (bank_url == NULL || session_same_bank(bank_url, refs[n].url)))
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* The certificate of the session on the token, or NULL. */
static const kinko_keyobj *session_cert(const bank_session_ref *s, const kinko_keyobj *objs,
                                        size_t n)
{
	char sha[65];
	for (size_t i = 0; i < n; i++)
		if (objs[i].x509 != NULL && bank_cert_sha(objs[i].x509, sha) == 0 &&
		    strcmp(sha, s->cert_sha) == 0)
			return &objs[i];
	return NULL;
}

/* Several sessions could be meant: a numbered list on a terminal. Index, or -1 (printed). */
static int session_ask(kinko_ctx *ctx, const bank_session_ref *refs, const size_t *idx, size_t m)
{
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "r+e") : NULL;
	if (tty == NULL) {
		kinko_err(
			ctx, "session_choice_needed", NULL,
			_("%zu bank sessions could be meant: choose one with --cert pkcs11:... (see kinko "
		          "certs) or --bank URL:"),
			m);
		for (size_t i = 0; i < m; i++)
			fprintf(stderr, _("  %s, certificate %s\n"), refs[idx[i]].url,
			        refs[idx[i]].name);
		return -1;
	}
	fprintf(tty, "%s", _("Choose the bank session:\n"));
	for (size_t i = 0; i < m; i++)
		fprintf(tty, _("  %zu) %s, certificate %s\n"), i + 1, refs[idx[i]].url,
		        refs[idx[i]].name);
	fprintf(tty, "%s", _("number: "));
	fflush(tty);
	char line[32];
	unsigned long choice = fgets(line, sizeof line, tty) != NULL ? strtoul(line, NULL, 10) : 0;
	fclose(tty);
	if (choice < 1 || choice > m) {
		kinko_err(ctx, "no_choice", NULL, _("no bank session chosen"));
		return -1;
	}
	return (int)idx[choice - 1];
}

int bank_session_choose(kinko_ctx *ctx, const char *bank_url, const char *cert_uri,
                        int (*match)(const kinko_keyobj *k, const char *uri),
                        const kinko_keyobj *objs, size_t n, bank_session_ref *s,
                        const kinko_keyobj **k)
{
	bank_session_ref *refs = calloc(SESSION_MAX, sizeof *refs);
	size_t idx[SESSION_MAX], m = 0, all;
	int rc = KINKO_EXIT_OK;
	*k = NULL;
	if (refs == NULL)
		return KINKO_EXIT_FAIL;
	all = session_list(bank_url, refs);
	for (size_t i = 0; i < all; i++) {
		const kinko_keyobj *c = session_cert(&refs[i], objs, n);
		if (c != NULL && (cert_uri == NULL || match(c, cert_uri)))
			idx[m++] = i;
	}
	if (all == 0) {
		if (bank_url != NULL)
			kinko_err(ctx, "not_logged_on", NULL,
			          _("not logged on to %s: run kinko logon --bank %s"), bank_url,
			          bank_url);
		else
			kinko_err(ctx, "not_logged_on", NULL,
			          _("not logged on to any bank: run kinko logon --bank URL"));
		rc = KINKO_EXIT_BANK;
	} else if (m == 0 && cert_uri != NULL) {
		kinko_err(ctx, "not_logged_on", NULL,
		          _("not logged on to %s with the certificate %s: run kinko logon --cert"),
		          bank_url != NULL ? bank_url : refs[0].url, cert_uri);
		rc = KINKO_EXIT_BANK;
	} else if (m == 0) {
		const char *url = bank_url != NULL ? bank_url : refs[0].url;
		if (all > 1)
			kinko_err(
				ctx, "no_session_on_token", NULL,
				_("no bank session of a certificate on this token: the sessions kept for %s are "
			          "for another certificate (%s, ...) not on this token; use that token (--token), "
			          "or log on with this one (kinko logon)"),
				url, refs[0].name);
		else
			kinko_err(
				ctx, "no_session_on_token", NULL,
				_("no bank session of a certificate on this token: the session kept for %s is "
			          "for another certificate (%s) not on this token; use that token (--token), or "
			          "log on with this one (kinko logon)"),
				url, refs[0].name);
		rc = KINKO_EXIT_TOKEN;
	} else {
		int pick = m == 1 ? (int)idx[0] : session_ask(ctx, refs, idx, m);
		if (pick < 0) {
			rc = KINKO_EXIT_USAGE;
		} else {
			*s = refs[pick];
			*k = session_cert(s, objs, n);
			kinko_progress(ctx, _("bank session: %s, certificate %s\n"), s->url,
			               s->name);
		}
	}
	free(refs);
	return rc;
}
