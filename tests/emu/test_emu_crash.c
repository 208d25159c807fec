/* The kill-during-write proof: a client streams writes (PUT DATA of a counter-stamped
 * object, PIN changes, key generation, MOVE KEY between two slots) and the emulator is killed with SIGKILL at a random
 * instant. Restarted from the same state file, the token must load and hold, for each
 * item, the last acknowledged value or the one in flight — never a mix, never older. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "emu_client.h"
#include "piv.h"
#include "tlv.h"

#define ROUNDS 100
#define MAX_DELAY_US 40000u
#define OBJ_LEN 2000u
#define OBJ_TAG 0x5F, 0xC1, 0x0D /* certificate container of retired slot 82 */
#define KEY_SLOT 0x83            /* retired slots 83 and 84: the key moves between them */
#define KEY_SLOT2 0x84
#define PUB_MAX 160u

static const char *const pins[2] = {"11223344", "55667788"};

typedef enum { W_PUT, W_PIN, W_GEN, W_MOVE, W_KINDS } write_kind;

static const uint8_t key_slots[2] = {KEY_SLOT, KEY_SLOT2};

/* What the token must hold: the acknowledged values, and the write in flight. */
typedef struct {
	uint32_t obj;         /* counter of the last acknowledged object, 0: none */
	int pin;              /* index into pins of the acknowledged PIN */
	uint8_t pub[PUB_MAX]; /* acknowledged key's 7F49 contents; pub_len 0: none */
	size_t pub_len;
	int at; /* index into key_slots of the acknowledged key's slot */
	bool in_flight;
	write_kind kind;   /* of the write in flight */
	uint32_t next_obj; /* counter of a PUT in flight */
	bool applied;      /* the restarted token holds the write in flight */
} model;

typedef struct {
	emu_proc p;
	uint8_t *cmd;
	uint8_t *resp;
	uint32_t rng;
	long long avg_us[W_KINDS]; /* how long each kind of write takes, lately */
	unsigned kills_mid[W_KINDS], kills_between;
	unsigned applied[W_KINDS]; /* writes in flight found done after the restart */
} fixture;

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pin_pad(uint8_t out[8], const char *pin)
{
	memset(out, PIV_PIN_PAD, 8);
	memcpy(out, pin, strlen(pin));
}

/* The APDU of the next write, into f->cmd; returns its length. */
static size_t build_write(fixture *f, model *m, write_kind kind)
{
	static const uint8_t put_head[] =
		{0x00, PIV_INS_PUT_DATA, 0x3F, 0xFF, 0x00, 0x07, 0xD9, 0x5C,
	         0x03, OBJ_TAG,          0x53, 0x82, 0x07, 0xD0};
	static const uint8_t gen[] = {0x00, PIV_INS_GENERATE_KEY,
	                              0x00, KEY_SLOT,
	                              0x05, 0xAC,
	                              0x03, 0x80,
	                              0x01, PIV_ALG_ECCP256,
	                              0x00};
	uint8_t *c = f->cmd;
	size_t i;

	switch (kind) {
	case W_PUT: /* extended case 3: one APDU, one write */
		m->next_obj = m->obj + 1;
		memcpy(c, put_head, sizeof(put_head));
		for (i = 0; i < OBJ_LEN; i++)
			c[sizeof(put_head) + i] = (uint8_t)(m->next_obj >> (8 * (3 - i % 4)));
		return sizeof(put_head) + OBJ_LEN;
	case W_PIN:
		memcpy(c, "\x00\x24\x00\x80\x10", 5);
		pin_pad(c + 5, pins[m->pin]);
		pin_pad(c + 13, pins[1 - m->pin]);
		return 21;
	case W_MOVE:
		c[0] = 0x00;
		c[1] = PIV_INS_MOVE_KEY;
		c[2] = key_slots[1 - m->at];
		c[3] = key_slots[m->at];
		return 4;
	default:
		memcpy(c, gen, sizeof(gen));
		c[3] = key_slots[m->at];
		return sizeof(gen);
	}
}

