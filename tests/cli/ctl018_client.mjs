// A scripted wasmCloud 0.18 lattice client (what wash 0.4 / the wasmcloud-control-interface
// 0.3 client crate sends and expects), run by ctl018_client_test.cc against `wasmcloud up`
// hosts on a nats-server. It speaks only the 0.18 shapes on the 0.18 subjects
// (../shared/spec/wasmcloud-0.18-protocol.md §7.1-7.7, §12): JSON on wasmbus.ctl.{ns}.*,
// msgpack on wasmbus.rpc.{ns}.*, invocations signed by a random server key as the client
// crate's call_actor does.
//
//   NODE_PATH=.deps/npm/node_modules node tests/cli/ctl018_client.mjs \
//     --nats nats://127.0.0.1:4222 --lattice default --host-a N... --host-b N... \
//     --label-a zone=east --label-b zone=west --echo-r0 REG/echo_r0:0.1.0 \
//     --echo-r1 REG/echo_r1:0.1.0 --provider REG/keyvalue:0.1.0 --provider-key V...
// (each option also as an environment variable: NATS_URL, LATTICE, HOST_A, HOST_B,
// LABEL_A, LABEL_B, ECHO_R0_REF, ECHO_R1_REF, PROVIDER_REF, PROVIDER_KEY).
//
// Host A (label-a) is the one commanded; host B (label-b) must answer get.hosts and
// auctions. One line per step ("step N ok: ..."). A difference from 0.18 that does not
// stop the run is printed as "MISMATCH step N: ..." and the run goes on; a failure that
// does is "step N FAILED: ...". Exit 0 only when every check passed.
import { createRequire } from "node:module";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
function load(name) {
  try {
    return require(name);  // NODE_PATH
  } catch (first) {
    try {
      return require(path.join(here, "..", "..", ".deps", "npm", "node_modules", name));
    } catch {
      console.error(`cannot load the npm package ${name} (run scripts/setup.sh; NODE_PATH=` +
                    `.deps/npm/node_modules): ${first.message}`);
      process.exit(2);
    }
  }
}
const { connect, createInbox } = load("nats");
const { encode, decode } = load("@msgpack/msgpack");
const nkeys = load("@nats-io/nkeys");

// ---------------------------------------------------------------------------- options
const OPTIONS = {
  "--nats": "NATS_URL", "--lattice": "LATTICE", "--host-a": "HOST_A", "--host-b": "HOST_B",
  "--label-a": "LABEL_A", "--label-b": "LABEL_B", "--echo-r0": "ECHO_R0_REF",
  "--echo-r1": "ECHO_R1_REF", "--provider": "PROVIDER_REF", "--provider-key": "PROVIDER_KEY",
};
const cfg = { LATTICE: "default", LABEL_A: "zone=east", LABEL_B: "zone=west" };
for (const env of Object.values(OPTIONS)) if (process.env[env]) cfg[env] = process.env[env];
for (let i = 2; i < process.argv.length; i += 2) {
  const env = OPTIONS[process.argv[i]];
  if (!env || i + 1 >= process.argv.length) {
    console.error(`usage: ctl018_client.mjs ${Object.keys(OPTIONS).map((o) => o + " X").join(" ")}`);
    process.exit(2);
  }
  cfg[env] = process.argv[i + 1];
}
for (const env of ["NATS_URL", "HOST_A", "HOST_B", "ECHO_R0_REF", "ECHO_R1_REF", "PROVIDER_REF",
                   "PROVIDER_KEY"]) {
  if (!cfg[env]) {
    console.error(`missing ${env} (or its option)`);
    process.exit(2);
  }
}
const NS = cfg.LATTICE;
const HOST_A = cfg.HOST_A, HOST_B = cfg.HOST_B;
const [LABEL_A_KEY, LABEL_A_VALUE] = cfg.LABEL_A.split("=");
const [LABEL_B_KEY, LABEL_B_VALUE] = cfg.LABEL_B.split("=");

// The fixtures (../shared/fixtures/README.md): echo_r0 and echo_r1 share a subject.
const ECHO_REV = "MDZKXB23KZOEWM7K47BNCX4IQXK7WZ3I3KL7UH6YVVWIUICAYLHCHHR6";
const ECHO_REV_ISSUER = "ABWB27PJPGIGRSYSZ55WGXZOWB3RDV3ESI2V2J5A4JUQLDP6NHM5YXAL";
const HEALTH_REQUEST = "81ab706c616365686f6c646572c3";
const HEALTH_RESPONSE = "82a76865616c746879c3a76d657373616765a0";
// httpserver Request GET "/", no headers, empty body (spec §12).
const HTTP_GET = "85a66d6574686f64a3474554a470617468a12fab7175657279537472696e67a0a668656164657280a4626f6479c400";

const REQUEST_TIMEOUT_MS = 3000;
const GATHER_MS = 10000;
const GATHER_GRACE_MS = 500;
const EVENT_TIMEOUT_MS = 15000;

