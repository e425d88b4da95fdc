#!/usr/bin/env bash
# brokers.sh start|stop|kill [all|rabbitmq|activemq|stompserver] - the real brokers the integration tests talk to.
#   start  install if missing (apt, Debian 12), configure, start (no systemd), wait until a real STOMP CONNECT
#          answers CONNECTED, print the endpoints. Idempotent: a broker that is up with the current config is left
#          alone (a fast no-op). RESET=1 wipes broker state first (queues, messages; users are re-created): CI does,
#          so that no queue left by an earlier run slows the broker's boot. Every wait is bounded: a broker that
#          does not come up fails the script with the end of its log, it never hangs.
#   stop   graceful (rabbitmqctl shutdown / SIGTERM -> JVM shutdown hook, <= 30 s).
#   kill   SIGKILL: a crash, clients see plain EOF.
# Loopback only. Needs root (CI runs it as root; otherwise it re-runs itself with `sudo -n`).
# Env: RESET=1, START_TIMEOUT (seconds per readiness wait, default 90).
set -euo pipefail
usage() { echo "usage: $0 start|stop|kill [all|rabbitmq|activemq|stompserver]" >&2; exit 2; }
ACTION=${1:-}; WHICH=${2:-all}
case "$ACTION" in start|stop|kill) ;; *) usage;; esac
case "$WHICH" in all|rabbitmq|activemq|stompserver) ;; *) usage;; esac
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null && sudo -n true 2>/dev/null &&
    exec sudo -n env RESET="${RESET:-0}" START_TIMEOUT="${START_TIMEOUT:-90}" bash "$0" "$@"
  echo "$0: must run as root (or with password-less sudo)" >&2; exit 1
fi

# A caller's descriptors must not reach the brokers: `flock -x LOCK cmd` runs cmd with its lock open as fd 3, and a
# broker started with that descriptor held the broker lock for as long as it ran (every other run waited on it).
# The caller's flock process keeps its own copy, so closing ours does not release its lock. (255: bash's script.)
for fd in /proc/$$/fd/*; do fd=${fd##*/}; case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-";; esac; done

TLS=/etc/stomp-test-tls; RMQ_DB=/var/lib/rabbitmq/mnesia; RMQ_PID=$RMQ_DB/rabbit@localhost.pid
RMQ_LOG=/var/log/rabbitmq/rabbit@localhost.log
AMQ_CONF=/etc/activemq/instances-available/stomp; AMQ_BASE=/var/lib/activemq/stomp; AMQ_PID=/run/activemq/stomp.pid
TMO=${START_TIMEOUT:-90}; RESET=${RESET:-0}
log() { printf '[brokers %s] %s\n' "$(date +%T)" "$*" >&2; }
want() { [ "$WHICH" = all ] || [ "$WHICH" = "$1" ]; }
alive() { [ -d "/proc/$1" ] && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }   # a zombie is dead
wait_gone() { while alive "$1"; do sleep 0.05; done; }
put() { # put PATH OWNER <content: write only if different, then CHANGED=1
  local t; t=$(mktemp); cat >"$t"
  if ! cmp -s "$t" "$1"; then install -D -o "$2" -g "$2" -m 644 "$t" "$1"; CHANGED=1; log "wrote $1"; fi; rm -f "$t"; }
# RabbitMQ's pid file does not survive `rabbitmq-server -detached`: find the node's VM by its boot arguments
rmq_pid() { pgrep -o -u rabbitmq -f 'beam\.smp .* -s rabbit boot'; }
amq_pid() { local p; p=$(cat $AMQ_PID 2>/dev/null) && grep -qs "activemq.base=$AMQ_BASE" "/proc/$p/cmdline" && echo "$p"; }