/* The write was acknowledged: it is now the state to expect. */
static void acknowledge(model *m, const uint8_t *resp, size_t n)
{
	tlv_item t;

	assert_true(n >= 2);
	assert_int_equal(resp[n - 2] << 8 | resp[n - 1], SW_OK);
	switch (m->kind) {
	case W_PUT: m->obj = m->next_obj; break;
	case W_PIN: m->pin = 1 - m->pin; break;
	case W_MOVE: m->at = 1 - m->at; break;
	default:
		assert_int_equal(tlv_parse(resp, n - 2, &t), TLV_OK);
		assert_int_equal(t.tag, PIV_TLV_PUBKEY);
		assert_true(t.len <= PUB_MAX);
		memcpy(m->pub, t.value, t.len);
		m->pub_len = t.len;
		break;
	}
	m->in_flight = false;
}

static void connect_powered(fixture *f, emu_conn *c)
{
	assert_int_equal(emu_connect(c, f->p.sock), 0);
	assert_int_equal(emu_power_on(c, NULL, 0, NULL), 0);
	assert_int_equal(emu_select(c), SW_OK);
}

/* Wait for the reply until the deadline: true when it is there to read. */
static bool reply_before(emu_conn *c, long long deadline)
{
	for (;;) {
		long long left = deadline - now_us();
		int r;

		if (left <= 0)
			return false;
		r = emu_wait_readable(c, left);
		assert_true(r >= 0);
		if (r > 0)
			return true;
	}
}

/* Send one write; with a deadline, wait for the reply only until then. Returns false when
 * the deadline passed with the write outstanding. */
static bool write_one(fixture *f, model *m, emu_conn *c, write_kind kind, long long deadline)
{
	long long sent;
	ccid_header h;
	size_t n;

	if (kind == W_MOVE && m->pub_len == 0)
		kind = W_GEN; /* nothing to move yet */
	n = build_write(f, m, kind);
	m->kind = kind;
	assert_int_equal(emu_send_msg(c, CCID_PC_TO_RDR_XFR_BLOCK, 0, f->cmd, n), 0);
	sent = now_us();
	m->in_flight = true;
	if (deadline > 0 && !reply_before(c, deadline))
		return false;
	assert_int_equal(emu_recv(c, &h, f->resp, APDU_MAX_RESPONSE, &n), 0);
	assert_int_equal(h.param[0], 0);
	acknowledge(m, f->resp, n);
	f->avg_us[kind] = (3 * f->avg_us[kind] + (now_us() - sent)) / 4;
	return true;
}

/* Stream writes and SIGKILL the emulator after a random delay (at most 40 ms) counted
 * from the send of the round's target kind of write, and drawn within that kind's usual
 * duration: kills then fall all along each kind of write, not mostly in the slowest. */
static void write_and_kill(fixture *f, model *m, unsigned round)
{
	write_kind kind = (write_kind)(rng_next(&f->rng) % W_KINDS);
	write_kind target = (write_kind)(round % W_KINDS);
	long long span, deadline = 0;
	emu_conn c;

	connect_powered(f, &c);
	assert_int_equal(emu_auth_default_mgmt(&c), 0);
	for (;; kind = (write_kind)((kind + 1) % W_KINDS)) {
		if (deadline == 0 && kind == target) {
			span = f->avg_us[target] * 5 / 4;
			span = span < MAX_DELAY_US ? span : MAX_DELAY_US;
			deadline = now_us() + rng_next(&f->rng) % (span + 1);
		}
		if (deadline > 0 && now_us() >= deadline)
			break;
		if (!write_one(f, m, &c, kind, deadline))
			break; /* the kill lands while the write is outstanding */
	}
	emu_kill(&f->p);
	if (m->in_flight)
		f->kills_mid[m->kind]++;
	else
		f->kills_between++;
	emu_disconnect(&c);
}

