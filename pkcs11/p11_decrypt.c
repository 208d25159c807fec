/* PKCS#11 front end of encryption (in software with a public key) and decryption (on the
 * card): thin wrappers around mod_encrypt.c and mod_decrypt.c; the parameter lists are
 * p11_compat.h's. */
#include "mod_crypt.h"
#include "p11_entry.h"

/* ---- encryption ---- */

P11_EXPORT CK_RV C_EncryptInit P11_ARGS_KEY_INIT
{
	P11_INIT_CALL("C_EncryptInit", hSession, CKF_ENCRYPT,
	              mod_encrypt_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Encrypt P11_ARGS_IN_OUT
{
	P11_SESSION_CALL("C_Encrypt", hSession,
	                 mod_encrypt_oneshot(sess, pIn, ulInLen, pOut, pulOutLen));
}

P11_EXPORT CK_RV C_EncryptUpdate P11_ARGS_IN_OUT
{
	(void)pOut;
	P11_SESSION_CALL("C_EncryptUpdate", hSession,
	                 mod_crypt_session_update(&sess->encrypt, pulOutLen && (pIn || !ulInLen)));
}

P11_EXPORT CK_RV C_EncryptFinal P11_ARGS_OUT
{
	(void)pOut;
	P11_SESSION_CALL("C_EncryptFinal", hSession,
	                 mod_crypt_session_final(&sess->encrypt, pulOutLen != NULL));
}

/* ---- decryption ---- */

P11_EXPORT CK_RV C_DecryptInit P11_ARGS_KEY_INIT
{
	P11_INIT_CALL("C_DecryptInit", hSession, CKF_DECRYPT,
	              mod_decrypt_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Decrypt P11_ARGS_IN_OUT
{
	P11_SESSION_CALL("C_Decrypt", hSession,
	                 mod_decrypt_oneshot(sess, slot, pIn, ulInLen, pOut, pulOutLen));
}

P11_EXPORT CK_RV C_DecryptUpdate P11_ARGS_IN_OUT
{
	(void)pOut;
	P11_SESSION_CALL("C_DecryptUpdate", hSession,
	                 mod_crypt_session_update(&sess->decrypt, pulOutLen && (pIn || !ulInLen)));
}

P11_EXPORT CK_RV C_DecryptFinal P11_ARGS_OUT
{
	(void)pOut;
	P11_SESSION_CALL("C_DecryptFinal", hSession,
	                 mod_crypt_session_final(&sess->decrypt, pulOutLen != NULL));
}