# Tests restart brokers mid-run and CI may start them while a test does: one brokers.sh at a time. The lock is fd 9,
# so everything that may leave a daemon behind (the broker VMs, epmd) must not inherit it, or the lock outlives us.
mkdir -p /run/lock; exec 9>/run/lock/stomp-brokers.lock
flock -n 9 || { log "waiting for another brokers.sh"; flock -w 600 9 || { log "lock timeout"; exit 1; }; }
# RabbitMQ's tools, run as the rabbitmq user the way Debian's /usr/sbin wrappers do, but through setpriv instead of
# su: su puts the tool's Erlang VM in a session of its own (out of reach of `timeout`, so a killed call left a VM
# holding our stdout and a caller reading it waited for ever) and applies pam_limits (1024 descriptors: a node
# with thousands of queues then never finished its boot). Every call has a hard limit: seen here,
# `rabbitmqctl wait --timeout 90` still waiting after 10 minutes on a node stuck in its boot. stdin is /dev/null:
# `timeout` runs the tool in a background process group, where a VM touching a terminal would be stopped.
# as_rabbitmq SECONDS TOOL ARGS...
as_rabbitmq() { local limit=$1 tool=$2; shift 2
  timeout -k 5 "$limit" env -C /var/lib/rabbitmq HOME=/var/lib/rabbitmq USER=rabbitmq LOGNAME=rabbitmq \
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "/usr/lib/rabbitmq/bin/$tool" "$@" </dev/null 9>&-; }
rabbitmqctl() { as_rabbitmq "$((TMO + 10))" rabbitmqctl "$@"; }
rabbitmq-diagnostics() { as_rabbitmq 20 rabbitmq-diagnostics "$@"; }
# The node daemonizes; it keeps none of our descriptors, so a caller reading our output through a pipe sees EOF.
# Descriptors: up to 65536 (Erlang sizes tables by the limit, and a container's hard limit can be ~2^30).
RMQ_STARTUP_LOG=/var/log/rabbitmq/startup_log
rabbitmq-server() { (h=$(ulimit -Hn); { [ "$h" = unlimited ] || [ "$h" -gt 65536 ]; } && h=65536
  ulimit -n "$h" 2>/dev/null || true; as_rabbitmq "$TMO" rabbitmq-server "$@" >>$RMQ_STARTUP_LOG 2>&1); }
# rmq_kill: SIGKILL the node's VM, if there is one (a crash; or what a failed shutdown left)
rmq_kill() { local p; p=$(rmq_pid) || return 1
  log "RabbitMQ: kill -KILL $p"; kill -KILL "$p"; wait_gone "$p"; rm -f $RMQ_PID; }
# rmq_stop: graceful (returns once the VM exited); a shutdown waits for a boot to finish, so a node stuck in its
# boot never stops: SIGKILL then
rmq_stop() { if rabbitmqctl -q shutdown >/dev/null 2>&1; then log "RabbitMQ: stopped"
  else rmq_kill || log "RabbitMQ: not running"; fi; }

