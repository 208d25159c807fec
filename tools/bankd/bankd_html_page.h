/* What the HTML screens share (bankd_html.c): the page frame, escaping, the #error and #done
 * lines, forms and their CSRF field (bankd_html_csrf.c). Not for other layers. */
#ifndef KINKO_BANKD_HTML_PAGE_H
#define KINKO_BANKD_HTML_PAGE_H

#include "bankd_http.h"

#include <jansson.h>

struct evbuffer;
struct evkeyvalq;

/* A new page buffer; NULL after answering 500. */
struct evbuffer *bankd_html_page_new(bankd_req *r);
/* A new page for the data j (a JSON answer of the logon or admin code): NULL after answering
 * 500 when j is NULL or no page can be made (j is then released). */
struct evbuffer *bankd_html_page_for(bankd_req *r, json_t *j);
/* <html lang>, the title (already translated), the switch link to page (a GET address). */
void bankd_html_head(struct evbuffer *b, bankd_req *r, const char *title, const char *page);
/* Closes the page and answers with it and the pages' security headers; frees b. */
void bankd_html_send(bankd_req *r, struct evbuffer *b, int code);
/* s HTML-escaped (& < > " '). */
void bankd_html_esc(struct evbuffer *b, const char *s);
/* <p id="error">: msg in English (marked N_) or composed in the request's language. */
void bankd_html_error(struct evbuffer *b, const char *msg);
/* <p id="done">: msg already translated. */
void bankd_html_done(struct evbuffer *b, const char *msg);
void bankd_html_dt(struct evbuffer *b, const char *label);
/* A secret's field (a PIN): <label>label <input type="password" id=name name=name>, never with
 * a value, never remembered by the browser. label: already translated. */
void bankd_html_secret_input(struct evbuffer *b, const char *name, const char *label);
/* A link paragraph: <p><a id href>text</a></p> (id may be NULL). */
void bankd_html_link(struct evbuffer *b, const char *id, const char *href, const char *text);
/* A page with a heading and one #error line (msg as for bankd_html_error) and a link on. */
void bankd_html_message(bankd_req *r, int code, const char *title, const char *msg,
                        const char *href, const char *link_text);
/* The request's form body parsed into form: 0, or -1 (form empty). */
int bankd_html_form_parse(bankd_req *r, struct evkeyvalq *form);
/* Overwrites the form's values (PINs, card digits), then frees them. */
void bankd_html_form_wipe_free(struct evkeyvalq *form);
/* A string member of a JSON object, "-" when missing. */
const char *bankd_html_str(json_t *o, const char *k);
/* A YYYY-MM-DD day in the reader's style (2027年12月7日), into a page or a string (out is
 * ymd itself when it is not such a day). */
void bankd_html_day(struct evbuffer *b, const char *ymd);
void bankd_html_day_text(const char *ymd, char *out, size_t len);
/* The users of a contract (bankd_logon_users_json): a table; with select, the table is
 * table#users and each row's user ID is a link to its 利用者選択 screen. */
void bankd_html_users_table(struct evbuffer *b, json_t *users, int select);

/* CSRF (bankd_html_csrf.c). A form of the logon (no session yet) is bound to a cookie of its
 * own, kinko_csrf; a form inside a session to the session's cookie. */
typedef enum { BANKD_CSRF_LOGON, BANKD_CSRF_SESSION } bankd_csrf_kind;
/* <input type="hidden" name="csrf"> into page b: for BANKD_CSRF_LOGON the cookie is set when
 * the request has none. 0, or -1 after freeing b and answering 500. */
int bankd_html_csrf_field(bankd_req *r, struct evbuffer *b, bankd_csrf_kind kind);
/* Whether the form's csrf value is the request's: 1 yes, 0 no (missing, wrong, another
 * session's, no cookie). */
int bankd_html_csrf_ok(bankd_req *r, struct evkeyvalq *form, bankd_csrf_kind kind);
/* <form id method="post" action autocomplete="off"> and its CSRF field: 0, or -1 as for
 * bankd_html_csrf_field. */
int bankd_html_form_open(bankd_req *r, struct evbuffer *b, const char *id, const char *action,
                         bankd_csrf_kind kind);
/* The logoff form (button#logoff-submit) with its CSRF value: 0, or -1 as for
 * bankd_html_csrf_field. */
int bankd_html_logoff_form(bankd_req *r, struct evbuffer *b);
/* The 403 page of a form that failed bankd_html_csrf_ok. */
void bankd_html_csrf_refuse(bankd_req *r, bankd_csrf_kind kind);

/* Screens other files link to. */
void bankd_html_logon_page(bankd_req *r, int code, const char *error);

#endif
