/*
 * limits.h - every size, count and time limit of guichetd, named, in one place.
 */
#ifndef GUICHET_LIMITS_H
#define GUICHET_LIMITS_H

/* Request bodies. */
#define LIMIT_BODY_API    (16 * 1024) /* merchant API requests */
#define LIMIT_BODY_HOSTED (16 * 1024) /* the hosted page's signed request and card form */
#define LIMIT_HOSTED_PAGE (64 * 1024) /* a hosted page or return URL, as built */
/* A hosted page's signed request is taken this close to the server's clock (GCH_TIME), and
 * its replay memory must outlive it (issue 12). */
/* How long a hosted page's 3-D Secure challenge waits for the buyer, its card sealed. */
#define LIMIT_HOSTED_CHALLENGE_S (10 * 60)
#define LIMIT_HOSTED_WINDOW_S    (15 * 60)
#define LIMIT_BODY_BO            (64 * 1024) /* back-office JSON requests */
/* h2o's own cap, above the largest route's: a body over a route's limit is read whole and
 * answered by the route's JSON 413, h2o's plain one only beyond this. */
#define LIMIT_BODY_GLOBAL     (LIMIT_ORDER_FILE + 64 * 1024)
#define LIMIT_BODY_PPPS       (8 * 1024) /* a Paybox Direct request: about 500 bytes */
#define LIMIT_BODY_NONE       64  /* a route without parameters: "{}", with room for spaces */
#define LIMIT_IDEMPOTENCY_KEY 255 /* SPEC §4 */
#define LIMIT_ORDER_REF       250 /* characters of an order reference */
#define LIMIT_EMAIL           254 /* RFC 5321 path limit */
#define LIMIT_AMOUNT          99999999999LL /* minor units: 999,999,999.99 in a 2-decimal currency */

/* Threads and queues. */
#define LIMIT_LOOPS_MAX    64    /* event loop threads */
#define LIMIT_READERS      2     /* read worker threads */
#define LIMIT_GROUP_COMMIT 256   /* jobs in one writer transaction */
#define LIMIT_QUEUE        65536 /* jobs waiting for the writer before 503 */
/* Argon2id's threads (work.h): one core and 64 MiB a hash at most go to hashing, whatever
 * comes in; about ten sign-ins a second. Their queue is short: a sign-in that finds it full
 * is answered 503 at once rather than after seconds; they run at a lower priority (nice). */
#define LIMIT_HASHERS    1
#define LIMIT_HASH_QUEUE 32
#define LIMIT_HASH_NICE  10

/* The sign-in's rate limits (README "Sign-in"), checked before any Argon2id. Only failures
 * count (a right password gives its share back): per client address (an IPv6 /64), 30 at
 * once then one every 2 s; per login, 10 at once then one every 6 s. Beyond: 429. */
#define LIMIT_SIGNIN_ADDRESS_BURST   30
#define LIMIT_SIGNIN_ADDRESS_EVERY_S 2
#define LIMIT_SIGNIN_LOGIN_BURST     10
#define LIMIT_SIGNIN_LOGIN_EVERY_S   6
#define LIMIT_THROTTLE_SLOTS         16384 /* keys the table keeps (addresses and logins) */

/* Times. */
#define LIMIT_IDEMPOTENCY_KEEP_S (24 * 3600)     /* SPEC §4: at least 24 h */
#define LIMIT_API_ERROR_KEEP_S   (3 * 24 * 3600) /* SPEC §14: the last 3 days */
#define LIMIT_RETENTION_EVERY_S  60              /* retention job: default interval */
#define LIMIT_RECURRING_EVERY_S  600   /* the recurring payments' round: default interval */
#define LIMIT_RETENTION_MAX_S    86400 /* --retention-every at most a day */
#define LIMIT_RETENTION_BATCH    1000  /* rows it deletes in one transaction */
#define LIMIT_RETENTION_CARDS    200   /* cards it erases in one transaction */
#define LIMIT_SHUTDOWN_GRACE_S   10    /* in-flight requests at SIGTERM */
#define LIMIT_SHUTDOWN_SILENT_MS 1000  /* a new silent connection at SIGTERM */
#define LIMIT_SESSION_MAX_US     (12LL * 3600 * 1000000) /* a session's life, whatever happens */
#define LIMIT_IDLE_DEFAULT_S     900                     /* idle timeout: 15 min (PCI DSS 8.2.8) */
#define LIMIT_IDLE_MAX_S         7200 /* the hosted-access manual's 2 h at most */
/* No new password to an e-mail address someone else set less than this ago (README "Users"). */
#define LIMIT_EMAIL_CHANGE_RESET_S (24 * 3600)

/* The merchant API's error log (http/errlog.h): refusals gathered in memory and written
 * once a second; one row per shop, method, path, status, code and minute, at most
 * LIMIT_API_ERROR_ROWS rows per shop a minute (the rest in its '*' row). */
#define LIMIT_API_ERROR_PENDING  1024 /* distinct refusals held between two writings */
#define LIMIT_API_ERROR_FLUSH_MS 1000

