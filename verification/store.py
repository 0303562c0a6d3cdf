"""The lookups' fast path in Redis: answers kept ready, rate-limit counters, the log queue.

With REDIS_URL set (and VERIFY_CACHE_SECONDS above zero), a lookup with the right code for a
certificate whose answer is kept costs one Redis round trip, a short script (_LOOKUP) that
counts the request against the client's rate limit, reads the certificate's version token and
kept answer, and queues the log row: no database query and no template. A Celery task writes
the queued rows to the database in batches (tasks.verification_log_flush) seconds later.

Why a kept answer is never wrong about a certificate's status:

- an answer is stored with the version token its builder read *before* it read the database,
  and served only while the certificate's token is unchanged (a missing token matches nothing);
- whatever changes what an answer says (issuing, superseding, revoking a certificate) calls
  forget(), which sets a new token and deletes the answer, inside the transaction (a Redis
  failure rolls the change back) and again after the commit, so an answer read from the
  database in between is never served;
- a wrong code or an unknown number always goes to the database: the kept answer can say
  "valid" only for the code it was built for, and it never says "not found";
- answers expire after VERIFY_CACHE_SECONDS, which bounds how long a renamed agency or office
  takes to show.

A kept answer holds its certificate's links, code included, as the database does: Redis is
protected like the database (a password in REDIS_URL, no exposure outside the private network).

Rate limits are fixed windows (the count restarts when a new window of the rate's period
starts), one count per client (an HMAC of the address, as in the log) across page, QR link,
API and upload alike.

A miss (a wrong code, an unknown number) leaves nothing in Redis but that count and its queued
log row: a version token is made only when the database has just answered with a
certificate, so that guesses cannot fill Redis with keys.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from redis.exceptions import NoScriptError

from .answers import KIND_FIELDS, KINDS, Answer


def enabled() -> bool:
    """Redis counts the lookups' rate limit and queues their log rows."""
    return bool(settings.REDIS_URL)


def keeps_answers() -> bool:
    """Redis also keeps answers (VERIFY_CACHE_SECONDS=0: every lookup reads the database)."""
    return enabled() and settings.VERIFY_CACHE_SECONDS > 0


@functools.lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    # One client per process (its connection pool is thread-safe), kept for the process's life.
    # Short timeouts: with Redis unreachable a lookup falls back to the database at once.
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return redis.Redis.from_url(
        url, health_check_interval=30, socket_connect_timeout=timeout, socket_timeout=timeout
    )


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


def _key(*parts: str) -> str:
    return ":".join((settings.CACHE_KEY_PREFIX, "verify", *parts))


def _code_digest(number: str, code: str) -> str:
    return hashlib.sha256(f"{number}\n{code}".encode()).hexdigest()


# One round trip for a lookup: count it against the client's limit and, unless that is
# exceeded, read the number's version token and kept answer; when the answer is current, for
# this code and holds the kinds asked for, queue the log row too. KEYS: rate counter, version
# token, kept answer, log queue. ARGV: window in seconds, limit, digest of number and code, the
# log row but for its certificate (JSON), whether kept answers may be served ('1' or '0':
# VERIFY_CACHE_SECONDS=0 serves none, not even one kept before the setting changed), then the
# fields of the kinds asked for (answers.KIND_FIELDS). The digests are compared in the script,
# not in constant time: timing could tell how much of a SHA-256 matched, which says nothing of
# the code.
_LOOKUP = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local count = redis.call('INCR', KEYS[1])
if count > tonumber(ARGV[2]) then return {count} end
if ARGV[5] ~= '1' then return {count, false} end
local token = redis.call('GET', KEYS[2])
if not token then return {count, false} end
local kept = redis.call('HMGET', KEYS[3], 'token', 'code', 'id', 'title', unpack(ARGV, 6))
if kept[1] ~= token or kept[2] ~= ARGV[3] then return {count, token} end
for i = 5, #kept do if not kept[i] then return {count, token} end end
local queued = redis.call('RPUSH', KEYS[4], kept[3] .. ' ' .. ARGV[4])
return {count, token, queued, unpack(kept, 3)}
"""

# One round trip after the database answered a lookup with a certificate: queue its log row
# and keep the kinds of the answer just built. KEYS: version token, kept answer, log queue.
# ARGV: the token the lookup read before the database ('' if none), a new token (made only if
# the number has none: a first lookup), the token's and the answer's lifetimes, the digest of
# number and code, the log row, then field, value pairs. Nothing is kept unless the number's
# token is still the one read before the database (a change in between sets a new one); kept
# fields of another token or code are dropped first, so that kinds built from different
# states never mix. Returns the log queue's length.
_KEEP = """
local queued = redis.call('RPUSH', KEYS[3], ARGV[6])
local token = ARGV[1]
if token == '' then
  if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[3]) then return queued end
  token = ARGV[2]