static void check_object(emu_conn *c, fixture *f, model *m)
{
	static const uint8_t tag[] = {0x5C, 0x03, OBJ_TAG};
	size_t n = 0, i;
	uint32_t got;
	uint16_t sw;

	sw = emu_apdu(c, PIV_INS_GET_DATA, 0x3F, 0xFF, tag, sizeof(tag), true, f->resp,
	              APDU_MAX_RESPONSE, &n);
	if (sw == SW_FILE_NOT_FOUND) {
		assert_int_equal(m->obj, 0); /* never written and acknowledged */
		return;
	}
	assert_int_equal(sw, SW_OK);
	assert_int_equal(n, 4 + OBJ_LEN);
	assert_memory_equal(f->resp, "\x53\x82\x07\xD0", 4);
	got = (uint32_t)f->resp[4] << 24 | (uint32_t)f->resp[5] << 16 | (uint32_t)f->resp[6] << 8 |
	      f->resp[7];
	for (i = 4; i < OBJ_LEN; i++)
		assert_int_equal(f->resp[4 + i], f->resp[4 + i % 4]); /* not torn */
	if (got != m->obj) {
		assert_true(m->in_flight && m->kind == W_PUT);
		assert_int_equal(got, m->next_obj);
		m->applied = true;
	}
	m->obj = got;
}

/* Exactly one PIN verifies. A wrong attempt is followed by a right one, which restores
 * the counter, so the rounds never block the PIN. */
static void check_pin(emu_conn *c, model *m)
{
	unsigned left = 0, total = 0;
	int cur = m->pin;

	/* VERIFY persists the decremented counter before comparing: a kill there may
	 * leave one try less. */
	assert_int_equal(emu_pin_tries(c, &left, &total), 0);
	assert_int_equal(total, 3);
	assert_true(left + 1 >= total);
	if (emu_verify(c, pins[cur]) != SW_OK) {
		assert_true(m->in_flight && m->kind == W_PIN);
		cur = 1 - cur;
		assert_int_equal(emu_verify(c, pins[cur]), SW_OK);
		m->applied = true;
	} else {
		assert_int_not_equal(emu_verify(c, pins[1 - cur]), SW_OK);
		assert_int_equal(emu_verify(c, pins[cur]), SW_OK);
	}
	m->pin = cur;
}

/* ECDSA P-256 signature over digest by the point's key. */
static bool ec_signature_ok(const uint8_t *point, size_t point_len, const uint8_t *digest,
                            const uint8_t *sig, size_t sig_len)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *vctx = NULL;
	EVP_PKEY *pkey = NULL;
	bool ok = false;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
	                                              point_len);
	params[2] = OSSL_PARAM_construct_end();
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
		vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		ok = vctx && EVP_PKEY_verify_init(vctx) == 1 &&
		     EVP_PKEY_verify(vctx, sig, sig_len, digest, 32) == 1;
	}
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Which of the two slots holds a key: -1 none; never both (a move is all or nothing). */
static int key_slot_in_use(emu_conn *c, fixture *f)
{
	size_t n = 0;
	uint16_t sw[2];
	int i;

	for (i = 0; i < 2; i++) {
		sw[i] = emu_apdu(c, PIV_INS_GET_METADATA, 0x00, key_slots[i], NULL, 0, false,
		                 f->resp, APDU_MAX_RESPONSE, &n);
		assert_true(sw[i] == SW_OK || sw[i] == SW_FILE_NOT_FOUND);
	}
	assert_false(sw[0] == SW_OK && sw[1] == SW_OK);
	return sw[0] == SW_OK ? 0 : sw[1] == SW_OK ? 1 : -1;
}

/* The acknowledged slot holds the acknowledged key or a new one, or the other slot holds
 * the key a move in flight took there; its private half matches. Runs after check_pin, so
 * the PIN is verified for the slot's PIN-once policy. */
