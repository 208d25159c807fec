/* C_GenerateRandom: random bytes from the token, under the session's slot lock
 * (P11_SESSION_CALL). */
#include "mod_mech.h"

#include <openssl/crypto.h>

/* The driver draws them from 9B challenges, one cipher block per APDU (the chunking
 * happens there); a failure leaves no partial random bytes behind. */
CK_RV mod_random_generate(mod_slot *slot, CK_BYTE *out, CK_ULONG len)
{
	CK_RV rv;

	if (!out && len)
		return CKR_ARGUMENTS_BAD;
	if (len == 0)
		return CKR_OK;
	rv = mod_slot_rv(slot, card_random(&slot->card, out, len));
	if (rv != CKR_OK)
		OPENSSL_cleanse(out, len);
	return rv;
}
