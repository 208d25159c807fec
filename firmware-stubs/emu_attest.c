/* kinko-token-emu's attestation files (emu_attest.h): reading the manufacturer CA for
 * --init, writing a new one for --make-attestation-ca. */
#include "emu_attest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "emu_cli.h"
#include "i18n.h"
#include "token_attest.h"

#define EMU_ATTEST_FILE_MAX (64u * 1024u) /* a PEM CA key or certificate is a few KB */

/* The whole file, at most EMU_ATTEST_FILE_MAX bytes, in a buffer the caller wipes and
 * frees. 0, -errno, or -EFBIG. */
static int emu_attest_slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	*buf = NULL;
	*len = 0;
	if (f == NULL)
		return -errno;
	*buf = malloc(EMU_ATTEST_FILE_MAX + 1);
	if (*buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(*buf, 1, EMU_ATTEST_FILE_MAX + 1, f);
	fclose(f);
	*len = n;
	return n > EMU_ATTEST_FILE_MAX ? -EFBIG : 0;
}

/* No passphrase prompt: an encrypted key is refused, not asked for. */
static int emu_attest_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The PEM certificate, or with key the PEM private key, in path. The file's bytes are
 * wiped as soon as they are parsed: the CA key lives in this process only as long as
 * provisioning needs it. */
static void *emu_attest_read_pem(const char *path, bool key)
{
	uint8_t *buf;
	size_t len;
	BIO *bio;
	void *obj = NULL;
	int rc = emu_attest_slurp(path, &buf, &len);

	if (rc != 0) {
		emu_cli_error(key ? _("cannot read the attestation CA key %s: %s\n") :
		                    _("cannot read the attestation CA certificate %s: %s\n"),
		              path, strerror(-rc));
	} else {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (bio != NULL)
			obj = key ? (void *)PEM_read_bio_PrivateKey(bio, NULL,
			                                            emu_attest_no_passphrase,
			                                            NULL) :
			            (void *)PEM_read_bio_X509(bio, NULL, emu_attest_no_passphrase,
			                                      NULL);
		BIO_free(bio);
		if (obj == NULL)
			emu_cli_error(
				key ? _("attestation CA key %s: not an unencrypted PEM private "
			                "key\n") :
				      _("attestation CA certificate %s: not a PEM certificate\n"),
				path);
	}
	if (buf != NULL)
		OPENSSL_clear_free(buf, EMU_ATTEST_FILE_MAX + 1);
	return obj;
}

int emu_attest_provision(tok_state *st, const char *cert_path, const char *key_path)
{
	X509 *ca = emu_attest_read_pem(cert_path, false);
	EVP_PKEY *key = ca != NULL ? emu_attest_read_pem(key_path, true) : NULL;
	int rc = -1;

	if (ca != NULL && key != NULL) {
		rc = tok_attest_provision(st, ca, key);
		if (rc == -EINVAL)
			emu_cli_error(_("attestation CA certificate %s: not a CA certificate\n"),
			              cert_path);
		else if (rc == -EKEYREJECTED)
			emu_cli_error(_("the attestation CA key %s is not the key of %s\n"),
			              key_path, cert_path);
		else if (rc == -EKEYEXPIRED)
			emu_cli_error(
				_("attestation CA certificate %s: expired or not yet valid\n"),
				cert_path);
		else if (rc != 0)
			emu_cli_error(_("cannot make the attestation key: %s\n"), strerror(-rc));
	}
	EVP_PKEY_free(key);
	X509_free(ca);
	return rc == 0 ? 0 : -1;
}

/* Create path (never replacing a file) and write the certificate or the key into it. */
static int emu_attest_write(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	BIO *bio;
	int ok;

	if (fd < 0) {
		emu_cli_error(errno == EEXIST ? _("%s already exists; it is not replaced\n") :
		                                _("cannot write %s: %s\n"),
		              path, strerror(errno));
		return -1;
	}
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	ok = bio != NULL &&
	     (cert != NULL ? PEM_write_bio_X509(bio, cert) :
	                     PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) &&
	     BIO_flush(bio) == 1;
	BIO_free(bio);
	ok = fsync(fd) == 0 && ok;
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		emu_cli_error(_("cannot write %s: %s\n"), path, strerror(EIO));
		unlink(path);
		return -1;
	}
	return 0;
}

int emu_attest_make_ca(const char *dir)
{
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = EMU_EXIT_ERROR;

	if ((size_t)snprintf(cert_path, sizeof(cert_path), "%s/attestation-ca.pem", dir) >=
	            sizeof(cert_path) ||
	    (size_t)snprintf(key_path, sizeof(key_path), "%s/attestation-ca.key", dir) >=
	            sizeof(key_path)) {
		emu_cli_error(_("the directory name %s is too long\n"), dir);
		return EMU_EXIT_ERROR;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		emu_cli_error(_("cannot create %s: %s\n"), dir, strerror(errno));
		return EMU_EXIT_ERROR;
	}
	if (tok_attest_ca_make(&cert, &key) != 0) {
		emu_cli_error(_("cannot make the attestation CA\n"));
	} else if (emu_attest_write(key_path, 0600, NULL, key) == 0) {
		if (emu_attest_write(cert_path, 0644, cert, NULL) == 0) {
			/* TRANSLATORS: what --make-attestation-ca wrote: the certificate, the key. */
			printf(_("attestation CA %s, key %s\n"), cert_path, key_path);
			rc = EMU_EXIT_OK;
		} else {
			unlink(key_path);
		}
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}