// ---------------------------------------------------------------------------- reporting
let step = 0;
const mismatches = [];
class Fatal extends Error {}
function fail(message) { throw new Fatal(message); }
const seen = new Map();  // a difference found in every event is reported once, with a count
function mismatch(message, key = message) {
  if (seen.has(key)) {
    seen.get(key).count++;
    return;
  }
  const entry = { text: `step ${step}: ${message}`, count: 1 };
  seen.set(key, entry);
  mismatches.push(entry);
  console.log(`MISMATCH step ${step}: ${message}`);
}
function check(cond, message, key = message) { if (!cond) mismatch(message, key); return cond; }
function note(message) { console.log(`NOTE step ${step}: ${message}`); }
function ok(message) { console.log(`step ${step} ok: ${message}`); }
const show = (v) => JSON.stringify(v);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const td = new TextDecoder();
const te = new TextEncoder();
const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (h) => Buffer.from(h, "hex");

// The keys of a JSON object, in order, must be exactly `keys` (serde_json writes struct
// fields in declaration order; a missing key breaks a 0.18 reader).
function checkKeys(obj, keys, what) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    mismatch(`${what} is not a JSON object: ${show(obj)}`);
    return false;
  }
  const got = Object.keys(obj);
  return check(show(got) === show(keys), `${what} has keys ${show(got)}, 0.18 has ${show(keys)}: ${show(obj)}`);
}
function parseJson(bytes, what) {
  const text = td.decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${what} is not JSON: ${show(text)}`);
  }
}

// ---------------------------------------------------------------------------- msgpack as rmp-serde
// @msgpack/msgpack writes maps only with string keys; a Rust enum needs {index: value}, so
// the structs with an enum inside are put together from encoded pieces.
const cat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));
function mapHeader(n) {
  if (n < 16) return Buffer.from([0x80 + n]);
  const b = Buffer.alloc(3); b[0] = 0xde; b.writeUInt16BE(n, 1); return b;
}
// A struct as rmp-serde's struct-map config writes it: [name, encoded value] in order.
const structMap = (fields) => cat(mapHeader(fields.length), ...fields.flatMap(([k, v]) => [encode(k), v]));
const variant = (index, body) => cat([0x81], encode(index), body);
const entityActor = (pk) => variant(0, encode(pk));
const entityCapability = (id, contract, link) =>
  variant(1, structMap([["id", encode(id)], ["contract_id", encode(contract)], ["link_name", encode(link)]]));
const actorUrl = (pk) => `wasmbus://${pk}`;
const capabilityUrl = (id, contract, link) =>
  `wasmbus://${contract.replaceAll(":", "/").replaceAll(" ", "_").toLowerCase()}/${link.replaceAll(" ", "_").toLowerCase()}/${id}`;

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
function nuid() {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from(randomBytes(22), (b) => alphabet[b % 62]).join("");
}
// wasmcloud-control-interface 0.3 `Invocation::new` (spec §7.3): a wascap Claims<Invocation>
// JWT signed by the client's server key; hash over origin URL ‖ target URL ‖ msg.
function newInvocation(kp, origin, target, operation, msg, fixed = {}) {
  const id = fixed.id ?? randomUUID();
  const issuer = kp.getPublicKey();
  const targetUrl = `${target.url}/${operation}`;
  const hash = createHash("sha256").update(origin.url).update(targetUrl).update(msg).digest("hex").toUpperCase();
  const claims = {
    jti: fixed.jti ?? nuid(),
    iat: fixed.iat ?? Math.floor(Date.now() / 1000),
    iss: issuer,
    sub: id,
    wascap: { target_url: targetUrl, origin_url: origin.url, hash },
  };
  const signing = `${b64url(te.encode(JSON.stringify({ typ: "jwt", alg: "Ed25519" })))}.${b64url(te.encode(JSON.stringify(claims)))}`;
  const jwt = `${signing}.${b64url(kp.sign(te.encode(signing)))}`;
  const bytes = structMap([
    ["origin", origin.bytes], ["target", target.bytes], ["operation", encode(operation)],
    ["msg", encode(Array.from(msg))],  // Vec<u8> without serde_bytes: an array of integers
    ["id", encode(id)], ["encoded_claims", encode(jwt)], ["host_id", encode(issuer)],
  ]);
  return { id, bytes, jwt };
}

// ---------------------------------------------------------------------------- NATS
const nc = await connect({ servers: cfg.NATS_URL, name: "ctl018-client", maxReconnectAttempts: 0 });
const clientKey = nkeys.createServer();  // Client::new: KeyPair::new_server()

async function request(subject, body, what) {
  try {
    return await nc.request(subject, body, { timeout: REQUEST_TIMEOUT_MS });
  } catch (e) {
    fail(`no answer to ${what} on ${subject}: ${e.message}`);
  }
}
async function requestJson(subject, json, what) {
  const m = await request(subject, json === null ? new Uint8Array() : te.encode(JSON.stringify(json)), what);
  return parseJson(m.data, `the answer to ${what}`);
}
// request_multi + SubscriptionStream::collect, which wait a fixed window; here until
// `expect` replies came (GATHER_MS at most) and a grace for any beyond them, so that a
// loaded machine answering late is not taken for a host that did not answer.
async function gather(subject, json, expect) {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const replies = [];
  let reached;
  const enough = new Promise((resolve) => { reached = resolve; });
  const done = (async () => {
    for await (const m of sub) {
      replies.push(m.data);
      if (replies.length >= expect) reached();
    }
  })();
  nc.publish(subject, json === null ? new Uint8Array() : te.encode(JSON.stringify(json)), { reply: inbox });
  await Promise.race([enough, sleep(GATHER_MS)]);
  await sleep(GATHER_GRACE_MS);
  sub.unsubscribe();
  await done;
  return replies;
}

// ---------------------------------------------------------------------------- events
// Every PublishedEvent on wasmbus.ctl.{ns}.events, checked against the 0.18 shapes as it
// arrives (a 0.18 client drops what does not deserialize: "Object received on event
// stream was not a PublishedEvent").
const EVENT_BODIES = {
  ActorStarted: ["actor", "image_ref"],
  ActorStopped: ["actor"],
  ActorUpdateBegan: ["actor", "old_revision", "new_revision"],
  ActorUpdateCompleted: ["actor", "old_revision", "new_revision"],
  ProviderStarted: ["contract_id", "link_name", "provider_id", "image_ref"],
  ProviderStopped: ["contract_id", "link_name", "provider_id"],
  Heartbeat: ["claims", "entities"],
};
const events = [];
const eventWaiters = new Set();
const isUint = (v) => Number.isSafeInteger(v) && v >= 0;
// The keys present must come in `order` (serde's declaration order), none unknown.
function checkOrder(obj, order, what) {
  const got = Object.keys(obj);
  const want = order.filter((k) => k in obj);
  return check(show(got) === show(want), `${what} has keys ${show(got)}, 0.18 writes them as ${show(want)}: ${show(obj)}`,
               `order of ${what.replace(/\[\d+\]/g, "[]")}: ${show(got)}`);
}
// wascap 0.6 Claims<Actor> as serde_json writes it (optional fields left out when None).
const CLAIMS_ORDER = ["exp", "jti", "iat", "iss", "sub", "nbf", "wascap"];
const ACTOR_ORDER = ["name", "hash", "tags", "caps", "rev", "ver", "call_alias", "prov"];
function checkClaimsJson(c, what) {
  if (c === null || typeof c !== "object") return mismatch(`${what} is not an object: ${show(c)}`);
  for (const k of ["jti", "iss", "sub"]) check(typeof c[k] === "string", `${what}: "${k}" missing or not a string: ${show(c)}`);
  check(isUint(c.iat), `${what}: "iat" missing or not an unsigned integer: ${show(c)}`);
  checkOrder(c, CLAIMS_ORDER, what);
  if (c.wascap !== undefined) {
    check(typeof c.wascap?.hash === "string", `${what}: wascap.hash missing: ${show(c)}`);
    checkOrder(c.wascap, ACTOR_ORDER, `${what}.wascap`);
  }
}
function checkEvent(raw) {
  let j;
  try { j = JSON.parse(raw); } catch { return mismatch(`an event is not JSON: ${show(raw)}`); }
  if (!checkKeys(j, ["event", "header"], "PublishedEvent")) return null;
  if (!checkKeys(j.header, ["host_origin", "timestamp"], "PublishedEvent header")) return null;
  const now = Date.now() / 1000;
  check(typeof j.header.host_origin === "string" && /^N[A-Z2-7]{55}$/.test(j.header.host_origin),
        `header.host_origin is not a host key: ${raw}`);
  check(isUint(j.header.timestamp) && Math.abs(j.header.timestamp - now) < 300,
        `header.timestamp is not Unix seconds of now: ${raw}`);
  let variant, body = null;
  if (typeof j.event === "string") {
    variant = j.event;
    if (!check(variant === "HostStarted" || variant === "HostStopped", `unknown unit event ${show(variant)}: ${raw}`)) return null;
  } else {
    const keys = j.event && typeof j.event === "object" ? Object.keys(j.event) : [];
    if (!check(keys.length === 1 && EVENT_BODIES[keys[0]], `not a 0.18 ControlEvent: ${raw}`)) return null;
    variant = keys[0];
    body = j.event[variant];
    if (!checkKeys(body, EVENT_BODIES[variant], `${variant} event`)) return null;
    for (const k of ["actor", "provider_id", "contract_id", "link_name"]) {
      if (k in body) check(typeof body[k] === "string", `${variant}.${k} is not a string: ${raw}`);
    }
    if ("image_ref" in body) check(body.image_ref === null || typeof body.image_ref === "string", `${variant}.image_ref: ${raw}`);
    for (const k of ["old_revision", "new_revision"]) {
      if (k in body) check(isUint(body[k]) && body[k] <= 0xffffffff, `${variant}.${k} is not a u32: ${raw}`);
    }
    if (variant === "Heartbeat") {
      if (check(Array.isArray(body.claims), `Heartbeat.claims is not an array: ${raw}`)) {
        body.claims.forEach((c, i) => checkClaimsJson(c, `Heartbeat.claims[${i}]`));
      }
      if (check(body.entities && typeof body.entities === "object" && !Array.isArray(body.entities),
                `Heartbeat.entities is not a map: ${raw}`)) {
        for (const [pk, state] of Object.entries(body.entities)) {
          const valid = state === "Running" ||
            (state && typeof state === "object" && show(Object.keys(state)) === '["Unhealthy"]' && typeof state.Unhealthy === "string");
          check(valid, `Heartbeat.entities[${pk}] is not a 0.18 RunState: ${show(state)}`);
        }
      }
    }
  }
  return { variant, body, origin: j.header.host_origin, raw };
}
const eventSub = nc.subscribe(`wasmbus.ctl.${NS}.events`);
(async () => {
  for await (const m of eventSub) {
    const e = checkEvent(td.decode(m.data));
    if (!e) continue;
    events.push(e);
    for (const w of eventWaiters) w();
  }
})();
// Claims<Actor> msgpack on wasmbus.rpc.{ns}.claims (what 0.18 hosts advertise when an actor
// starts or is updated, spec §7.1): kept decoded, in order.
const advertisedClaims = [];
const claimsSub = nc.subscribe(`wasmbus.rpc.${NS}.claims`);
(async () => {
  for await (const m of claimsSub) {
    let c;
    try { c = decode(m.data); } catch (e) { mismatch(`a message on wasmbus.rpc.${NS}.claims is not msgpack: ${hex(m.data)}`); continue; }
    checkClaimsJson(c, "the Claims advertised on .claims");
    advertisedClaims.push(c);
    for (const w of eventWaiters) w();
  }
})();
async function waitClaims(what, pred, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!advertisedClaims.some(pred)) {
    if (Date.now() > deadline) fail(`no ${what} on wasmbus.rpc.${NS}.claims within ${ms} ms; seen: ${show(advertisedClaims)}`);
    await sleep(50);
  }
}

