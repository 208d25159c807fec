/* USB CCID bulk messages (CCID 1.1 rev 1.1, section 6), the framing of the emulator
 * socket and of the USB token's bulk endpoints. */
#ifndef KINKO_CCID_H
#define KINKO_CCID_H

#include <stddef.h>
#include <stdint.h>

#define CCID_HEADER_LEN 10u
/* dwMaxCCIDMessageLength minus the header: fits a case 4E command or a 65536-byte response. */
#define CCID_MAX_DATA 65546u

/* Host to token */
#define CCID_PC_TO_RDR_ICC_POWER_ON 0x62
#define CCID_PC_TO_RDR_ICC_POWER_OFF 0x63
#define CCID_PC_TO_RDR_GET_SLOT_STATUS 0x65
#define CCID_PC_TO_RDR_XFR_BLOCK 0x6F
#define CCID_PC_TO_RDR_ESCAPE 0x6B /* vendor commands: kinko's exclusive batch */
/* Token to host */
#define CCID_RDR_TO_PC_DATA_BLOCK 0x80
#define CCID_RDR_TO_PC_SLOT_STATUS 0x81
#define CCID_RDR_TO_PC_ESCAPE 0x83

/* kinko's Escape commands (abData is one byte): the reader's lock for an exclusive batch
 * of commands, as PC/SC's SCardBeginTransaction. While one host holds it, the others'
 * IccPowerOn, IccPowerOff and XfrBlock wait. Answered by RDR_to_PC_Escape without data. */
#define CCID_ESCAPE_BEGIN_EXCLUSIVE 0x01
#define CCID_ESCAPE_END_EXCLUSIVE 0x02

/* bStatus: bmICCStatus (bits 0-1) | bmCommandStatus (bits 6-7) */
#define CCID_ICC_PRESENT_ACTIVE 0x00
#define CCID_ICC_PRESENT_INACTIVE 0x01
#define CCID_ICC_ABSENT 0x02
#define CCID_CMD_FAILED 0x40
#define CCID_CMD_TIME_EXTENSION 0x80

/* bError values when CCID_CMD_FAILED (CCID 1.1 table 6.2-2); a positive value names the
 * offset of the offending header field. */
#define CCID_ERR_CMD_NOT_SUPPORTED 0x00
#define CCID_ERR_BAD_LENGTH 0x01 /* offset of dwLength */
#define CCID_ERR_BAD_SLOT 0x05   /* offset of bSlot */
#define CCID_ERR_BAD_DATA 0x0A   /* offset of abData */
#define CCID_ERR_ICC_MUTE 0xFE
#define CCID_ERR_XFR_OVERRUN 0xFC
#define CCID_ERR_HW_ERROR 0xFB
#define CCID_ERR_CMD_SLOT_BUSY 0xE0

typedef struct {
	uint8_t type;
	uint32_t length; /* dwLength: bytes after the header */
	uint8_t slot;
	uint8_t seq;
	uint8_t param
		[3]; /* type-specific: bStatus, bError, bChainParameter/bClockStatus for replies */
} ccid_header;

void ccid_header_encode(const ccid_header *h, uint8_t out[CCID_HEADER_LEN]);
void ccid_header_decode(const uint8_t in[CCID_HEADER_LEN], ccid_header *h);

/* Build a whole message (header + data) into out; returns its size, or 0 when cap is too
 * small or len exceeds CCID_MAX_DATA. */
size_t ccid_message_build(uint8_t *out, size_t cap, uint8_t type, uint8_t slot, uint8_t seq,
                          const uint8_t param[3], const uint8_t *data, size_t len);

#endif
