/* main.c - codensm-collector's command line: parses arguments and
 * dispatches to serve (server.c), key (keys.c) or report (report.c).
 *
 *   codensm-collector serve [--listen HOST:PORT] [--db PATH]
 *                           [--tls-cert FILE --tls-key FILE] [--threads N]
 *   codensm-collector key create PROJECT [--db PATH]
 *   codensm-collector key list [--db PATH]
 *   codensm-collector key revoke KEY [--db PATH]
 *   codensm-collector report [--db PATH] [--project P] [--since DURATION]
 *                            [--json]
 *
 * Options may be written "--name value" or "--name=value", before or
 * after the positional arguments.  Exit status: 0 ok, 1 failure, 2 usage. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "report.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define CNSM_DEFAULT_LISTEN "127.0.0.1:8470"
#define CNSM_VERSION "0.1.0"

static const char kUsage[] =
    "usage: codensm-collector serve [--listen HOST:PORT] [--db PATH]\n"
    "                               [--tls-cert FILE --tls-key FILE] [--threads N]\n"
    "       codensm-collector key create PROJECT [--db PATH]\n"
    "       codensm-collector key list [--db PATH]\n"
    "       codensm-collector key revoke KEY [--db PATH]\n"
    "       codensm-collector report [--db PATH] [--project P] [--since DURATION] [--json]\n"
    "\n"
    "  --listen    address to serve on (default " CNSM_DEFAULT_LISTEN ")\n"
    "  --db        SQLite file (default $CODENSM_DB, else\n"
    "              $XDG_DATA_HOME/codensm/collector.db or ~/.local/share/codensm/collector.db)\n"
    "  --since     window of the report: 15m, 24h, 7d, 2w or all (default 24h)\n"
    "See docs/collector.md.\n";

struct cliArgs {
  const char *pos[4];
  int npos;
  const char *listen, *db, *tls_cert, *tls_key, *project, *since, *threads;
  int json;
};

/* Parses argv[first..argc) into *a.  Returns 0, or 2 on a usage error. */
static int cliParse(int argc, char **argv, int first, struct cliArgs *a) {
  static const struct { const char *name; size_t off; } opts[] = {
      {"--listen", offsetof(struct cliArgs, listen)},
      {"--db", offsetof(struct cliArgs, db)},
      {"--tls-cert", offsetof(struct cliArgs, tls_cert)},
      {"--tls-key", offsetof(struct cliArgs, tls_key)},
      {"--project", offsetof(struct cliArgs, project)},
      {"--since", offsetof(struct cliArgs, since)},
      {"--threads", offsetof(struct cliArgs, threads)},
  };
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--json") == 0) {
      a->json = 1;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      if (a->npos == 4) return 2;
      a->pos[a->npos++] = arg;
      continue;
    }
    size_t k, n = sizeof opts / sizeof *opts;
    for (k = 0; k < n; k++) {
      size_t len = strlen(opts[k].name);
      const char **slot = (const char **)((char *)a + opts[k].off);
      if (strncmp(arg, opts[k].name, len) != 0) continue;
      if (arg[len] == '=') *slot = arg + len + 1;
      else if (arg[len] == '\0' && i + 1 < argc) *slot = argv[++i];
      else continue;
      break;
    }
    if (k == n) {
      fprintf(stderr, "codensm-collector: unknown or incomplete option %s\n", arg);
      return 2;
    }
  }
  return 0;
}

/* Opens the database for a CLI command (one connection); only commands
 * that create something pass CNSM_STORE_CREATE, so a mistyped --db is
 * an error rather than a new empty database. */
static struct cnsm_store *cliOpen(const char *path, int flags) {
  struct cnsm_store *st;
  char err[512];
  if (cnsm_store_open(path, 1, flags, &st, err, sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    return NULL;
  }
  return st;
}

/* key create|list|revoke. */
static int cliKey(const struct cliArgs *a, const char *db_path) {
  const char *verb = a->npos > 0 ? a->pos[0] : "";
  int need = strcmp(verb, "list") == 0 ? 1 : 2;
  if ((strcmp(verb, "create") && strcmp(verb, "list") && strcmp(verb, "revoke")) ||
      a->npos != need) {
    fputs(kUsage, stderr);
    return 2;
  }
  struct cnsm_store *st =
      cliOpen(db_path, strcmp(verb, "create") == 0 ? CNSM_STORE_CREATE : 0);
  if (st == NULL) return 1;
  sqlite3 *db = cnsm_store_acquire(st);
  int rc = 0;
  if (strcmp(verb, "create") == 0) {
    char key[CNSM_KEY_LEN + 1];
    rc = cnsm_key_create(db, a->pos[1], key) == 0 ? 0 : 1;
    if (rc == 0) printf("%s\n", key);
  } else if (strcmp(verb, "list") == 0) {
    rc = cnsm_key_list(db, stdout) == 0 ? 0 : 1;
  } else {
    int n = cnsm_key_revoke(db, a->pos[1]);
    if (n == 1) {
      printf("revoked\n");
    } else {
      fprintf(stderr, "codensm-collector: %s\n",
              n < 0 ? sqlite3_errmsg(db) : "no live key matches (give the whole key or its listed hint)");
      rc = 1;
    }
  }
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc;
}

/* report. */
static int cliReport(const struct cliArgs *a, const char *db_path) {
  const char *since_text = a->since ? a->since : "24h";
  int64_t since;
  if (a->npos != 0 || cnsm_parse_duration(since_text, &since) != 0) {
    fprintf(stderr, "codensm-collector: --since takes 15m, 24h, 7d, 2w or all\n");
    return 2;
  }
  struct cnsm_store *st = cliOpen(db_path, 0);
  if (st == NULL) return 1;
  sqlite3 *db = cnsm_store_acquire(st);
  int rc = cnsm_report_run(db, a->project, since, since_text, a->json, stdout);
  if (rc < 0) fprintf(stderr, "codensm-collector: %s\n", sqlite3_errmsg(db));
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc == 0 ? 0 : 1;
}

/* serve. */
static int cliServe(const struct cliArgs *a, const char *db_path) {
  if (a->npos != 0) {
    fputs(kUsage, stderr);
    return 2;
  }
  struct cnsm_server_opts o = {
      .listen = a->listen ? a->listen : CNSM_DEFAULT_LISTEN,
      .db_path = db_path,
      .tls_cert = a->tls_cert,
      .tls_key = a->tls_key,
      .threads = a->threads ? (unsigned)atoi(a->threads) : 4,
  };
  if (o.threads < 1 || o.threads > 256) {
    fprintf(stderr, "codensm-collector: --threads takes 1 to 256\n");
    return 2;
  }
  return cnsm_server_run(&o);
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("codensm-collector %s\n", CNSM_VERSION);
    return 0;
  }
  struct cliArgs a;
  memset(&a, 0, sizeof a);
  if (cliParse(argc, argv, 2, &a) != 0) {
    fputs(kUsage, stderr);
    return 2;
  }
  char *db_path = a.db ? strdup(a.db) : cnsm_store_default_path();
  int rc;
  if (strcmp(argv[1], "serve") == 0) rc = cliServe(&a, db_path);
  else if (strcmp(argv[1], "key") == 0) rc = cliKey(&a, db_path);
  else if (strcmp(argv[1], "report") == 0) rc = cliReport(&a, db_path);
  else {
    fprintf(stderr, "codensm-collector: unknown command %s\n", argv[1]);
    fputs(kUsage, stderr);
    rc = 2;
  }
  free(db_path);
  return rc;
}
