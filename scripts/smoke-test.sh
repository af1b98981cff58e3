#!/usr/bin/env bash
# The deployment guide's "Post-Deployment Verification" smoke tests, run against a fresh
# `npm start` on the embedded defaults (no PostgreSQL or Redis needed), then once more after
# a restart to show the data persisted. Usage: scripts/smoke-test.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-18000}"
base="http://localhost:${port}"
data_dir="$(mktemp -d)"
log="${data_dir}/service.log"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

fail() {
  echo "SMOKE FAILED: $*" >&2
  echo "--- service output ---" >&2
  cat "$log" >&2 || true
  exit 1
}

start_service() {
  # Only the embedded defaults: whatever the caller's environment points at is ignored here.
  env -u POSTGRES_HOST -u REDIS_HOST -u POSTGRES_DB -u REDIS_KEY_PREFIX \
    PORT="$port" DATA_DIR="$data_dir/data" LOG_FORMAT=json ENVIRONMENT=development \
    npm start >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if curl -fsS "$base/health/live" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "the service exited during start-up"
    sleep 0.5
  done
  fail "the service did not answer on $base within 60 s"
}

stop_service() {
  # SIGTERM to `npm start`, as a process manager would send it: the service itself must stop
  # (npm passes the signal on), or the restart below would only find the old process.
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  for _ in $(seq 1 40); do
    curl -fsS "$base/health/live" >/dev/null 2>&1 || return 0
    sleep 0.5
  done
  fail "the service still answers 20 s after SIGTERM to npm start"
}

json_field() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"
}

expect_status() {
  local expected="$1" actual="$2" what="$3"
  [ "$actual" = "$expected" ] || fail "$what: expected HTTP $expected, got $actual"
  echo "ok  $what -> $actual"
}

start_service
org_id="$(grep -o 'Organization: .*(id [0-9a-f-]*)' "$log" | head -n 1 | sed 's/.*(id \([0-9a-f-]*\)).*/\1/')"
[ -n "$org_id" ] || fail "start-up did not print the seeded organization id"
# Output redirected to a file: the generated password goes to a private file, never the log.
password_file="$data_dir/data/admin-password"
grep -qF "Admin password: written to $password_file" "$log" || fail "start-up did not name the admin password file"
[ "$(stat -c %a "$password_file")" = 600 ] || fail "the admin password file is not mode 0600"
grep -qF "$(cat "$password_file")" "$log" && fail "the admin password is in the log"
echo "ok  seeded organization $org_id (admin password in $password_file only)"

# Health check
status=$(curl -s -o "$data_dir/health.json" -w '%{http_code}' "$base/health")
expect_status 200 "$status" "GET /health"
grep -q '"status":"healthy"' "$data_dir/health.json" || fail "/health did not say healthy"

# API documentation
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/enterprise/docs")
expect_status 200 "$status" "GET /enterprise/docs"

# User registration (the guide's exact body)
status=$(curl -s -o "$data_dir/register.json" -w '%{http_code}' -X POST "$base/api/v1/enterprise/auth/register" \
  -H "Content-Type: application/json" \
  -d '{
    "email": "test@example.com",
    "password": "Test123!@#",
    "first_name": "Test",
    "last_name": "User",
    "organization_id": "'"$org_id"'"
  }')
expect_status 201 "$status" "POST /api/v1/enterprise/auth/register"

# User login
status=$(curl -s -o "$data_dir/login.json" -w '%{http_code}' -X POST "$base/api/v1/enterprise/auth/login" \
  -H "Content-Type: application/json" \
  -d '{
    "email": "test@example.com",
    "password": "Test123!@#"
  }')
expect_status 200 "$status" "POST /api/v1/enterprise/auth/login"
access_token="$(json_field access_token <"$data_dir/login.json")" || fail "login returned no access_token"

# Protected endpoint (with token)
status=$(curl -s -o "$data_dir/me.json" -w '%{http_code}' -X GET "$base/api/v1/enterprise/auth/me" \
  -H "Authorization: Bearer $access_token")
expect_status 200 "$status" "GET /api/v1/enterprise/auth/me"
grep -q '"email":"test@example.com"' "$data_dir/me.json" || fail "/auth/me did not return the profile"

# Stop, start again: the user is still there.
stop_service
start_service
status=$(curl -s -o "$data_dir/login2.json" -w '%{http_code}' -X POST "$base/api/v1/enterprise/auth/login" \
  -H "Content-Type: application/json" -d '{"email": "test@example.com", "password": "Test123!@#"}')
expect_status 200 "$status" "POST /api/v1/enterprise/auth/login after a restart"

echo "smoke tests passed"
