/* kinko-token-emu's attestation files: the manufacturer CA given to --init, and the CA
 * --make-attestation-ca writes for tests and demos. */
#ifndef KINKO_EMU_ATTEST_H
#define KINKO_EMU_ATTEST_H

#include "token_state.h"

/* Give st its attestation key, issued by the CA in the PEM files cert_path and key_path.
 * The key file is read once into memory that is wiped after parsing; the CA key is never
 * stored in st. 0, or -1 after an error message naming the file. */
int emu_attest_provision(tok_state *st, const char *cert_path, const char *key_path);

/* Write dir/attestation-ca.pem and dir/attestation-ca.key (mode 0600), a new self-signed
 * CA; dir is created (0700) when missing; existing files are never replaced. Exit status
 * (EMU_EXIT_*). */
int emu_attest_make_ca(const char *dir);

#endif
