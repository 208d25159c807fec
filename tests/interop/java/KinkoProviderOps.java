/*
 * The SunPKCS11 provider's own services on kinko's token, beyond the signatures keytool,
 * jarsigner and TLS make: each result is compared with the JDK's software providers.
 *
 * java KinkoProviderOps P11-CFG TOKEN-PIN-FILE OP...
 *   digest          MessageDigest SHA-256 of the provider (C_DigestInit, C_Digest)
 *   verify:ALIAS    a signature made with the token key ALIAS, verified by the provider with
 *                   the certificate's public key (a session public key: C_CreateObject)
 *   decrypt:ALIAS   RSA/ECB/PKCS1Padding and RSA/ECB/NoPadding: encrypted in software and by
 *                   the provider (a session public key), decrypted with the token key ALIAS
 *   derive:ALIAS    ECDH of the token key ALIAS with a software key pair (C_DeriveKey)
 *
 * One line per OP: "op OP: ok ..." or "op OP: failed: why"; exit status 1 when any failed.
 */
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;

public final class KinkoProviderOps {
	private static final byte[] DATA =
	    "kinko: the token's key through SunPKCS11".getBytes(StandardCharsets.US_ASCII);

	private static Provider p11;
	private static KeyStore ks;

	public static void main(String[] args) throws Exception {
		if (args.length < 3) {
			System.err.println("usage: KinkoProviderOps P11-CFG TOKEN-PIN-FILE OP...");
			System.exit(2);
		}
		p11 = Security.getProvider("SunPKCS11").configure(args[0]);
		Security.addProvider(p11);
		ks = KeyStore.getInstance("PKCS11", p11);
		char[] pin = KinkoLogon.firstLine(Path.of(args[1]));
		try {
			ks.load(null, pin);
		} finally {
			Arrays.fill(pin, '\0');
		}
		int failed = 0;
		for (int i = 2; i < args.length; i++) {
			String op = args[i];
			int colon = op.indexOf(':');
			String alias = colon < 0 ? null : op.substring(colon + 1);
			try {
				String what;
				switch (colon < 0 ? op : op.substring(0, colon)) {
				case "digest":
					what = digest();
					break;
				case "verify":
					what = verify(alias);
					break;
				case "decrypt":
					what = decrypt(alias);
					break;
				case "derive":
					what = derive(alias);
					break;
				default:
					throw new IllegalArgumentException("unknown operation");
				}
				System.out.println("op " + op + ": ok " + what);
			} catch (Exception e) {
				failed++;
				System.out.println("op " + op + ": failed: " + e + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
			}
		}
		System.exit(failed == 0 ? 0 : 1);
	}

	private static String digest() throws Exception {
		MessageDigest md = MessageDigest.getInstance("SHA-256", p11);
		byte[] token = md.digest(DATA);
		if (!Arrays.equals(token, MessageDigest.getInstance("SHA-256", "SUN").digest(DATA)))
			throw new Exception("the provider's SHA-256 differs from the JDK's");
		return "SHA-256 " + HexFormat.of().formatHex(token);
	}

	private static String verify(String alias) throws Exception {
		PrivateKey key = (PrivateKey)ks.getKey(alias, null);
		PublicKey pub = ks.getCertificate(alias).getPublicKey();
		String alg = pub instanceof RSAPublicKey ? "SHA256withRSA" : "SHA256withECDSA";
		Signature s = Signature.getInstance(alg, p11);
		s.initSign(key);
		s.update(DATA);
		byte[] sig = s.sign();
		Signature v = Signature.getInstance(alg, p11);
		v.initVerify(pub);
		v.update(DATA);
		if (!v.verify(sig))
			throw new Exception("the provider refused the token's signature");
		v.initVerify(pub);
		v.update(DATA, 1, DATA.length - 1);
		if (v.verify(sig))
			throw new Exception("the provider accepted the signature of other data");
		return alg + " verified by the provider, other data refused";
	}

	private static String decrypt(String alias) throws Exception {
		PrivateKey key = (PrivateKey)ks.getKey(alias, null);
		RSAPublicKey pub = (RSAPublicKey)ks.getCertificate(alias).getPublicKey();
		Cipher soft = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
		soft.init(Cipher.ENCRYPT_MODE, pub);
		Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding", p11);
		enc.init(Cipher.ENCRYPT_MODE, pub);
		Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding", p11);
		dec.init(Cipher.DECRYPT_MODE, key);
		if (!Arrays.equals(dec.doFinal(soft.doFinal(DATA)), DATA))
			throw new Exception("PKCS#1 v1.5: the token's plaintext differs (software encryption)");
		if (!Arrays.equals(dec.doFinal(enc.doFinal(DATA)), DATA))
			throw new Exception("PKCS#1 v1.5: the token's plaintext differs (provider encryption)");
		// Raw RSA: a block below the modulus, its leading byte zero.
		byte[] block = new byte[(pub.getModulus().bitLength() + 7) / 8];
		System.arraycopy(DATA, 0, block, block.length - DATA.length, DATA.length);
		Cipher rawSoft = Cipher.getInstance("RSA/ECB/NoPadding", "SunJCE");
		rawSoft.init(Cipher.ENCRYPT_MODE, pub);
		Cipher raw = Cipher.getInstance("RSA/ECB/NoPadding", p11);
		raw.init(Cipher.DECRYPT_MODE, key);
		byte[] out = raw.doFinal(rawSoft.doFinal(block));
		byte[] tail = Arrays.copyOfRange(out, out.length - DATA.length, out.length);
		if (!Arrays.equals(tail, DATA))
			throw new Exception("raw RSA: the token's plaintext differs");
		return "RSA/ECB/PKCS1Padding (software and provider encryption) and RSA/ECB/NoPadding";
	}

	private static String derive(String alias) throws Exception {
		PrivateKey key = (PrivateKey)ks.getKey(alias, null);
		ECPublicKey pub = (ECPublicKey)ks.getCertificate(alias).getPublicKey();
		KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
		g.initialize(pub.getParams());
		KeyPair peer = g.generateKeyPair();
		KeyAgreement token = KeyAgreement.getInstance("ECDH", p11);
		token.init(key);
		token.doPhase(peer.getPublic(), true);
		KeyAgreement soft = KeyAgreement.getInstance("ECDH", "SunEC");
		soft.init(peer.getPrivate());
		soft.doPhase(pub, true);
		byte[] a = token.generateSecret();
		byte[] b = soft.generateSecret();
		boolean same = Arrays.equals(a, b);
		Arrays.fill(a, (byte)0);
		Arrays.fill(b, (byte)0);
		if (!same)
			throw new Exception("the token's ECDH secret differs from the JDK's");
		return "ECDH secret equals the JDK's";
	}
}