static void check_key(emu_conn *c, fixture *f, model *m)
{
	uint8_t cmd[40] = {0x7C, 0x24, 0x82, 0x00, 0x81, 0x20};
	size_t n = 0;
	tlv_item pub, point, outer, sig;
	uint16_t sw;
	int at = key_slot_in_use(c, f);

	if (at < 0) {
		assert_int_equal(m->pub_len, 0);
		return;
	}
	if (at != m->at) {
		assert_true(m->in_flight && m->kind == W_MOVE);
		m->applied = true;
		m->at = at;
	}
	sw = emu_apdu(c, PIV_INS_GET_METADATA, 0x00, key_slots[at], NULL, 0, false, f->resp,
	              APDU_MAX_RESPONSE, &n);
	assert_int_equal(sw, SW_OK);
	assert_int_equal(tlv_find(f->resp, n, PIV_META_PUBKEY, &pub), TLV_OK);
	assert_true(pub.len <= PUB_MAX);
	if (pub.len != m->pub_len || memcmp(pub.value, m->pub, pub.len) != 0) {
		assert_true(m->in_flight && m->kind == W_GEN);
		m->applied = true;
	}
	memcpy(m->pub, pub.value, pub.len);
	m->pub_len = pub.len;
	assert_int_equal(tlv_find(m->pub, m->pub_len, PIV_TLV_EC_POINT, &point), TLV_OK);

	assert_int_equal(RAND_bytes(cmd + 6, 32), 1);
	sw = emu_apdu(c, PIV_INS_GENERAL_AUTH, PIV_ALG_ECCP256, key_slots[at], cmd, 38, false,
	              f->resp, APDU_MAX_RESPONSE, &n);
	assert_int_equal(sw, SW_OK);
	assert_int_equal(tlv_parse(f->resp, n, &outer), TLV_OK);
	assert_int_equal(outer.tag, PIV_TLV_DYN_AUTH);
	assert_int_equal(tlv_find(outer.value, outer.len, PIV_TLV_RESPONSE, &sig), TLV_OK);
	assert_true(ec_signature_ok(point.value, point.len, cmd + 6, sig.value, sig.len));
}

/* Restart from the state the kill left; the emulator keeps running for the next round. */
static void restart_and_check(fixture *f, model *m)
{
	emu_conn c;

	assert_int_equal(emu_start(&f->p, NULL), 0);
	connect_powered(f, &c);
	m->applied = false;
	check_object(&c, f, m);
	check_pin(&c, m);
	check_key(&c, f, m);
	if (m->in_flight && m->applied)
		f->applied[m->kind]++;
	m->in_flight = false;
	emu_disconnect(&c);
}

static void kill_during_writes_leaves_old_or_new_state(void **state)
{
	static const char *const names[W_KINDS] = {"PUT DATA", "CHANGE REFERENCE", "GENERATE",
	                                           "MOVE KEY"};
	fixture *f = *state;
	model m;
	unsigned round, mid = 0, k;
	long long start = now_us();

	memset(&m, 0, sizeof(m));
	for (k = 0; k < W_KINDS; k++)
		f->avg_us[k] = MAX_DELAY_US / 2;
	assert_int_equal(emu_start(&f->p, NULL), 0);
	for (round = 0; round < ROUNDS; round++) {
		write_and_kill(f, &m, round);
		restart_and_check(f, &m);
	}
	assert_int_equal(emu_stop(&f->p), 0);
	for (k = 0; k < W_KINDS; k++)
		mid += f->kills_mid[k];
	printf("# %u rounds in %.1f s: %u kills during an outstanding write, %u between writes\n",
	       ROUNDS, (double)(now_us() - start) / 1e6, mid, f->kills_between);
	for (k = 0; k < W_KINDS; k++)
		printf("#   %-16s takes ~%lld us: killed %u times in flight, found done after "
		       "restart %u times\n",
		       names[k], f->avg_us[k], f->kills_mid[k], f->applied[k]);
	assert_true(mid > 0);
	/* The kill point follows each kind of write, so none of them goes untested. */
	for (k = 0; k < W_KINDS; k++)
		assert_true(f->kills_mid[k] > 0);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char pin_file[EMU_PATH_MAX];
	const char *args[] = {"--pin-file", pin_file, NULL};
	const char *seed_env = getenv("KINKO_CRASH_SEED");
	uint32_t seed;

	if (!f || emu_proc_setup(&f->p) != 0)
		return -1;
	f->cmd = malloc(APDU_MAX_COMMAND);
	f->resp = malloc(APDU_MAX_RESPONSE);
	if (!f->cmd || !f->resp)
		return -1;
	seed = seed_env ? (uint32_t)strtoul(seed_env, NULL, 0) :
	                  (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	if (seed == 0)
		seed = 1; /* xorshift's one fixed point */
	printf("# crash test seed %u (rerun with KINKO_CRASH_SEED=%u)\n", seed, seed);
	f->rng = seed;
	snprintf(pin_file, sizeof(pin_file), "%s/pin", f->p.dir);
	if (emu_write_file(pin_file, "11223344\n") != 0 || emu_init(&f->p, args, NULL, 0) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	emu_proc_teardown(&f->p);
	free(f->cmd);
	free(f->resp);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kill_during_writes_leaves_old_or_new_state, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
