// Cross-check of our nkeys against the npm package @nats-io/nkeys (an independent
// implementation). Run by nkeys_cross_test.cc:
//   node nkeys_cross_check.js NODE_MODULES_DIR < request.json > answer.json
// request: {"message_hex": "...",
//           "verify": [{"public_key", "sig_hex"}...],   // made by our code
//           "generate": ["account", "module", ...]}      // keys for them to make
// answer:  {"verify": [{"public_key", "api", "valid"}...],
//           "generated": [{"type", "api", "seed", "public_key", "sig_hex"}...]}
// "api" says which part of the package did the work: "public" is its documented API;
// "codec+nacl" is its own base32/CRC codec and its ed25519 (tweetnacl), used for the
// module (M) and service (V) types that its public API does not know.
"use strict";
const path = require("path");
const modules = process.argv[2];
const nkeys = require(path.join(modules, "@nats-io/nkeys"));
const { Codec } = require(path.join(modules, "@nats-io/nkeys/lib/codec"));
const nacl = require(path.join(modules, "@nats-io/nkeys/lib/nacl")).default;

const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
const message = Buffer.from(request.message_hex, "hex");
const enc = new TextEncoder();

// Prefix bytes of wasmCloud's Rust nkeys for the types the JS package lacks.
const EXTRA_PREFIXES = { module: 12 << 3, service: 21 << 3 };
const CREATE = {
  account: nkeys.createAccount, cluster: nkeys.createCluster, operator: nkeys.createOperator,
  server: nkeys.createServer, user: nkeys.createUser,
};

function verify(item) {
  const sig = Buffer.from(item.sig_hex, "hex");
  try {
    const kp = nkeys.fromPublic(item.public_key);
    return { public_key: item.public_key, api: "public", valid: kp.verify(message, sig) };
  } catch (e) {
    // The public API refuses M and V keys; decode with the package's codec instead,
    // which still checks base32 and the CRC, and check the prefix byte ourselves.
    const raw = Codec._decode(enc.encode(item.public_key));
    const prefix = raw[0];
    const known = Object.values(EXTRA_PREFIXES).includes(prefix);
    const valid = known && raw.length === 33 &&
      nacl.sign.detached.verify(message, sig, raw.slice(1));
    return { public_key: item.public_key, api: "codec+nacl", public_api_error: e.message, valid };
  }
}

function generate(type) {
  if (CREATE[type]) {
    const kp = CREATE[type]();
    return {
      type, api: "public",
      seed: new TextDecoder().decode(kp.getSeed()),
      public_key: kp.getPublicKey(),
      sig_hex: Buffer.from(kp.sign(message)).toString("hex"),
    };
  }
  const prefix = EXTRA_PREFIXES[type];
  const rawSeed = nacl.randomBytes(32);
  const pair = nacl.sign.keyPair.fromSeed(rawSeed);
  return {
    type, api: "codec+nacl",
    seed: new TextDecoder().decode(Codec._encode(true, prefix, rawSeed)),
    public_key: new TextDecoder().decode(Codec._encode(false, prefix, pair.publicKey)),
    sig_hex: Buffer.from(nacl.sign.detached(message, pair.secretKey)).toString("hex"),
  };
}

process.stdout.write(JSON.stringify({
  verify: (request.verify || []).map(verify),
  generated: (request.generate || []).map(generate),
}));