// The first event at or after index `from` that satisfies `pred`.
function waitEvent(what, from, pred, ms = EVENT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const look = () => {
      for (let i = from; i < events.length; ++i) {
        if (pred(events[i])) {
          eventWaiters.delete(look);
          clearTimeout(timer);
          resolve({ ...events[i], index: i });
          return true;
        }
      }
      return false;
    };
    const timer = setTimeout(() => {
      eventWaiters.delete(look);
      reject(new Fatal(`no ${what} event within ${ms} ms; events seen since: ` +
                       show(events.slice(from).filter((e) => e.variant !== "Heartbeat").map((e) => e.raw))));
    }, ms);
    if (!look()) eventWaiters.add(look);
  });
}
const fromA = (variant, pred = () => true) => (e) => e.variant === variant && e.origin === HOST_A && pred(e.body);

// ---------------------------------------------------------------------------- helpers of steps
const inventorySubject = (host) => `wasmbus.ctl.${NS}.get.${host}.inv`;
const cmd = (op) => `wasmbus.ctl.${NS}.cmd.${HOST_A}.${op}`;
async function inventory(host) {
  const inv = await requestJson(inventorySubject(host), null, `get.${host}.inv`);
  checkKeys(inv, ["host_id", "labels", "actors", "providers"], "HostInventory");
  check(inv.host_id === host, `HostInventory.host_id ${show(inv.host_id)} is not ${host}`);
  for (const a of inv.actors ?? []) {
    const keys = ["id", ...("image_ref" in a ? ["image_ref"] : []), ...("name" in a ? ["name"] : []), "revision"];
    checkKeys(a, keys, "ActorDescription");
    check(Number.isInteger(a.revision), `ActorDescription.revision is not an i32: ${show(a)}`);
  }
  for (const p of inv.providers ?? []) {
    const keys = ["id", "link_name", ...("image_ref" in p ? ["image_ref"] : []), ...("name" in p ? ["name"] : []), "revision"];
    checkKeys(p, keys, "ProviderDescription");
  }
  return inv;
}
function checkAck(got, want, what) {
  check(show(got) === show(want), `${what} is ${show(got)}, 0.18 answers ${show(want)}`);
}
async function callActor(actor, operation, msgHex) {
  const inv = newInvocation(clientKey, { bytes: entityActor("system"), url: actorUrl("system") },
                            { bytes: entityActor(actor), url: actorUrl(actor) }, operation, unhex(msgHex));
  const m = await request(`wasmbus.rpc.${NS}.${actor}`, inv.bytes, `an invocation of ${operation}`);
  let r;
  try { r = decode(m.data); } catch (e) { fail(`the InvocationResponse is not msgpack (${e.message}): ${hex(m.data)}`); }
  check(m.data[0] === 0x83, `the InvocationResponse is not a map of 3: ${hex(m.data)}`);
  checkKeys(r, ["msg", "error", "invocation_id"], "InvocationResponse");
  if (!Array.isArray(r.msg)) {
    fail(`InvocationResponse.msg is not an array of integers (a 0.18 client cannot read bin): ${hex(m.data)}`);
  }
  check(r.invocation_id === inv.id, `InvocationResponse.invocation_id ${show(r.invocation_id)} is not ${inv.id}`);
  if (r.error !== null) fail(`the invocation of ${operation} failed: ${show(r.error)}`);
  return Buffer.from(r.msg);
}
// echo_r*'s HandleRequest answer: the body's JSON.
function echoBody(responseBytes) {
  const resp = decode(responseBytes);
  if (resp?.statusCode !== 200) fail(`HandleRequest answered ${show(resp)}`);
  return JSON.parse(td.decode(resp.body));
}
// Polls a request until `pred` holds on its JSON answer (publish-only operations have no ack).
async function until(subject, what, pred, ms = 5000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await requestJson(subject, null, what);
    if (pred(last)) return last;
    if (Date.now() > deadline) fail(`${what} never showed the change within ${ms} ms; last answer ${show(last)}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------- steps
const watchdog = setTimeout(() => {
  console.log(`step ${step} FAILED: the client's overall deadline (40 s) passed`);
  process.exit(1);
}, 40000);

