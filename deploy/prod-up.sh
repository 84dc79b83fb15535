#!/usr/bin/env bash
# `make prod-up`: the production layout on this machine, every setting from the environment.
#   HAProxy (TLS at the balancer, health checks) → two gunicorn instances → PgBouncer (transaction
#   pooling) → PostgreSQL; files in S3 (moto_server here); two task workers; the periodic sweep.
# Started by honcho in the background; `make prod-down` stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

export PROD_DIR="${PROD_DIR:-$PWD/var/prod}"
export PROD_BIN="${PROD_BIN:-$PWD/.venv/bin}"
export PROD_HTTPS_PORT="${PROD_HTTPS_PORT:-8443}"
export PROD_HTTP_PORT="${PROD_HTTP_PORT:-8080}"
export PROD_WEB_A_PORT="${PROD_WEB_A_PORT:-8001}"
export PROD_WEB_B_PORT="${PROD_WEB_B_PORT:-8002}"
export PROD_WEB_WORKERS="${PROD_WEB_WORKERS:-3}"
export PROD_PGBOUNCER_PORT="${PROD_PGBOUNCER_PORT:-6433}"
export PROD_POOL_SIZE="${PROD_POOL_SIZE:-20}"
export PROD_S3_PORT="${PROD_S3_PORT:-9000}"
export PROD_PERIODIC_EVERY="${PROD_PERIODIC_EVERY:-60}"
export PROD_DEMO="${PROD_DEMO:-1}"
PG_HOST="${PROD_PG_HOST:-127.0.0.1}"
PG_PORT="${PROD_PG_PORT:-5432}"
PG_USER="${PROD_PG_USER:-postgres}"
PG_DB="${PROD_PG_DB:-ribambelle_prod}"

for tool in haproxy pgbouncer openssl psql; do
  command -v "$tool" >/dev/null || { echo "$tool absent : make prod-packages (Debian)" >&2; exit 1; }
done
if [ -f "$PROD_DIR/honcho.pid" ] && kill -0 "$(cat "$PROD_DIR/honcho.pid")" 2>/dev/null; then
  echo "Déjà démarré (pid $(cat "$PROD_DIR/honcho.pid")) : make prod-down d'abord." >&2; exit 1
fi
mkdir -p "$PROD_DIR/var"
chmod 755 "$PROD_DIR"
export PROD_MARKER="${PROD_MARKER:-$(date +%s)-$$}"