/* The largest BIN table `--bin-table` reads (domain/bins.h): 64 MiB, a few million rows. */
#define LIMIT_BIN_TABLE_BYTES (64 * 1024 * 1024)
#define LIMIT_API_ERROR_ROWS  20

/* The web UI's files, read into memory at start (src/http/static.c). */
#define LIMIT_STATIC_FILES       512                /* files under www/assets */
#define LIMIT_STATIC_FILE_BYTES  (8 * 1024 * 1024)  /* one file */
#define LIMIT_STATIC_TOTAL_BYTES (32 * 1024 * 1024) /* all of them */
#define LIMIT_STATIC_DEPTH       8                  /* folders below www/assets */
#define LIMIT_STATIC_PATH        255                /* bytes of a file's URL path */

/* GET /metrics (api/metrics.c): its text at most; a few hundred kB with every route used. */
#define LIMIT_METRICS_BYTES (4 * 1024 * 1024)

#define LIMIT_PUBLIC_URL_MAX 255 /* --public-url, without its trailing '/' */

/* The store's requests and the contact form (api/contact.c). */
#define LIMIT_OPERATOR_EMAIL_MAX 254         /* --operator-email */
#define LIMIT_BODY_CONTACT       (16 * 1024) /* a request's body: larger ones get 413 */
#define LIMIT_CONTACT_DETAILS    4000        /* bytes of the details of a contact request */
#define LIMIT_CONTACT_SUBJECT    100         /* bytes of its subject (a mail subject of 160) */
#define LIMIT_STORE_MESSAGE      1000        /* bytes of a store request's message */
#define LIMIT_STORE_PENDING_S    (7 * 86400) /* a store request is pending this long */
#define LIMIT_OPERATOR_BURST     5           /* mails a user sends the operator at once, */
#define LIMIT_OPERATOR_EVERY_S   12          /* then one every 12 s: 5 a minute */

/* The mailer (src/jobs/mailer.c). */
#define LIMIT_MAIL_ROUND          100             /* mails it delivers in one round */
#define LIMIT_MAIL_BYTES          (64 * 1024)     /* one message, headers included */
#define LIMIT_MAIL_RETRY_FIRST_MS 60000           /* after a failed delivery; doubling */
#define LIMIT_MAIL_RETRY_MAX_MS   3600000         /* the longest wait between two attempts */
#define LIMIT_MAIL_GIVE_UP_S      (3 * 24 * 3600) /* a mail still failing is marked failed */
#define LIMIT_MAIL_ERROR_LEN      300             /* the relay's answer kept in the row */
#define LIMIT_MAIL_FAILED_KEEP_S  (7 * 24 * 3600) /* a failed mail's sealed body, for a retry */
#define LIMIT_SMTP_URL_MAX        255             /* --smtp */
#define LIMIT_SMTP_FROM_MAX       254             /* --smtp-from */
#define LIMIT_SMTP_CONNECT_S      10              /* connecting to the relay */
#define LIMIT_SMTP_TIMEOUT_S      60              /* one mail's whole transfer */

/* Notifications to the merchant's server (src/jobs/notifier.c, service/notify.c). */
#define LIMIT_NOTIFY_BODY           (16 * 1024) /* one notification's body */
#define LIMIT_NOTIFY_ROUND          256         /* notifications read in one round */
#define LIMIT_NOTIFY_PARALLEL       32          /* deliveries in flight at once */
#define LIMIT_NOTIFY_CONNECT_MS     5000        /* connecting to the merchant's server */
#define LIMIT_NOTIFY_TIMEOUT_MS     15000       /* one whole call */
#define LIMIT_NOTIFY_RETRY_FIRST_MS 30000       /* after a failed call; doubling, +-25 % */
#define LIMIT_NOTIFY_RETRY_MAX_MS   3600000     /* the longest wait between two calls */
#define LIMIT_NOTIFY_ATTEMPTS       12          /* tries before the notification fails */
#define LIMIT_NOTIFY_ANSWER         1000        /* bytes of an answer kept in the log */
#define LIMIT_NOTIFY_ERROR_LEN      255         /* libcurl's error text kept */

/* The hosted page's templates (README "The hosted payment page", Templates). A logo is the
 * body of its upload, a PNG or a JPEG: a logo of 400 x 120 pixels is about 10 kB, and no
 * route may take more than h2o's cap before routing (LIMIT_BODY_GLOBAL), which stays. The
 * texts in characters (code points): the heading line, the help text. */
#define LIMIT_PAGE_LOGO   (64 * 1024)
#define LIMIT_PAGE_TITLE  80
#define LIMIT_PAGE_FOOTER 300

/* A file of payment orders, its upload's body (docs/ORDER-FILES.md): 200,000 lines of about
 * 80 bytes; the largest route limit, h2o's own cap (LIMIT_BODY_GLOBAL). */
#define LIMIT_ORDER_FILE (16 * 1024 * 1024)

#endif
