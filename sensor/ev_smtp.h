/*
 * ev_smtp.h - the SMTP transaction event (included by event.h after
 * struct ev_hdr).
 *
 * One event per mail transaction (MAIL FROM .. end of DATA/BDAT LAST, or
 * up to RSET/QUIT/the next MAIL/the end of the flow), filled by
 * dissectors/smtp.c and serialized by sensor/output_json_smtp.c as the
 * "smtp" (envelope) and "email" (message headers, attachments) objects.
 * A session that never starts a transaction still gets one event when it
 * said HELO/EHLO, AUTH or STARTTLS.
 *
 * Every string is copied into a fixed-size, NUL-terminated array, decoded
 * to UTF-8 where the message encoded it (RFC 2047/2231); a bit in 'trunc'
 * says when more was on the wire than kept, and the n_*_dropped counters
 * say how many list entries were not kept.  No pointers into packets.
 * Credentials are never stored: of AUTH, only the mechanism name.
 */
#ifndef SPANLOG_EV_SMTP_H
#define SPANLOG_EV_SMTP_H

#include <stdbool.h>
#include <stdint.h>

#define EV_SMTP_HELO_MAX 128
#define EV_SMTP_ADDR_MAX 256		/* RFC 5321 4.5.3.1.3: path <= 256 */
#define EV_SMTP_NAME_MAX 128		/* display names */
#define EV_SMTP_MECH_MAX 24		/* SASL mechanism: <= 20 chars */
#define EV_SMTP_MAX_RCPT 32
#define EV_SMTP_MAX_ADDRS 16		/* To, Cc each */
#define EV_SMTP_MAX_RECEIVED 16
#define EV_SMTP_RECEIVED_MAX 384
#define EV_SMTP_MAX_ATTACH 16
#define EV_SMTP_FILE_MAX 256
#define EV_SMTP_CTYPE_MAX 96
#define EV_SMTP_SUBJECT_MAX 1024
#define EV_SMTP_MSGID_MAX 256
#define EV_SMTP_DATE_MAX 80
#define EV_SMTP_MAILER_MAX 160
#define EV_SMTP_MAX_STATUS 16

/* Which field lost bytes or entries (bits of ev_smtp.trunc). */
enum ev_smtp_trunc {
	EV_SMTP_TR_HELO = 1 << 0,
	EV_SMTP_TR_MAIL_FROM = 1 << 1,
	EV_SMTP_TR_RCPT = 1 << 2,	/* an address cut, or more than kept */
	EV_SMTP_TR_FROM = 1 << 3,
	EV_SMTP_TR_TO = 1 << 4,
	EV_SMTP_TR_CC = 1 << 5,
	EV_SMTP_TR_REPLY_TO = 1 << 6,
	EV_SMTP_TR_SUBJECT = 1 << 7,
	EV_SMTP_TR_MSGID = 1 << 8,
	EV_SMTP_TR_DATE = 1 << 9,
	EV_SMTP_TR_MAILER = 1 << 10,
	EV_SMTP_TR_RECEIVED = 1 << 11,
	EV_SMTP_TR_ATTACH = 1 << 12,	/* a name cut, or more than kept */
	EV_SMTP_TR_STATUS = 1 << 13,
};

/* How the transaction went (bits of ev_smtp.flags). */
enum ev_smtp_flag {
	EV_SMTP_HAS_MESSAGE = 1 << 0,	/* DATA/BDAT content was seen */
	EV_SMTP_STARTTLS = 1 << 1,	/* 220 to STARTTLS: the rest is TLS */
	EV_SMTP_GAP = 1 << 2,		/* a stream gap hit this transaction */
	EV_SMTP_INCOMPLETE = 1 << 3,	/* flow ended inside the message */
	EV_SMTP_NO_RECORD = 1 << 4,	/* record pool full: envelope summary */
	EV_SMTP_BDAT = 1 << 5,		/* content came in BDAT chunks */
	EV_SMTP_MIME_TOO_DEEP = 1 << 6,	/* multiparts past the depth cap */
	EV_SMTP_FROM_MISMATCH = 1 << 7,	/* header From != MAIL FROM */
	EV_SMTP_HAS_MAIL_FROM = 1 << 8,	/* a MAIL command was seen */
	EV_SMTP_HAS_FROM_HDR = 1 << 9,
	EV_SMTP_HAS_REPLY_TO = 1 << 10,
	EV_SMTP_DATA_DONE = 1 << 11,	/* the end of the content was seen */
};

/* A mailbox from an address header: display name and address apart. */
struct ev_smtp_addr {
	char name[EV_SMTP_NAME_MAX];	/* decoded; "" when none */
	char address[EV_SMTP_ADDR_MAX];	/* addr-spec as written */
};

enum ev_smtp_attach_flag {
	EV_SMTP_ATT_EXECUTABLE = 1 << 0,
	EV_SMTP_ATT_DOUBLE_EXT = 1 << 1,	/* "invoice.pdf.exe" */
	EV_SMTP_ATT_BIDI = 1 << 2,		/* U+202E and friends in the name */
	EV_SMTP_ATT_DISPOSITION = 1 << 3,	/* Content-Disposition: attachment */
	EV_SMTP_ATT_NAME_TRUNC = 1 << 4,
};

struct ev_smtp_attach {
	char filename[EV_SMTP_FILE_MAX];	/* decoded UTF-8, logical order */
	char visible[EV_SMTP_FILE_MAX];		/* as displayed; only with BIDI */
	char content_type[EV_SMTP_CTYPE_MAX];
	uint64_t size;				/* decoded bytes */
	uint8_t flags;				/* enum ev_smtp_attach_flag */
};

struct ev_smtp {
	struct ev_hdr h;		/* ts = MAIL FROM (or first command) */
	uint32_t flags;			/* enum ev_smtp_flag */
	uint32_t trunc;			/* enum ev_smtp_trunc */
	uint32_t trans_depth;		/* 1 for the first transaction */
	char helo[EV_SMTP_HELO_MAX];
	char mail_from[EV_SMTP_ADDR_MAX];	/* reverse-path, no <> or params */
	char auth_mech[EV_SMTP_MECH_MAX];	/* never the AUTH payload */
	uint16_t status[EV_SMTP_MAX_STATUS];	/* final replies, in order */
	uint8_t n_status;
	uint8_t n_rcpt, n_to, n_cc, n_received, n_attach;
	uint32_t n_rcpt_dropped, n_to_dropped, n_cc_dropped;
	uint32_t n_received_dropped, n_attach_dropped;
	char rcpt_to[EV_SMTP_MAX_RCPT][EV_SMTP_ADDR_MAX];
	/* email: the message's own headers */
	struct ev_smtp_addr from;
	struct ev_smtp_addr reply_to;
	struct ev_smtp_addr to[EV_SMTP_MAX_ADDRS];
	struct ev_smtp_addr cc[EV_SMTP_MAX_ADDRS];
	char subject[EV_SMTP_SUBJECT_MAX];	/* decoded UTF-8 */
	char message_id[EV_SMTP_MSGID_MAX];
	char date[EV_SMTP_DATE_MAX];
	char x_mailer[EV_SMTP_MAILER_MAX];	/* X-Mailer, else User-Agent */
	char received[EV_SMTP_MAX_RECEIVED][EV_SMTP_RECEIVED_MAX];
	struct ev_smtp_attach attach[EV_SMTP_MAX_ATTACH];
};

#endif