elseif redis.call('GET', KEYS[1]) ~= token then
  return queued
end
local kept = redis.call('HMGET', KEYS[2], 'token', 'code')
if kept[1] ~= token or kept[2] ~= ARGV[5] then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[2], 'token', token, 'code', ARGV[5], unpack(ARGV, 7))
redis.call('EXPIRE', KEYS[2], ARGV[4])
return queued
"""


@functools.lru_cache(maxsize=4)
def _lookup_script(url: str) -> Any:
    return _client_for(url).register_script(_LOOKUP)


@functools.lru_cache(maxsize=4)
def _keep_script(url: str) -> Any:
    return _client_for(url).register_script(_KEEP)


_local = threading.local()


def _connection() -> Any:
    """This thread's own connection for the lookup script, taken from the client's pool once
    (again after a fork, or for another REDIS_URL)."""
    held = getattr(_local, "held", None)
    if held is None or held[:2] != (os.getpid(), settings.REDIS_URL):
        connection = _client().connection_pool.get_connection()
        held = _local.held = (os.getpid(), settings.REDIS_URL, connection)
    return held[2]


def _run_lookup(keys: list[str], args: list[Any]) -> Any:
    """The lookup script, on this thread's connection: redis-py's execute_command (retries,
    observability hooks, taking and returning a pooled connection) cost as much CPU as the
    rest of the call (bench/README.md). A failed call raises RedisError (the lookup is answered
    from the database) and the connection reconnects on its next use; a Redis that lost its
    scripts (a restart) gets the script itself, once."""
    script = _lookup_script(settings.REDIS_URL)
    connection = _connection()
    try:
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        return connection.read_response()
    except NoScriptError:
        connection.send_command("SCRIPT", "LOAD", _LOOKUP)
        connection.read_response()
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        return connection.read_response()
    except redis.RedisError:
        connection.disconnect()
        raise


@dataclass(frozen=True)
class Fetched:
    count: int  # this client's requests in the current window, this one included
    limited: bool  # over the limit: nothing was read
    token: str | None  # the certificate number's version token, if it has one
    answer: Answer | None  # the kept answer, if it is current, for this code, of these kinds
    queued: int = 0  # with an answer: the log queue's length, its row included


def _fields(kinds: frozenset[str]) -> list[str]:
    return [name for kind in sorted(kinds) for name in KIND_FIELDS[kind]]


def fetch(
    *,
    number: str,
    code: str,
    limit_key: str,
    limit: int,
    period: int,
    log_row: dict[str, str],
    kinds: frozenset[str] = KINDS,
) -> Fetched:
    """Count the request; read what is kept for the number; log a found answer."""
    counter = _key("rl", limit_key, str(int(time.time()) // period))
    keys = [counter, _key("t", number), _key("a", number), _key("log")]
    fields = _fields(kinds)
    serve_kept = "1" if keeps_answers() else "0"
    args = [period, limit, _code_digest(number, code), json.dumps(log_row), serve_kept, *fields]
    count, *rest = _run_lookup(keys, args)
    if not rest:
        return Fetched(count=count, limited=True, token=None, answer=None)
    token = rest[0].decode() if rest[0] else None
    if len(rest) == 1:
        return Fetched(count=count, limited=False, token=token, answer=None)
    queued, *values = rest[1:]
    names = ("id", "title", *fields)
    kept = {name: value.decode() for name, value in zip(names, values, strict=True)}
    return Fetched(
        count=count, limited=False, token=token, answer=Answer.from_text(kept), queued=queued
    )


def keep_and_log(
    *, number: str, code: str, token: str | None, answer: Answer, log_row: dict[str, str]
) -> int:
    """After the database answered with a certificate: queue the log row and keep the answer
    (under `token`, read before the database; a first lookup's token is made here). One round
    trip; returns the log queue's length."""
    ttl = settings.VERIFY_CACHE_SECONDS
    item = f"{answer.certificate_id} {json.dumps(log_row)}"
    pairs = [part for pair in answer.as_text().items() for part in pair]
    keys = [_key("t", number), _key("a", number), _key("log")]
    args = [token or "", secrets.token_hex(8), 2 * ttl, ttl, _code_digest(number, code), item]
    return int(_keep_script(settings.REDIS_URL)(keys=keys, args=[*args, *pairs]))


def count(*, limit_key: str, period: int) -> int:
    """Count one request against the client's limit, as the lookup script does; the count so far
    in this window, this request included (for the upload check, which reads nothing kept)."""
    counter = _key("rl", limit_key, str(int(time.time()) // period))
    with _client().pipeline(transaction=True) as pipe:
        pipe.set(counter, 0, ex=period, nx=True)
        pipe.incr(counter)
        _, counted = pipe.execute()
    return int(counted)


def token_create(number: str) -> str | None:
    """A version token for a number that had none when its lookup began, or None if one has
    appeared since: then a change (forget) or another lookup came in between, and an answer
    read from the database meanwhile must not be kept under it.

    A token that existed when the lookup began is read by the lookup script (Fetched.token)
    before the database is; one made only now, after the database answered, is safe because
    forget() always sets a token: had the certificate changed since the lookup began, a token
    would exist and this would return None.
    """
    token = secrets.token_hex(8)
    created = _client().set(_key("t", number), token, nx=True, ex=2 * settings.VERIFY_CACHE_SECONDS)
    return token if created else None


def token_claim(number: str) -> str:
    """The number's version token, made now if it has none (call before reading the database)."""
    key = _key("t", number)
    with _client().pipeline(transaction=False) as pipe:
        pipe.set(key, secrets.token_hex(8), nx=True, ex=2 * settings.VERIFY_CACHE_SECONDS)
        pipe.get(key)
        _, token = pipe.execute()
    return str(token.decode())


def keep(*, number: str, code: str, token: str, answer: Answer) -> None:
    """Keep an answer read from the database after `token` was read (its kinds replace what
    was kept under another token or code)."""
    key = _key("a", number)
    fields: dict[str, str] = {
        "token": token,
        "code": _code_digest(number, code),
        **answer.as_text(),
    }
    with _client().pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping=fields)  # type: ignore[arg-type]  # redis-py's stub wants its own key union, which str is part of
        pipe.expire(key, settings.VERIFY_CACHE_SECONDS)
        pipe.execute()


# With VERIFY_CACHE_SECONDS=0 here, a node not yet told of the change may still keep answers
# for the default hour: the new token outlives those.
_TOKEN_FLOOR_SECONDS = 2 * 3600


def _forget_now(number: str) -> None:
    # Always a new token (never a deleted one): token_create relies on it.
    ttl = max(2 * settings.VERIFY_CACHE_SECONDS, _TOKEN_FLOOR_SECONDS)
    with _client().pipeline(transaction=True) as pipe:
        pipe.set(_key("t", number), secrets.token_hex(8), ex=ttl)
        pipe.delete(_key("a", number))
        pipe.execute()


def forget(number: str) -> None:
    """The certificate's answer changes: now (inside the caller's transaction) and after commit.

    Also with VERIFY_CACHE_SECONDS=0: an answer kept before the setting changed must not be
    served once it is turned on again."""
    if not enabled():
        return
    _forget_now(number)
    # After the commit a failure can only be logged (robust=True): the answers kept before the
    # change are unservable already, but one built from the database between the two calls
    # (the old state, under the new token) would be served until it expires.
    transaction.on_commit(lambda: _forget_now(number), robust=True)


# ---------------------------------------------------------------------------------------------
# The log queue
# ---------------------------------------------------------------------------------------------


# A queued row is "<certificate id> <the rest as JSON>", the id empty for a miss: the lookup
# script adds the id of the answer it found without decoding the JSON.
#
# The queue is written by one flusher at a time (tasks.verification_log_flush), which holds a
# lease (KEYS "log:flusher", refreshed at every batch). A batch is never only in the flusher's
# memory: _TAKE moves it from the queue to "log:taking" in one step, and it leaves Redis only
# once the database has it (log_taken). A flusher that dies in between (a time limit, a
# killed worker) leaves the batch there; the next flusher finds it and writes it first
# (tasks: once, however far the dead one got).


def _decode(item: bytes) -> dict[str, Any]:
    certificate_id, _, rest = item.decode().partition(" ")
    return {**json.loads(rest), "certificate_id": int(certificate_id or 0) or None}


def log_push(*, certificate_id: int | None, row: dict[str, Any]) -> int:
    """Queue one log row; returns the queue's length, this row included."""
    item = f"{certificate_id or ''} {json.dumps(row)}"
    return int(_client().rpush(_key("log"), item))


# KEYS: the queue, the batch being written, the lease. ARGV: the flusher's token, the lease in
# seconds, the most rows to take. Returns false if the lease is another's; else 1 and the rows
# of a batch a flusher took before and did not confirm (it may have written them), or 0 and
# up to that many rows moved off the front of the queue (none: the queue is empty).
_TAKE = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return false end
redis.call('EXPIRE', KEYS[3], ARGV[2])
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
if #pending > 0 then return {1, unpack(pending)} end
local rows = redis.call('LPOP', KEYS[1], ARGV[3])
if not rows then return {0} end
redis.call('RPUSH', KEYS[2], unpack(rows))
return {0, unpack(rows)}
"""

# KEYS: the queue, the batch being written, the lease. ARGV: the token. Gives the lease up if it
# is this flusher's and nothing is left to write (1); else 0 (more rows came: go on).
_RELEASE = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 1 end
if redis.call('LLEN', KEYS[1]) > 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[3])
return 1
"""


# KEYS: the lease, a key to delete if the lease is the token's (ARGV[1]).
_IF_LEASED_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 0
"""


@functools.lru_cache(maxsize=16)
def _script_for(url: str, source: str) -> Any:
    return _client_for(url).register_script(source)


def _script(source: str) -> Any:
    return _script_for(settings.REDIS_URL, source)


def _log_keys() -> list[str]:
    return [_key("log"), _key("log", "taking"), _key("log", "flusher")]


@dataclass(frozen=True)
class Batch:
    rows: list[dict[str, Any]]
    # Taken by a flusher that did not confirm it: it may be in the database already.
    unconfirmed: bool = False


class LeaseLostError(RuntimeError):
    """Another flusher holds the log queue's lease (this one was too slow to refresh it)."""


def log_lease(seconds: int) -> str | None:
    """The queue's lease for one flusher (a token), or None if another flusher holds it."""
    token = secrets.token_hex(8)
    return token if _client().set(_key("log", "flusher"), token, nx=True, ex=seconds) else None


def log_take(*, token: str, limit: int, lease_seconds: int) -> Batch:
    """The next batch to write: one left unconfirmed, else up to `limit` rows moved off the
    front of the queue (no rows: the queue is empty). Refreshes the lease."""
    reply = _script(_TAKE)(keys=_log_keys(), args=[token, lease_seconds, limit])
    if reply is None:
        raise LeaseLostError("the log queue's lease is held by another flusher")
    unconfirmed, *items = reply
    return Batch([_decode(item) for item in items], unconfirmed=bool(unconfirmed))


def log_taken(*, token: str) -> None:
    """The batch taken is in the database: drop it (unless the lease was lost meanwhile: the
    flusher that holds it now finds the batch written and drops it)."""
    _script(_IF_LEASED_DELETE)(keys=[_key("log", "flusher"), _key("log", "taking")], args=[token])


def log_release(*, token: str) -> bool:
    """Give the lease up if nothing is left to write (True); False if more rows came."""
    return bool(_script(_RELEASE)(keys=_log_keys(), args=[token]))


def log_drop_lease(*, token: str) -> None:
    """Give the lease up whatever is left (a flusher stopping early: the next one goes on)."""
    lease = _key("log", "flusher")
    _script(_IF_LEASED_DELETE)(keys=[lease, lease], args=[token])


def log_length() -> int:
    """Rows waiting: in the queue, and in a batch taken but not yet confirmed."""
    with _client().pipeline(transaction=False) as pipe:
        pipe.llen(_key("log"))
        pipe.llen(_key("log", "taking"))
        queued, taking = pipe.execute()
    return int(queued) + int(taking)
