/* One XMPP device on libstrophe (the library Profanity and many C and
 * embedded clients are built on), for test/real-clients.test.mjs. Built at
 * test time against Debian's libstrophe-dev; everything XMPP (stream
 * headers, STARTTLS or Direct TLS, SASL mechanism choice, bind) is
 * libstrophe's own: this file only logs in, sends presence, and then turns
 * lines on stdin into messages and received messages into lines on stdout.
 *
 *   strophe-device ID JID PASSWORD HOST PORT starttls|directtls CAFILE
 * stdout: READY ID BOUNDJID | RECV ID FROM BODY | BOUNCE ID TOKEN | FAIL ID WHY
 * stdin:  SEND TO BODY | QUIT
 * stderr: libstrophe's debug log. */
#include <strophe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *id;
static int ready = 0, done = 0;

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud) {
    (void)ud;
    const char *from = xmpp_stanza_get_from(st);
    const char *bound = xmpp_conn_get_bound_jid(conn);
    if (!ready && from && bound && strcmp(from, bound) == 0 && !xmpp_stanza_get_type(st)) {
        ready = 1;
        printf("READY %s %s\n", id, bound);
        fflush(stdout);
    }
    return 1;
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud) {
    (void)conn; (void)ud;
    const char *type = xmpp_stanza_get_type(st);
    if (type && strcmp(type, "error") == 0) {
        const char *sid = xmpp_stanza_get_id(st);
        printf("BOUNCE %s %s\n", id, sid ? sid : "-");
    } else {
        char *body = xmpp_message_get_body(st);
        const char *from = xmpp_stanza_get_from(st);
        if (body) printf("RECV %s %s %s\n", id, from ? from : "-", body);
        if (body) xmpp_free(xmpp_conn_get_context(conn), body);
    }
    fflush(stdout);
    return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t status, int error, xmpp_stream_error_t *se, void *ud) {
    xmpp_ctx_t *ctx = ud;
    (void)se;
    if (status == XMPP_CONN_CONNECT) {
        xmpp_handler_add(conn, on_presence, NULL, "presence", NULL, ctx);
        xmpp_handler_add(conn, on_message, NULL, "message", NULL, ctx);
        xmpp_stanza_t *p = xmpp_presence_new(ctx);
        xmpp_send(conn, p);
        xmpp_stanza_release(p);
    } else {
        if (!ready) printf("FAIL %s disconnected before ready (status %d, error %d)\n", id, (int)status, error);
        fflush(stdout);
        done = 1;
    }
}

int main(int argc, char **argv) {
    if (argc != 8) { fprintf(stderr, "usage: %s ID JID PASSWORD HOST PORT starttls|directtls CAFILE\n", argv[0]); return 2; }
    id = argv[1];
    xmpp_initialize();
    xmpp_log_t *log = xmpp_get_default_logger(XMPP_LEVEL_DEBUG);
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, log);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    xmpp_conn_set_jid(conn, argv[2]);
    xmpp_conn_set_pass(conn, argv[3]);
    xmpp_conn_set_cafile(conn, argv[7]);
    xmpp_conn_set_flags(conn, strcmp(argv[6], "directtls") == 0 ? XMPP_CONN_FLAG_LEGACY_SSL : XMPP_CONN_FLAG_MANDATORY_TLS);
    if (xmpp_connect_client(conn, argv[4], (unsigned short)atoi(argv[5]), on_conn, ctx) != XMPP_EOK) {
        printf("FAIL %s connect\n", id);
        return 1;
    }
    char line[4096];
    size_t have = 0;
    while (!done) {
        xmpp_run_once(ctx, 50);
        struct pollfd pfd = { 0, POLLIN, 0 };
        while (!done && poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, line + have, sizeof(line) - 1 - have);
            if (n <= 0) { xmpp_disconnect(conn); done = 1; break; }
            have += (size_t)n;
            line[have] = 0;
            char *nl;
            while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                if (strncmp(line, "SEND ", 5) == 0) {
                    char *to = line + 5, *body = strchr(to, ' ');
                    if (body) {
                        *body++ = 0;
                        xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", to, body);
                        xmpp_message_set_body(m, body);
                        xmpp_send(conn, m);
                        xmpp_stanza_release(m);
                    }
                } else if (strcmp(line, "QUIT") == 0) {
                    xmpp_disconnect(conn);
                }
                size_t rest = have - (size_t)(nl + 1 - line);
                memmove(line, nl + 1, rest + 1);
                have = rest;
            }
        }
    }
    /* Let the closing </stream:stream> go out. */
    for (int i = 0; i < 10; i++) xmpp_run_once(ctx, 20);
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return 0;
}
