/*
 * A bank integrator's Java client of kinko-bankd: the token's key through SunPKCS11
 * (KeyStore "PKCS11" of the provider, KeyManagerFactory, SSLContext) authenticates the TLS
 * connection, then the admin's logon of the JSON API: POST /api/logon {"pin"}, the card digits
 * at the positions the bank names to /api/logon/otp, the bank's status checked, /api/logoff.
 *
 * java KinkoLogon P11-CFG TOKEN-PIN-FILE BANK-URL BANK-CA-PEM (PROTOCOL ALIAS SECRETS-FILE)...
 *
 * One JVM runs every logon (a JVM start costs more than a logon). SECRETS-FILE is kinko's
 * --secrets-file (contract_pin=, card_file=); secrets come from files, never from the command
 * line. One line per logon: "logon PROTOCOL ALIAS: ok ..." or "... failed: why"; the exit
 * status is 1 when any failed.
 */
import java.io.IOException;
import java.io.InputStream;
import java.net.CookieManager;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

public final class KinkoLogon {
	private static final Duration TIMEOUT = Duration.ofSeconds(20);

	/* The key manager of the KeyManagerFactory, held to one alias: the token holds several
	 * keys from the same CA, and the test says which one logs on. */
	private static final class OneAlias extends X509ExtendedKeyManager {
		private final X509KeyManager km;
		private final String alias;

		OneAlias(X509KeyManager km, String alias) {
			this.km = km;
			this.alias = alias;
		}

		@Override
		public String chooseClientAlias(String[] types, Principal[] issuers, Socket s) {
			return alias;
		}

		@Override
		public String chooseEngineClientAlias(String[] types, Principal[] issuers, SSLEngine e) {
			return alias;
		}

		@Override
		public String[] getClientAliases(String type, Principal[] issuers) {
			return new String[] {alias};
		}

		@Override
		public String chooseServerAlias(String type, Principal[] issuers, Socket s) {
			return null;
		}

		@Override
		public String[] getServerAliases(String type, Principal[] issuers) {
			return null;
		}

		@Override
		public X509Certificate[] getCertificateChain(String a) {
			return km.getCertificateChain(a);
		}

		@Override
		public PrivateKey getPrivateKey(String a) {
			return km.getPrivateKey(a);
		}
	}

	public static void main(String[] args) throws Exception {
		if (args.length < 7 || (args.length - 4) % 3 != 0) {
			System.err.println("usage: KinkoLogon P11-CFG TOKEN-PIN-FILE BANK-URL BANK-CA-PEM"
			                   + " (PROTOCOL ALIAS SECRETS-FILE)...");
			System.exit(2);
		}
		// Added last, as keytool and jarsigner add it: JSSE's own providers keep the
		// handshake's other operations, and only the token's keys select SunPKCS11.
		Provider p11 = Security.getProvider("SunPKCS11").configure(args[0]);
		Security.addProvider(p11);
		KeyStore ks = KeyStore.getInstance("PKCS11", p11);
		KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
		char[] pin = firstLine(Path.of(args[1]));
		try {
			ks.load(null, pin);
			kmf.init(ks, pin);
		} finally {
			Arrays.fill(pin, '\0');
		}
		X509KeyManager km = null;
		for (KeyManager k : kmf.getKeyManagers())
			if (k instanceof X509KeyManager)
				km = (X509KeyManager)k;
		TrustManagerFactory tmf = bankTrust(Path.of(args[3]));
		URI bank = URI.create(args[2]);
		int failed = 0;
		for (int i = 4; i < args.length; i += 3) {
			String what = "logon " + args[i] + " " + args[i + 1] + ": ";
			try {
				SSLContext ctx = SSLContext.getInstance("TLS");
				ctx.init(new KeyManager[] {new OneAlias(km, args[i + 1])},
				         tmf.getTrustManagers(), null);
				System.out.println(what + "ok "
				                   + logon(ctx, args[i], bank, Path.of(args[i + 2])));
			} catch (Exception e) {
				failed++;
				System.out.println(what + "failed: " + e);
			}
		}
		System.exit(failed == 0 ? 0 : 1);
	}

	private static TrustManagerFactory bankTrust(Path caPem) throws Exception {
		KeyStore trust = KeyStore.getInstance("PKCS12");
		trust.load(null, null);
		try (InputStream in = Files.newInputStream(caPem)) {
			Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
			trust.setCertificateEntry("bank-ca", ca);
		}
		TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
		tmf.init(trust);
		return tmf;
	}