let actorStartedAt = 0;  // index in `events` of host A's ActorStarted

async function main() {
  await nc.flush();  // the event subscription is in effect at the server

  // 0: the client's own encoder against spec §12 (Ed25519 is deterministic).
  {
    const kp = nkeys.fromSeed(te.encode("SNAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2D5U"));
    const origin = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
    const cache = "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2";
    const inv = newInvocation(kp, { bytes: entityActor(origin), url: actorUrl(origin) },
                              { bytes: entityCapability(cache, "wasmcloud:keyvalue", "default"),
                                url: capabilityUrl(cache, "wasmcloud:keyvalue", "default") },
                              "Get", unhex("81a36b6579a7636f756e746572"),
                              { id: "8b0b2b8e-6f3c-4d2a-9a51-1f2e3d4c5b6a", jti: "Zr6b4wq2kJ8h1Qm0aX9cD3", iat: 1620000000 });
    const sha = createHash("sha256").update(inv.bytes).digest("hex");
    if (inv.bytes.length !== 1061 || sha !== SPEC12_INVOCATION_SHA256) {
      fail(`the client does not reproduce the worked Invocation of spec §12 (${inv.bytes.length} bytes, sha256 ${sha}): ${hex(inv.bytes)}`);
    }
    ok("the client's Invocation encoder reproduces spec §12 byte for byte (1061 bytes)");
  }

  // 1: get.hosts, scatter-gather.
  step = 1;
  {
    const replies = await gather(`wasmbus.ctl.${NS}.get.hosts`, null, 2);
    const hosts = replies.map((r) => parseJson(r, "a get.hosts answer"));
    hosts.forEach((h) => {
      checkKeys(h, ["id", "uptime"], "Host");
      check(isUint(h.uptime), `Host.uptime is not a u64: ${show(h)}`);
    });
    const ids = hosts.map((h) => h.id).sort();
    if (show(ids) !== show([HOST_A, HOST_B].sort())) fail(`get.hosts answered by ${show(ids)}, expected ${HOST_A} and ${HOST_B}`);
    ok(`get.hosts: both hosts answer {"id","uptime"}: ${replies.map((r) => td.decode(r)).join(" ")}`);
  }

  // 2: auctions.
  step = 2;
  {
    const [all, east, west] = await Promise.all([
      gather(`wasmbus.ctl.${NS}.auction.actor`, { actor_ref: cfg.ECHO_R0_REF, constraints: {} }, 2),
      gather(`wasmbus.ctl.${NS}.auction.actor`, { actor_ref: cfg.ECHO_R0_REF, constraints: { [LABEL_A_KEY]: LABEL_A_VALUE } }, 1),
      gather(`wasmbus.ctl.${NS}.auction.provider`, { provider_ref: cfg.PROVIDER_REF, link_name: "default", constraints: { [LABEL_B_KEY]: LABEL_B_VALUE } }, 1),
    ]);
    const allIds = all.map((r) => parseJson(r, "an actor auction ack").host_id).sort();
    check(show(allIds) === show([HOST_A, HOST_B].sort()), `an unconstrained actor auction got bids from ${show(allIds)}`);
    if (east.length !== 1) fail(`the actor auction with ${cfg.LABEL_A} got ${east.length} bids: ${east.map((r) => td.decode(r)).join(" ")}`);
    const bid = parseJson(east[0], "an actor auction ack");
    checkAck(bid, { actor_ref: cfg.ECHO_R0_REF, constraints: { [LABEL_A_KEY]: LABEL_A_VALUE }, host_id: HOST_A }, "ActorAuctionAck");
    if (west.length !== 1) fail(`the provider auction with ${cfg.LABEL_B} got ${west.length} bids: ${west.map((r) => td.decode(r)).join(" ")}`);
    checkAck(parseJson(west[0], "a provider auction ack"),
             { provider_ref: cfg.PROVIDER_REF, link_name: "default", host_id: HOST_B }, "ProviderAuctionAck");
    ok(`auctions: ${cfg.LABEL_A} only host A bids ${td.decode(east[0])}; provider with ${cfg.LABEL_B} only host B ${td.decode(west[0])}; unconstrained both`);
  }

  // 3: start echo_r0 by OCI reference.
  step = 3;
  {
    const mark = events.length;
    const ack = await requestJson(cmd("la"), { actor_ref: cfg.ECHO_R0_REF, host_id: HOST_A }, "cmd.la");
    checkAck(ack, { host_id: HOST_A, actor_ref: cfg.ECHO_R0_REF, failure: null }, "StartActorAck");
    if (ack.failure) fail(`la refused: ${ack.failure}`);
    const started = await waitEvent("ActorStarted", mark, fromA("ActorStarted", (b) => b.actor === ECHO_REV));
    actorStartedAt = started.index;
    check(started.body.image_ref === cfg.ECHO_R0_REF, `ActorStarted.image_ref is ${show(started.body.image_ref)}, not ${cfg.ECHO_R0_REF}`);
    const inv = await inventory(HOST_A);
    const a = (inv.actors ?? []).find((x) => x.id === ECHO_REV);
    if (!a) fail(`get.${HOST_A}.inv does not list ${ECHO_REV}: ${show(inv)}`);
    checkAck(a, { id: ECHO_REV, image_ref: cfg.ECHO_R0_REF, name: "Echo Rev", revision: 0 }, "the inventory's ActorDescription");
    check(inv.labels?.[LABEL_A_KEY] === LABEL_A_VALUE, `the inventory's labels lack ${cfg.LABEL_A}: ${show(inv.labels)}`);
    for (const k of ["hostcore.arch", "hostcore.os", "hostcore.osfamily"]) {
      check(typeof inv.labels?.[k] === "string", `the inventory's labels lack ${k} (0.18 always has it): ${show(inv.labels)}`);
    }
    const again = await requestJson(cmd("la"), { actor_ref: cfg.ECHO_R0_REF, host_id: HOST_A }, "a second cmd.la");
    checkAck(again, { host_id: HOST_A, actor_ref: cfg.ECHO_R0_REF,
                      failure: `Actor with image ref '${cfg.ECHO_R0_REF}' is already running on this host` }, "the second StartActorAck");
    await waitClaims("claims of echo_r0", (c) => c.sub === ECHO_REV && c.wascap?.rev === 0);
    ok(`la: ack ${show(ack)}, ${started.raw}, inventory ${show(a)}, claims advertised, again: ${show(again.failure)}`);
  }

  // 4: call it as call_actor does.
  step = 4;
  {
    const health = await callActor(ECHO_REV, "HealthRequest", HEALTH_REQUEST);
    if (hex(health) !== HEALTH_RESPONSE) fail(`HealthRequest answered ${hex(health)}, not ${HEALTH_RESPONSE}`);
    const body = echoBody(await callActor(ECHO_REV, "HandleRequest", HTTP_GET));
    if (body.revision !== 0) fail(`HandleRequest of echo_r0 answered ${show(body)}`);
    ok(`call_actor: HealthRequest -> ${hex(health)}; HandleRequest -> ${show(body)}`);
  }

  // 5: a link advertised on wasmbus.rpc.{ns}.links and removed on .remlinks.
  step = 5;
  {
    const link = { actor_id: ECHO_REV, provider_id: cfg.PROVIDER_KEY, link_name: "default",
                   contract_id: "wasmcloud:keyvalue", values: { ctl018: "linked" } };
    const same = (l) => l.actor_id === link.actor_id && l.contract_id === link.contract_id && l.link_name === link.link_name;
    // Client::advertise_link: the control interface's LinkDefinition, rmp-serde struct map.
    const bytes = structMap([["actor_id", encode(link.actor_id)], ["provider_id", encode(link.provider_id)],
                             ["link_name", encode(link.link_name)], ["contract_id", encode(link.contract_id)],
                             ["values", encode(link.values)]]);
    nc.publish(`wasmbus.rpc.${NS}.links`, bytes);
    const list = await until(`wasmbus.ctl.${NS}.get.links`, "get.links", (j) => (j.links ?? []).some(same));
    checkKeys(list, ["links"], "LinkDefinitionList");
    const shown = list.links.find(same);
    checkKeys(shown, ["actor_id", "provider_id", "link_name", "contract_id", "values"], "LinkDefinition");
    checkAck(shown, link, "the listed LinkDefinition");
    // Client::remove_link: provider_id "" and values {}.
    const removal = structMap([["actor_id", encode(link.actor_id)], ["provider_id", encode("")],
                               ["link_name", encode(link.link_name)], ["contract_id", encode(link.contract_id)],
                               ["values", encode({})]]);
    nc.publish(`wasmbus.rpc.${NS}.remlinks`, removal);
    await until(`wasmbus.ctl.${NS}.get.links`, "get.links", (j) => !(j.links ?? []).some(same));
    ok(`links: advertised ${hex(bytes)}, get.links showed ${show(shown)}, remlinks removed it`);
  }

  // 6: live update to echo_r1.
  step = 6;
  {
    const mark = events.length;
    const ack = await requestJson(cmd("upd"), { host_id: HOST_A, actor_id: ECHO_REV, new_actor_ref: cfg.ECHO_R1_REF }, "cmd.upd");
    checkAck(ack, { accepted: true }, "UpdateActorAck");
    if (ack.accepted !== true) fail(`upd not accepted: ${show(ack)}`);
    const revs = (b) => b.actor === ECHO_REV && b.old_revision === 0 && b.new_revision === 1;
    const began = await waitEvent("ActorUpdateBegan 0->1", mark, fromA("ActorUpdateBegan", revs));
    const completed = await waitEvent("ActorUpdateCompleted 0->1", mark, fromA("ActorUpdateCompleted", revs));
    check(began.index < completed.index, "ActorUpdateCompleted came before ActorUpdateBegan");
    await waitClaims("claims of echo_r1", (c) => c.sub === ECHO_REV && c.wascap?.rev === 1);
    const body = echoBody(await callActor(ECHO_REV, "HandleRequest", HTTP_GET));
    if (body.revision !== 1) fail(`after the update HandleRequest answered ${show(body)}`);
    const inv = await inventory(HOST_A);
    const a = (inv.actors ?? []).find((x) => x.id === ECHO_REV);
    checkAck(a, { id: ECHO_REV, image_ref: cfg.ECHO_R1_REF, name: "Echo Rev", revision: 1 }, "the inventory's ActorDescription after the update");
    // 0.18 swaps the instance inside the running actor: no ActorStopped / ActorStarted.
    const extra = events.slice(mark).filter((e) => e.origin === HOST_A && (e.variant === "ActorStarted" || e.variant === "ActorStopped"));
    check(extra.length === 0, `the live update also published ${extra.map((e) => e.raw).join(" ")} (0.18 publishes only ActorUpdateBegan/Completed)`);
    ok(`upd: ${show(ack)}, ${began.raw}, ${completed.raw}, claims advertised, HandleRequest -> revision ${body.revision}`);
  }

  // 7: get.claims.
  step = 7;
  {
    const list = await requestJson(`wasmbus.ctl.${NS}.get.claims`, null, "get.claims");
    checkKeys(list, ["claims"], "ClaimsList");
    const entries = list.claims ?? [];
    entries.forEach((c) => {
      checkKeys(c, ["values"], "Claims");
      const keys = Object.keys(c.values ?? {}).sort();
      check(show(keys) === show(["caps", "iss", "rev", "sub", "version"]), `Claims.values has keys ${show(keys)}: ${show(c)}`);
    });
    const echo = entries.find((c) => c.values?.sub === ECHO_REV);
    if (!echo) fail(`get.claims does not list ${ECHO_REV}: ${show(list)}`);
    const want = { sub: ECHO_REV, iss: ECHO_REV_ISSUER, caps: "wasmcloud:httpserver", rev: "1", version: "" };
    for (const k of Object.keys(want)) check(echo.values[k] === want[k], `claims ${k} is ${show(echo.values[k])}, not ${show(want[k])}`);
    ok(`get.claims: ${show(echo)}`);
  }

  // 8: a provider archive by OCI reference, started and stopped.
  step = 8;
  let heartbeatWithBoth = null;
  {
    const mark = events.length;
    const ack = await requestJson(cmd("lp"), { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF, link_name: "default" }, "cmd.lp");
    checkAck(ack, { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF, failure: null }, "StartProviderAck");
    if (ack.failure) fail(`lp refused: ${ack.failure}`);
    const started = await waitEvent("ProviderStarted", mark, fromA("ProviderStarted", (b) => b.provider_id === cfg.PROVIDER_KEY));
    checkAck(started.body, { contract_id: "wasmcloud:keyvalue", link_name: "default", provider_id: cfg.PROVIDER_KEY,
                             image_ref: cfg.PROVIDER_REF }, "ProviderStarted");
    const inv = await inventory(HOST_A);
    const p = (inv.providers ?? []).find((x) => x.id === cfg.PROVIDER_KEY);
    if (!p) fail(`get.${HOST_A}.inv does not list the provider: ${show(inv)}`);
    check(p.link_name === "default" && p.image_ref === cfg.PROVIDER_REF, `the inventory's ProviderDescription: ${show(p)}`);
    const builtins = { VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP: "wasmcloud:extras" };
    for (const [pk, what] of Object.entries(builtins)) {
      if (!(inv.providers ?? []).some((x) => x.id === pk)) note(`the inventory does not list the built-in ${what} provider ${pk} (0.18 does)`);
    }
    const again = await requestJson(cmd("lp"), { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF, link_name: "default" }, "a second cmd.lp");
    checkAck(again, { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF,
                      failure: `Provider with image ref '${cfg.PROVIDER_REF}' is already running on this host.` }, "the second StartProviderAck");
    // For step 10: a heartbeat of host A while the actor and the provider run here.
    try {
      heartbeatWithBoth = await waitEvent("Heartbeat with the actor and the provider", started.index,
                                          fromA("Heartbeat", (b) => b.entities?.[ECHO_REV] !== undefined && b.entities?.[cfg.PROVIDER_KEY] !== undefined), 5000);
    } catch (e) {
      heartbeatWithBoth = e;
    }
    const stopMark = events.length;
    const stop = await requestJson(cmd("sp"), { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF, link_name: "default",
                                                contract_id: "wasmcloud:keyvalue" }, "cmd.sp");
    checkAck(stop, { failure: null }, "StopProviderAck");
    const stopped = await waitEvent("ProviderStopped", stopMark, fromA("ProviderStopped", (b) => b.provider_id === cfg.PROVIDER_KEY));
    checkAck(stopped.body, { contract_id: "wasmcloud:keyvalue", link_name: "default", provider_id: cfg.PROVIDER_KEY }, "ProviderStopped");
    const stop2 = await requestJson(cmd("sp"), { host_id: HOST_A, provider_ref: cfg.PROVIDER_REF, link_name: "default",
                                                 contract_id: "wasmcloud:keyvalue" }, "a second cmd.sp");
    checkAck(stop2, { failure: `Provider ${cfg.PROVIDER_REF}/default is not running on this host` }, "the second StopProviderAck");
    ok(`lp: ${show(ack)}, ${started.raw}; sp: ${show(stop)}, ${stopped.raw}; again: ${show(stop2.failure)}`);
  }

  // 9: stop the actor.
  step = 9;
  {
    const mark = events.length;
    const stop = await requestJson(cmd("sa"), { host_id: HOST_A, actor_ref: ECHO_REV }, "cmd.sa");
    checkAck(stop, { failure: null }, "StopActorAck");
    const stopped = await waitEvent("ActorStopped", mark, fromA("ActorStopped", (b) => b.actor === ECHO_REV));
    const inv = await inventory(HOST_A);
    check(!(inv.actors ?? []).some((x) => x.id === ECHO_REV), `the actor is still in the inventory after sa: ${show(inv)}`);
    const again = await requestJson(cmd("sa"), { host_id: HOST_A, actor_ref: ECHO_REV }, "a second cmd.sa");
    checkAck(again, { failure: "Actor is either not running on this host or host controller unresponsive" }, "the second StopActorAck");
    ok(`sa: ${show(stop)}, ${stopped.raw}; again: ${show(again.failure)}`);
  }

  // 10: heartbeats.
  step = 10;
  {
    if (heartbeatWithBoth instanceof Error) fail(heartbeatWithBoth.message);
    const hb = heartbeatWithBoth.body;
    check(hb.entities[ECHO_REV] === "Running", `the heartbeat says the actor is ${show(hb.entities[ECHO_REV])}`);
    check(hb.entities[cfg.PROVIDER_KEY] === "Running", `the heartbeat says the provider is ${show(hb.entities[cfg.PROVIDER_KEY])}`);
    const claims = hb.claims.find((c) => c.sub === ECHO_REV);
    if (!claims) fail(`the heartbeat's claims lack ${ECHO_REV}: ${heartbeatWithBoth.raw}`);
    check(claims.iss === ECHO_REV_ISSUER, `the heartbeat's claims of ${ECHO_REV} have iss ${show(claims.iss)}`);
    // 0.18: the claims are every claim in the (shared) lattice cache, whichever host beats.
    const b = await waitEvent("Heartbeat of host B listing the actor's claims", actorStartedAt,
                              (e) => e.variant === "Heartbeat" && e.origin === HOST_B && e.body.claims.some((c) => c.sub === ECHO_REV), 5000);
    ok(`heartbeats from both hosts; host A with the actor and the provider running: ${heartbeatWithBoth.raw.slice(0, 400)}...; host B: ${b.raw.slice(0, 200)}...`);
  }
}

// sha256 of the 1061-byte Invocation of spec §12 (its hex is in the spec).
const SPEC12_INVOCATION_SHA256 = "203b15e920f30194bc0dd70bf3dad8c9c0921d0d1e743465958fdae7471bc125";

let code = 0;
try {
  await main();
} catch (e) {
  if (!(e instanceof Fatal)) console.log(e.stack);
  console.log(`step ${step} FAILED: ${e.message}`);
  code = 1;
}
clearTimeout(watchdog);
if (code === 0 && mismatches.length > 0) {
  const lines = mismatches.map((m) => m.text + (m.count > 1 ? ` (seen ${m.count} times)` : ""));
  console.log(`FAILED: ${mismatches.length} mismatch(es) with 0.18:\n  ${lines.join("\n  ")}`);
  code = 1;
} else if (code === 0) {
  console.log("all steps passed");
}
await nc.close().catch(() => {});
process.exit(code);