# ---- readiness probes: a real STOMP CONNECT -> CONNECTED (bash /dev/tcp, openssl), WebSocket upgrade -> 101
# stomp_ok PORT HOST [LOGIN]: the login's passcode equals its name in our fixtures.
stomp_ok() { [ "$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 &&
  printf "CONNECT\naccept-version:1.2\nhost:%s\nlogin:%s\npasscode:%s\n\n\0DISCONNECT\n\n\0" "$1" "$2" "$2" >&3 && head -c 9 <&3' \
  "$1" "$2" "${3:-guest}" 2>/dev/null)" = CONNECTED ]; }
stomp_tls_ok() { [ "$(printf 'CONNECT\naccept-version:1.2\nhost:%s\nlogin:guest\npasscode:guest\n\n\0DISCONNECT\n\n\0' "$2" |
  timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile $TLS/ca.pem -verify_return_error 2>/dev/null |
  head -c 9)" = CONNECTED ]; }
# a WebSocket upgrade, then a masked empty close frame so that the server ends the connection at once
upgrade() { printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n\210\200\0\0\0\0' "$1"; }
ws_ok() { [ "$(upgrade "$2" | timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 && cat >&3 && head -c 12 <&3' "$1" \
  2>/dev/null)" = "HTTP/1.1 101" ]; }
wss_ok() { [ "$(upgrade "$2" | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile $TLS/ca.pem \
  -verify_return_error 2>/dev/null | head -c 12)" = "HTTP/1.1 101" ]; }
# fail MESSAGE: give up with the end of the broker's logs ($BLOGS), so that a CI run says why instead of hanging
fail() { local f; log "FAILED: $1"
  for f in "${BLOGS[@]}"; do [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 30 "$f" >&2; }; done; exit 1; }
BLOGS=()
# wait_until DESCRIPTION PROBE...: the probe passes within $TMO seconds, or the script fails
wait_until() { local d=$1 t0=$SECONDS; shift
  until "$@"; do (( SECONDS - t0 > TMO )) && fail "not ready after ${TMO}s: $d"; sleep 0.2; done
  log "ready: $d"; }
rmq_ready() { stomp_ok 61613 / && stomp_ok 61613 test-vhost stomp && stomp_tls_ok 61614 / && ws_ok 15674 /ws &&
  wss_ok 15673 /ws; }
amq_ready() { stomp_ok 61623 localhost && stomp_ok 61623 localhost stomp && stomp_tls_ok 61625 localhost &&
  stomp_mtls_ok 61626 localhost; }

# client_certs: mutual-TLS fixtures. client.pem/client.key: a client certificate signed by the test CA (the brokers'
# client-auth listeners accept it); rogue-ca.pem + rogue-client.pem/.key: one signed by a CA nobody trusts.
client_certs() { [ -s $TLS/client.key ] && [ -s $TLS/rogue-client.key ] && return 0
  log "creating mutual-TLS client certs in $TLS"
  (cd $TLS
   printf 'extendedKeyUsage=clientAuth\n' >client-ext.cnf
   openssl req -newkey rsa:2048 -nodes -subj /CN=stompest-test-client -keyout client.key -out client.csr 2>/dev/null
   openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile client-ext.cnf \
     -out client.pem 2>/dev/null
   openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=rogue-ca -keyout rogue-ca.key -out rogue-ca.pem 2>/dev/null
   openssl req -newkey rsa:2048 -nodes -subj /CN=rogue-client -keyout rogue-client.key -out rogue-client.csr 2>/dev/null
   openssl x509 -req -in rogue-client.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -days 3650 \
     -extfile client-ext.cnf -out rogue-client.pem 2>/dev/null
   rm -f client.csr rogue-client.csr); }
# stomp_mtls_ok PORT HOST: a STOMP CONNECT over TLS with the test client certificate answers CONNECTED
stomp_mtls_ok() { [ "$(printf 'CONNECT\naccept-version:1.2\nhost:%s\nlogin:guest\npasscode:guest\n\n\0DISCONNECT\n\n\0' "$2" |
  timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile $TLS/ca.pem -cert $TLS/client.pem \
  -key $TLS/client.key -verify_return_error 2>/dev/null | head -c 9)" = CONNECTED ]; }

# ======================================================================= stompserver (the third broker)
# Debian's stompserver 0.9.9 (Ruby, STOMP 1.0 only): an implementation independent of the other two, for the 1.0
# column of the integration tests. 127.0.0.1:61633 (61613 is RabbitMQ's), logins guest/guest and stomp/stomp, queues
# in memory (its file queue takes the whole broker down when a client-ack consumer leaves holding a message that
# never was queued). Its client acks are broken beyond that (see tests/integration/sync_helpers.ts).
# Debian 12's /usr/bin/stompserver dies at the first connection on Ruby >= 3.0 ("class variable access from
# toplevel (RuntimeError)"): the launcher below does what it does, setting the handler's class variables with
# class_variable_set, and stays in the foreground (we daemonize it: setsid, its own log, no descriptor of ours).
SS_PORT=61633; SS_DIR=/var/lib/stompserver; SS_LOGDIR=/var/log/stompserver; SS_LOG=$SS_LOGDIR/stompest.log
SS_RUN=/run/stompserver; SS_PID=$SS_RUN/stompest.pid; SS_CONF=/etc/stompserver/stompest.conf
SS_LAUNCHER=/usr/local/lib/stompest/stompserver.rb; SS_ETC=/etc/stompserver/stompest
ss_pid() { local p; p=$(cat $SS_PID 2>/dev/null) && alive "$p" && grep -qs "$SS_LAUNCHER" "/proc/$p/cmdline" &&
  echo "$p"; }
ss_ready() { stomp_ok $SS_PORT localhost; }
# ss_down kill|stop: SIGKILL, or SIGTERM (Ruby exits at once) with SIGKILL after 10 s
ss_down() { local p; p=$(ss_pid) || { log "stompserver: not running"; rm -f $SS_PID; return 0; }
  if [ "$1" = kill ]; then log "stompserver: kill -KILL $p"; kill -KILL "$p"
  else log "stompserver: kill -TERM $p"; kill -TERM "$p"
    for _ in $(seq 100); do alive "$p" || break; sleep 0.1; done; alive "$p" && kill -KILL "$p"; fi
  wait_gone "$p"; rm -f $SS_PID; log "stompserver: stopped"; }
ss_start() { CHANGED=0; BLOGS=("$SS_LOG")
  put $SS_LAUNCHER root <<'EOF'
# /usr/bin/stompserver for Ruby >= 3.0 (written by stompest's scripts/brokers.sh)
require 'etc'
require 'yaml'
require 'optparse'
require 'stomp_server'
$STOMP_SERVER = true
$stdout.sync = true
# Written for Ruby 1.8, where Hash#select returned [key, value] pairs: since 1.9 it returns a Hash, which this
# indexed with a number (nil), so every ACK that should hand out the next queued message raised and closed the
# connection with an ERROR. The same code with the pairs made explicit.
class StompServer::QueueManager
  def send_a_backlog(connection)
    possible = @queues.select { |dest, users| @qstore.message_for?(dest) && users.detect { |u| u.connection == connection } }.to_a
    return if possible.empty?
    dest, users = possible[rand(possible.length)]
    send_to_user(@qstore.dequeue(dest), users.find { |u| u.connection == connection })
  end
end
EventMachine.run do
  config = StompServer::Configurator.new
  stomp = StompServer::Run.new(config.opts)
  stomp.start
  handler = StompServer::Protocols::Stomp
  { auth_required: stomp.auth_required, queue_manager: stomp.queue_manager, topic_manager: stomp.topic_manager,
    stompauth: stomp.stompauth }.each { |name, value| handler.class_variable_set(:"@@#{name}", value) }
  puts "Stomp protocol handler starting on #{config.opts[:host]} port #{config.opts[:port]}"
  EventMachine.start_server(config.opts[:host], config.opts[:port], handler)
end
EOF
  put $SS_CONF root <<EOF
:daemon: false
:working_dir: $SS_DIR
:logdir: $SS_LOGDIR
:pidfile: $SS_PID
:queue: memory
:auth: true
:etcdir: $SS_ETC
:host: 127.0.0.1
:port: $SS_PORT
:user: stompserver
:group: stompserver
EOF
  put $SS_ETC/.passwd root <<<$'guest:guest\nstomp:stomp'
  if [ $CHANGED = 0 ] && [ "$RESET" != 1 ] && ss_pid >/dev/null && ss_ready; then log "stompserver: already up"; return; fi
  ss_down stop   # a config change, RESET=1, or a process that does not answer
  install -d -o stompserver -g stompserver $SS_RUN $SS_DIR $SS_LOGDIR
  log "stompserver: starting on 127.0.0.1:$SS_PORT"
  # It writes its pid file itself, after dropping to the stompserver user.
  setsid ruby $SS_LAUNCHER -C $SS_CONF </dev/null >>$SS_LOG 2>&1 9>&- &
  wait_until "stompserver stomp $SS_PORT (1.0)" ss_ready; }

# ======================================================================= stop / kill
if [ "$ACTION" != start ]; then
  if want rabbitmq && type -P rabbitmqctl >/dev/null; then
    if [ "$ACTION" = kill ]; then rmq_kill || log "RabbitMQ: not running"; rm -f $RMQ_PID
    else rmq_stop; fi
    # epmd (127.0.0.1:4369) stays up on purpose: the next start is faster; `epmd -kill` stops it
  fi
  if want activemq; then
    if p=$(amq_pid); then
      if [ "$ACTION" = kill ]; then log "ActiveMQ: kill -KILL $p"; kill -KILL "$p"
      else
        log "ActiveMQ: kill -TERM $p"; kill -TERM "$p"
        for _ in $(seq 300); do alive "$p" || break; sleep 0.1; done
        alive "$p" && { log "ActiveMQ: still up after 30 s -> SIGKILL"; kill -KILL "$p"; }
      fi
      wait_gone "$p"; log "ActiveMQ: stopped"
    else log "ActiveMQ: not running"; fi
    rm -f $AMQ_PID $AMQ_PID.stop
  fi
  want stompserver && ss_down "$ACTION"
  exit 0
fi

# ======================================================================= start
# ---- packages (policy-rc.d keeps the packages' init scripts from starting brokers with their default config)
pkgs=(openssl); want rabbitmq && pkgs+=(rabbitmq-server); want activemq && pkgs+=(activemq)
want stompserver && pkgs+=(stompserver)
miss=(); for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || miss+=("$p"); done
if [ ${#miss[@]} -gt 0 ]; then
  apt-cache show "${miss[@]}" >/dev/null 2>&1 || apt-get update -q >&2
  prc=/usr/sbin/policy-rc.d; added=0
  [ -e $prc ] || { printf '#!/bin/sh\nexit 101\n' >$prc; chmod 755 $prc; added=1; }
  log "apt-get install ${miss[*]}"; rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${miss[@]}" >&2 || rc=$?
  [ $added = 1 ] && rm -f $prc; [ $rc = 0 ] || exit $rc
fi

# ---- TLS: a self-signed test CA + server cert (SAN localhost, 127.0.0.1); PEM for RabbitMQ, PKCS12 for ActiveMQ
if [ ! -s $TLS/server.p12 ]; then
  log "creating test CA + server cert in $TLS"; mkdir -p $TLS
  (cd $TLS
   openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=stomp-test-ca -keyout ca.key -out ca.pem 2>/dev/null
   openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
   printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext.cnf
   openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile ext.cnf \
     -out server.pem 2>/dev/null
   openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server -passout pass:password \
     -out server.p12
   rm -f truststore.p12)
fi
client_certs
chmod 755 $TLS; chmod 644 $TLS/*   # a test-only key: the rabbitmq and activemq users must read it

# ---- RabbitMQ
if want rabbitmq; then
  CHANGED=0; BLOGS=("$RMQ_LOG" "$RMQ_STARTUP_LOG")
  put /etc/rabbitmq/rabbitmq-env.conf rabbitmq <<'EOF'
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1
EOF
  put /etc/rabbitmq/rabbitmq.conf rabbitmq <<EOF
listeners.tcp.default = 127.0.0.1:5672
loopback_users.guest = true
stomp.listeners.tcp.1 = 127.0.0.1:61613
stomp.listeners.ssl.1 = 127.0.0.1:61614
stomp.default_vhost = /
ssl_options.cacertfile = $TLS/ca.pem
ssl_options.certfile = $TLS/server.pem
ssl_options.keyfile = $TLS/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = 15674
web_stomp.ws_frame = binary
web_stomp.ssl.ip = 127.0.0.1
web_stomp.ssl.port = 15673
web_stomp.ssl.cacertfile = $TLS/ca.pem
web_stomp.ssl.certfile = $TLS/server.pem
web_stomp.ssl.keyfile = $TLS/server.key
EOF
  # same as: rabbitmq-plugins enable --offline rabbitmq_stomp rabbitmq_web_stomp
  put /etc/rabbitmq/enabled_plugins rabbitmq <<<'[rabbitmq_stomp,rabbitmq_web_stomp].'
  if [ $CHANGED = 0 ] && [ "$RESET" != 1 ] && rmq_ready; then log "RabbitMQ: already up"
  else
    up() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
    restart=0; { [ $CHANGED = 1 ] || [ "$RESET" = 1 ]; } && restart=1
    if [ $restart = 1 ] && up; then log "RabbitMQ: config changed or RESET=1 -> restart"; rmq_stop; fi
    if [ $restart = 1 ] || ! up; then
      rmq_kill || true   # a VM that does not answer (stuck in its boot) must not hold the node name
      [ "$RESET" = 1 ] && { log "RabbitMQ: RESET=1 -> wiping $RMQ_DB"; rm -rf "$RMQ_DB"/rabbit@localhost*; }
      rm -f $RMQ_PID; log "RabbitMQ: rabbitmq-server -detached"
      rabbitmq-server -detached || fail "rabbitmq-server -detached failed"
      rabbitmqctl -q wait --timeout "$TMO" $RMQ_PID >/dev/null || fail "RabbitMQ did not boot within ${TMO}s"
    else   # the VM may be up with the app stopped (stop_app): a no-op otherwise
      rabbitmqctl -q start_app >/dev/null || fail "RabbitMQ: start_app failed"
    fi
    # Fixtures: user stomp/stomp, vhost test-vhost, and a policy that deletes the tests' queues (named ...-<uuid>,
    # or demo-*-<8 hex>) after 15 minutes unused: each integration run declares a few hundred durable queues, and a
    # node that must recover thousands of them at boot takes minutes (or never finishes under a 1024-fd limit).
    expiry='(-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|^demo-(in|out|errors)-[0-9a-f]{8})$'
    if ! rabbitmqctl -q list_users 2>/dev/null | grep -q '^stomp[[:space:]]' ||
      ! rabbitmqctl -q list_policies -p test-vhost 2>/dev/null | grep -q 'stompest-test-queues'; then
      log "RabbitMQ: fixtures (user stomp, vhost test-vhost, test-queue expiry policy)"
      rabbitmqctl -q add_user stomp stomp >/dev/null 2>&1 || true; rabbitmqctl -q add_vhost test-vhost >/dev/null 2>&1 || true
      for v in / test-vhost; do
        for u in guest stomp; do rabbitmqctl -q set_permissions -p $v $u '.*' '.*' '.*' >/dev/null; done
        rabbitmqctl -q set_policy -p $v --apply-to queues stompest-test-queues "$expiry" '{"expires":900000}' >/dev/null
      done
    fi
    wait_until "RabbitMQ stomp 61613" stomp_ok 61613 /
    wait_until "RabbitMQ stomp 61613 (stomp@test-vhost)" stomp_ok 61613 test-vhost stomp
    wait_until "RabbitMQ stomp+ssl 61614" stomp_tls_ok 61614 /
    wait_until "RabbitMQ web-stomp 15674/ws" ws_ok 15674 /ws
    wait_until "RabbitMQ web-stomp+tls 15673/ws" wss_ok 15673 /ws
  fi
fi

# ---- ActiveMQ (Debian instance "stomp"; /etc/init.d/activemq starts every enabled instance)
if want activemq; then
  CHANGED=0; JH=; BLOGS=("$AMQ_BASE/console.log")
  for d in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/default-java; do [ -x "$d/bin/java" ] && { JH=$d; break; }; done
  [ -n "$JH" ] || JH=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  [ -s $TLS/truststore.p12 ] || keytool -importcert -noprompt -alias ca -file $TLS/ca.pem -keystore $TLS/truststore.p12 \
    -storetype PKCS12 -storepass password >/dev/null
  chmod 644 $TLS/truststore.p12
  # 'options' REPLACES /usr/share/activemq/activemq-options (the launcher reads only the first file found)
  put $AMQ_CONF/options root <<EOF
ACTIVEMQ_BASE="/var/lib/activemq/\$INSTANCE"
ACTIVEMQ_DATA="/var/lib/activemq/\$INSTANCE/data"
ACTIVEMQ_TMP="/var/lib/activemq/\$INSTANCE/tmp"
ACTIVEMQ_PIDFILE="/run/activemq/\$INSTANCE.pid"
JAVA_HOME="$JH"
ACTIVEMQ_OPTS="-Xms256M -Xmx512M -Dorg.apache.activemq.UseDedicatedTaskRunner=true"
ACTIVEMQ_ARGS="start xbean:activemq.xml"
ACTIVEMQ_OUT="/var/lib/activemq/\$INSTANCE/console.log"
STARTTIME=0
EOF
  put $AMQ_CONF/log4j.properties root <<'EOF'
log4j.rootLogger=INFO, out
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=%d{ISO8601} %-5p %m [%c{1}|%t]%n
EOF
  put $AMQ_CONF/activemq.xml root <<EOF
<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="localhost" useJmx="true" dataDirectory="\${activemq.base}/data">
    <managementContext><managementContext createConnector="false"/></managementContext>
    <persistenceAdapter><kahaDB directory="\${activemq.base}/data/kahadb"/></persistenceAdapter>
    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage percentOfJvmHeap="70"/></memoryUsage>
      <storeUsage><storeUsage limit="2 gb"/></storeUsage><tempUsage><tempUsage limit="1 gb"/></tempUsage>
    </systemUsage></systemUsage>
    <plugins><simpleAuthenticationPlugin anonymousAccessAllowed="true"><users>
      <authenticationUser username="admin" password="admin" groups="admins,users"/>
      <authenticationUser username="guest" password="guest" groups="users"/>
      <authenticationUser username="stomp" password="stomp" groups="users"/>
    </users></simpleAuthenticationPlugin></plugins>
    <sslContext><sslContext keyStore="file:$TLS/server.p12" keyStorePassword="password" keyStoreType="PKCS12"
      trustStore="file:$TLS/truststore.p12" trustStorePassword="password" trustStoreType="PKCS12"/></sslContext>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:61616"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:61623"/>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:61625"/>
      <transportConnector name="stomp+ssl+clientauth" uri="stomp+ssl://127.0.0.1:61626?transport.needClientAuth=true"/>
    </transportConnectors>
  </broker>
</beans>
EOF
  [ "$(readlink /etc/activemq/instances-enabled/stomp)" = ../instances-available/stomp ] ||
    { ln -sfn ../instances-available/stomp /etc/activemq/instances-enabled/stomp; CHANGED=1; }
  install -d -o activemq -g activemq $AMQ_BASE $AMQ_BASE/lib /run/activemq
  # xstream/jettison are installed (deps) but not on the classpath: advisory messages (/topic/>) and
  # 'transformation' need them, or the connection's dispatcher dies
  ln -sfn /usr/share/java/xstream.jar $AMQ_BASE/lib/xstream.jar
  ln -sfn /usr/share/java/jettison.jar $AMQ_BASE/lib/jettison.jar
  if [ $CHANGED = 0 ] && [ "$RESET" != 1 ] && amq_pid >/dev/null && amq_ready; then log "ActiveMQ: already up"
  else
    if p=$(amq_pid) && { [ $CHANGED = 1 ] || [ "$RESET" = 1 ]; }; then
      log "ActiveMQ: config changed or RESET=1 -> restart"; kill -TERM "$p"
      for _ in $(seq 300); do alive "$p" || break; sleep 0.1; done; alive "$p" && kill -KILL "$p"; wait_gone "$p"
    fi
    [ "$RESET" = 1 ] && ! amq_pid >/dev/null && rm -rf $AMQ_BASE/data
    if ! amq_pid >/dev/null; then
      rm -f $AMQ_PID $AMQ_PID.stop; log "ActiveMQ: /etc/init.d/activemq start"
      /etc/init.d/activemq start </dev/null >/dev/null 2>&1 9>&- || true  # says "(failed?)" because STARTTIME=0: the probes decide
    fi
    wait_until "ActiveMQ stomp 61623" stomp_ok 61623 localhost
    wait_until "ActiveMQ stomp 61623 (stomp)" stomp_ok 61623 localhost stomp
    wait_until "ActiveMQ stomp+ssl 61625" stomp_tls_ok 61625 localhost
    wait_until "ActiveMQ stomp+ssl 61626 (client certificate required)" stomp_mtls_ok 61626 localhost
  fi
fi

want stompserver && ss_start

want rabbitmq && cat <<EOF
RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null): stomp://127.0.0.1:61613  stomp+ssl://127.0.0.1:61614
  ws://127.0.0.1:15674/ws  wss://127.0.0.1:15673/ws  host header "/" (or "test-vhost"); guest/guest (loopback only), stomp/stomp
  log: /var/log/rabbitmq/rabbit@localhost.log
EOF
want activemq && cat <<EOF
ActiveMQ $(dpkg-query -W -f='${Version}' activemq 2>/dev/null): stomp://127.0.0.1:61623  stomp+ssl://127.0.0.1:61625  (openwire 61616)
  stomp+ssl://127.0.0.1:61626 requires a client certificate signed by the test CA ($TLS/client.pem, client.key)
  host header ignored; anonymous, admin/admin, guest/guest, stomp/stomp; no WebSocket connector in Debian's build
  log: $AMQ_BASE/console.log
EOF
want stompserver && cat <<EOF
stompserver $(dpkg-query -W -f='${Version}' stompserver 2>/dev/null): stomp://127.0.0.1:$SS_PORT  (STOMP 1.0 only); guest/guest, stomp/stomp
  log: $SS_LOG
EOF
echo "TLS CA: $TLS/ca.pem"