	/* Both steps of the admin's logon over one client (its cookie jar carries the session to
	 * the logoff); returns what the test checks: protocol, suite, subject, role. */
	private static String logon(SSLContext ctx, String protocol, URI bank, Path secrets)
	    throws Exception {
		SSLParameters params = ctx.getDefaultSSLParameters();
		params.setProtocols(new String[] {protocol});
		HttpClient http = HttpClient.newBuilder()
		                      .sslContext(ctx)
		                      .sslParameters(params)
		                      .version(HttpClient.Version.HTTP_1_1)
		                      .connectTimeout(TIMEOUT)
		                      .cookieHandler(new CookieManager())
		                      .build();
		List<String> lines = Files.readAllLines(secrets, StandardCharsets.UTF_8);
		byte[] body = ("{\"pin\":\"" + secret(lines, "contract_pin") + "\"}")
		                  .getBytes(StandardCharsets.UTF_8);
		HttpResponse<String> r;
		try {
			r = post(http, bank.resolve("/api/logon"), body);
		} finally {
			Arrays.fill(body, (byte)0);
		}
		String answer = expect(r, "\"logon_id\":\"([0-9a-f]+)\"");
		Matcher pos = Pattern.compile("\"positions\":\\[\"([A-Z][0-9])\",\"([A-Z][0-9])\"\\]")
		                  .matcher(r.body());
		if (!pos.find())
			throw new IOException("no card positions in the answer: " + r.body());
		Path card = Path.of(secret(lines, "card_file"));
		String digits = cardDigit(card, pos.group(1)) + cardDigit(card, pos.group(2));
		r = post(http, bank.resolve("/api/logon/otp"),
		         ("{\"logon_id\":\"" + answer + "\",\"digits\":\"" + digits + "\"}")
		             .getBytes(StandardCharsets.UTF_8));
		String role = expect(r, "\"logged_on\":\\{\"role\":\"([a-z]+)\"");
		String subject = expect(r, "\"subject\":\"([^\"]+)\"");
		SSLSession tls = r.sslSession().orElseThrow(() -> new IOException("no TLS session"));
		if (!protocol.equals(tls.getProtocol()))
			throw new IOException("negotiated " + tls.getProtocol() + ", not " + protocol);
		if (tls.getLocalCertificates() == null)
			throw new IOException("the client sent no certificate");
		r = post(http, bank.resolve("/api/logoff"), new byte[0]);
		expect(r, "\"logged_off\":(true)");
		return tls.getProtocol() + " " + tls.getCipherSuite() + " subject " + subject + " role "
		    + role + " logged off";
	}

	private static HttpResponse<String> post(HttpClient http, URI uri, byte[] body)
	    throws IOException, InterruptedException {
		HttpRequest req = HttpRequest.newBuilder(uri)
		                      .timeout(TIMEOUT)
		                      .header("Content-Type", "application/json")
		                      .POST(HttpRequest.BodyPublishers.ofByteArray(body))
		                      .build();
		return http.send(req, HttpResponse.BodyHandlers.ofString());
	}

	/* Group 1 of PATTERN in a 200 answer; anything else is the failure, with the answer. */
	private static String expect(HttpResponse<String> r, String pattern) throws IOException {
		Matcher m = Pattern.compile(pattern).matcher(r.body());
		if (r.statusCode() != 200 || !m.find())
			throw new IOException(r.uri().getPath() + " answered " + r.statusCode() + " "
			                      + r.body());
		return m.group(1);
	}

	private static String secret(List<String> lines, String key) throws IOException {
		for (String l : lines)
			if (l.startsWith(key + "="))
				return l.substring(key.length() + 1);
		throw new IOException("no " + key + " in the secrets file");
	}

	/* The digit at POS ("C3": row C, column 3) of kinko-bankd's printed customer card: a row
	 * letter, then the columns' digits. */
	private static String cardDigit(Path card, String pos) throws IOException {
		String row = pos.substring(0, 1);
		int col = pos.charAt(1) - '0';
		for (String l : Files.readAllLines(card, StandardCharsets.UTF_8)) {
			String[] f = l.trim().split("\\s+");
			if (f.length == 11 && f[0].equals(row))
				return f[col + 1];
		}
		throw new IOException("no position " + pos + " on the card");
	}

	/* The first line of a secret's file (the token PIN), as the KeyStore wants it. */
	static char[] firstLine(Path f) throws IOException {
		byte[] b = Files.readAllBytes(f);
		int n = 0;
		while (n < b.length && b[n] != '\n' && b[n] != '\r')
			n++;
		char[] c = new char[n];
		for (int i = 0; i < n; i++)
			c[i] = (char)(b[i] & 0xff);
		Arrays.fill(b, (byte)0);
		return c;
	}
}
