/* ev_smtp.h - smtp event structs (included by event.h after struct ev_hdr). */
#ifndef SPANLOG_EV_SMTP_H
#define SPANLOG_EV_SMTP_H
#endif
