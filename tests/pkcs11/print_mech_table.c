/* Prints the module's mechanism table (mod_mech_table) as the first three columns of the
 * README's mechanism table, one row per line, so test_readme_mech_table.sh can hold the
 * README to the table: "`CKM_NAME` | FLAG, FLAG | min–max". A row whose mechanism has no
 * name here prints its number, which no README row matches: naming it is part of adding
 * it. */
#include <stdio.h>

#include "mod_mech.h"

static const char *mech_name(CK_MECHANISM_TYPE t)
{
	switch (t) {
	case CKM_RSA_PKCS_KEY_PAIR_GEN: return "CKM_RSA_PKCS_KEY_PAIR_GEN";
	case CKM_EC_KEY_PAIR_GEN: return "CKM_EC_KEY_PAIR_GEN";
	case CKM_RSA_PKCS: return "CKM_RSA_PKCS";
	case CKM_RSA_X_509: return "CKM_RSA_X_509";
	case CKM_RSA_PKCS_OAEP: return "CKM_RSA_PKCS_OAEP";
	case CKM_RSA_PKCS_PSS: return "CKM_RSA_PKCS_PSS";
	case CKM_SHA256_RSA_PKCS: return "CKM_SHA256_RSA_PKCS";
	case CKM_SHA384_RSA_PKCS: return "CKM_SHA384_RSA_PKCS";
	case CKM_SHA512_RSA_PKCS: return "CKM_SHA512_RSA_PKCS";
	case CKM_SHA256_RSA_PKCS_PSS: return "CKM_SHA256_RSA_PKCS_PSS";
	case CKM_SHA384_RSA_PKCS_PSS: return "CKM_SHA384_RSA_PKCS_PSS";
	case CKM_SHA512_RSA_PKCS_PSS: return "CKM_SHA512_RSA_PKCS_PSS";
	case CKM_ECDSA: return "CKM_ECDSA";
	case CKM_ECDSA_SHA256: return "CKM_ECDSA_SHA256";
	case CKM_ECDSA_SHA384: return "CKM_ECDSA_SHA384";
	case CKM_ECDSA_SHA512: return "CKM_ECDSA_SHA512";
	case CKM_ECDH1_DERIVE: return "CKM_ECDH1_DERIVE";
	case CKM_SHA_1: return "CKM_SHA_1";
	case CKM_SHA224: return "CKM_SHA224";
	case CKM_SHA256: return "CKM_SHA256";
	case CKM_SHA384: return "CKM_SHA384";
	case CKM_SHA512: return "CKM_SHA512";
	default: return NULL;
	}
}

/* The operation flags, in the order the README lists them; CKF_HW and the CKF_EC_* flags
 * are said once in the README's text. */
static const struct {
	CK_FLAGS flag;
	const char *name;
} flags[] = {
	{CKF_ENCRYPT, "ENCRYPT"}, {CKF_DECRYPT, "DECRYPT"},
	{CKF_DIGEST, "DIGEST"},   {CKF_SIGN, "SIGN"},
	{CKF_VERIFY, "VERIFY"},   {CKF_GENERATE_KEY_PAIR, "GENERATE_KEY_PAIR"},
	{CKF_DERIVE, "DERIVE"},
};

int main(void)
{
	size_t n = 0, i, j;
	const mod_mech *t = mod_mech_table(&n);

	for (i = 0; i < n; i++) {
		const char *name = mech_name(t[i].type);
		const char *sep = "";

		if (name)
			printf("`%s` |", name);
		else
			printf("0x%08lx |", (unsigned long)t[i].type);
		for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++) {
			if (t[i].info.flags & flags[j].flag) {
				printf("%s %s", sep, flags[j].name);
				sep = ",";
			}
		}
		if (t[i].info.ulMaxKeySize == 0)
			printf(" | —\n");
		else
			printf(" | %lu–%lu\n", (unsigned long)t[i].info.ulMinKeySize,
			       (unsigned long)t[i].info.ulMaxKeySize);
	}
	return 0;
}