# --- Secrets and certificate (generated once, kept in PROD_DIR) ----------------------------
[ -f "$PROD_DIR/secret_key" ] || (umask 077; "$PROD_BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$PROD_DIR/secret_key")
if [ ! -f "$PROD_DIR/site.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -keyout "$PROD_DIR/site.key" -out "$PROD_DIR/site.crt" 2>/dev/null
  cat "$PROD_DIR/site.crt" "$PROD_DIR/site.key" > "$PROD_DIR/site.pem"
  chmod 600 "$PROD_DIR/site.pem" "$PROD_DIR/site.key"
fi

# --- Configuration files ------------------------------------------------------------------
cat > "$PROD_DIR/haproxy.cfg" <<CFG
global
    maxconn 4000
    log stdout format raw local0 info
    stats socket $PROD_DIR/haproxy.sock mode 600 level admin
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # Requests beyond what the instances' workers can take wait here, not in gunicorn's backlog.
    timeout queue 30s
    timeout check 5s
    option redispatch 1
    retries 3
    # A request that could not reach an instance (connection refused: it is dying) goes to the other.
    retry-on conn-failure empty-response
frontend site
    bind 127.0.0.1:$PROD_HTTPS_PORT ssl crt $PROD_DIR/site.pem
    bind 127.0.0.1:$PROD_HTTP_PORT
    http-request redirect location https://%[req.hdr(host),field(1,:)]:$PROD_HTTPS_PORT%[capture.req.uri] code 301 unless { ssl_fc }
    # The client's address and scheme, for the app's TRUSTED_PROXIES (never the client's own headers).
    http-request del-header X-Forwarded-For
    http-request del-header X-Forwarded-Proto
    http-request del-header X-Request-ID
    option forwardfor
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    unique-id-format %{+X}o%ci%cp%fi%fp%Ts%rt%pid
    unique-id-header X-Request-ID
    default_backend app
backend app
    balance leastconn
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    # maxconn = the instance's gunicorn workers (sync: one request each), so a health check is never
    # stuck behind a queue of requests and a busy instance is not taken for a dead one.
    # A refused connection (the instance died) marks it down at once, so the retries go to the other
    # one (leastconn would otherwise pick the dead instance again: it has the fewest connections).
    default-server inter 2s fall 3 rise 2 maxconn $PROD_WEB_WORKERS observe layer4 error-limit 1 on-error mark-down
    server web_a 127.0.0.1:$PROD_WEB_A_PORT check
    server web_b 127.0.0.1:$PROD_WEB_B_PORT check
CFG

cat > "$PROD_DIR/userlist.txt" <<CFG
"$PG_USER" ""
CFG
RUN_AS=""
[ "$(id -u)" = "0" ] && RUN_AS="user = ${PROD_PGBOUNCER_USER:-postgres}"
cat > "$PROD_DIR/pgbouncer.ini" <<CFG
[databases]
$PG_DB = host=$PG_HOST port=$PG_PORT dbname=$PG_DB user=$PG_USER
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PROD_PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PROD_DIR/userlist.txt
pool_mode = transaction
default_pool_size = $PROD_POOL_SIZE
max_client_conn = 1000
max_db_connections = $PROD_POOL_SIZE
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
admin_users = $PG_USER
stats_users = $PG_USER
$RUN_AS
CFG
chmod 644 "$PROD_DIR/pgbouncer.ini" "$PROD_DIR/userlist.txt"

# --- The application's environment (the same for web, workers, sweep) ------------------------
cat > "$PROD_DIR/env" <<CFG
PROD_DIR=$PROD_DIR
PROD_BIN=$PROD_BIN
PROD_WEB_A_PORT=$PROD_WEB_A_PORT
PROD_WEB_B_PORT=$PROD_WEB_B_PORT
PROD_WEB_WORKERS=$PROD_WEB_WORKERS
PROD_S3_PORT=$PROD_S3_PORT
PROD_PERIODIC_EVERY=$PROD_PERIODIC_EVERY
PROD_MARKER=$PROD_MARKER
RIBAMBELLE_PRODUCTION=1
RIBAMBELLE_VAR_DIR=$PROD_DIR/var
SECRET_KEY=$(cat "$PROD_DIR/secret_key")
ALLOWED_HOSTS=127.0.0.1,localhost
CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$PROD_HTTPS_PORT,https://localhost:$PROD_HTTPS_PORT
SITE_URL=https://127.0.0.1:$PROD_HTTPS_PORT
TRUSTED_PROXIES=127.0.0.1
SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
SECURE_HSTS_SECONDS=0
DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PROD_PGBOUNCER_PORT/$PG_DB
DATABASE_POOL_MODE=transaction
CONN_MAX_AGE=300
STORAGE_BACKEND=s3
AWS_S3_ENDPOINT_URL=http://127.0.0.1:$PROD_S3_PORT
AWS_STORAGE_BUCKET_NAME=ribambelle
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_S3_REGION_NAME=us-east-1
EMAIL_BACKEND=${PROD_EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}
LOG_FORMAT=json
SENTRY_DSN=${SENTRY_DSN:-}
PYTHONUNBUFFERED=1
CFG
chmod 600 "$PROD_DIR/env"
set -a; . "$PROD_DIR/env"; set +a

# --- Database, static files -----------------------------------------------------------------
psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1 \
  || psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qc "CREATE DATABASE \"$PG_DB\""
# Migrations straight to PostgreSQL (not through the pooler): one session, its own locks.
DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB" DATABASE_POOL_MODE= "$PROD_BIN/python" manage.py migrate --noinput -v 0
"$PROD_BIN/python" manage.py collectstatic --noinput -v 0

# --- Start ----------------------------------------------------------------------------------
setsid nohup "$PROD_BIN/honcho" -f deploy/Procfile -d . -e "$PROD_DIR/env" start > "$PROD_DIR/honcho.log" 2>&1 < /dev/null &
echo $! > "$PROD_DIR/honcho.pid"

wait_port() {  # host port what
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$3 ne répond pas sur $1:$2 (voir $PROD_DIR/honcho.log)" >&2; tail -30 "$PROD_DIR/honcho.log" >&2; exit 1
}
wait_port 127.0.0.1 "$PROD_S3_PORT" "moto_server (S3)"
"$PROD_BIN/python" - <<PY
import boto3
s3 = boto3.client("s3", endpoint_url="$AWS_S3_ENDPOINT_URL", aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
if "ribambelle" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket="ribambelle")
PY
wait_port 127.0.0.1 "$PROD_PGBOUNCER_PORT" "PgBouncer"
if [ "$PROD_DEMO" = "1" ]; then
  "$PROD_BIN/python" manage.py load_demo > "$PROD_DIR/demo.txt"
fi
wait_port 127.0.0.1 "$PROD_HTTPS_PORT" "HAProxy"
for _ in $(seq 1 150); do
  a=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROD_WEB_A_PORT/healthz" || true)
  b=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROD_WEB_B_PORT/healthz" || true)
  s=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PROD_HTTPS_PORT/healthz" || true)
  [ "$a$b$s" = "200200200" ] && break
  sleep 0.2
done
[ "$a$b$s" = "200200200" ] || { echo "Instances pas prêtes ($a $b $s) : voir $PROD_DIR/honcho.log" >&2; exit 1; }
echo "Ribambelle (production locale) : https://127.0.0.1:$PROD_HTTPS_PORT/  (certificat auto-signé)"
echo "  instances : 127.0.0.1:$PROD_WEB_A_PORT et 127.0.0.1:$PROD_WEB_B_PORT · PgBouncer 127.0.0.1:$PROD_PGBOUNCER_PORT · S3 127.0.0.1:$PROD_S3_PORT"
echo "  journaux : $PROD_DIR/honcho.log · état : https://127.0.0.1:$PROD_HTTPS_PORT/readyz · arrêt : make prod-down"
