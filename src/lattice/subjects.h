// Every NATS subject and bucket name of the lattice protocol, in one place (lattice.md,
// "Subjects"; spec §7.1). `ns` is the lattice name (--nsprefix, default "default").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lattice/entity.h"

namespace wasmcloud::lattice {

inline constexpr std::string_view kDefaultLattice = "default";

// A lattice name is non-empty, at most 128 bytes of letters, digits, '_' and '-' (it is a
// subject token and part of the JetStream bucket name LATTICEDATA_{ns}), and is not "v1"
// (it would collide with the v1 control subjects). kInvalidArgument saying which rule it
// breaks.
Status ValidateLatticeName(std::string_view ns);

// wasmbus.rpc.{ns}.{actor pk}, or wasmbus.rpc.{ns}.{provider pk}.{link name} (the link
// name as is, not lowercased). Also the queue group of its subscribers.
std::string RpcSubject(std::string_view ns, const Entity& target);
// Ok when `token` can be one token of a subject: non-empty, no '.', '*', '>', whitespace
// or control character. (A provider whose link name is not one cannot be reached over
// the lattice; the host says so when it starts.)
Status ValidateSubjectToken(std::string_view token);
// A subject as Transport (transport.h) accepts it: non-empty tokens without whitespace
// or control characters; '*' (a whole token) and '>' (the whole last token) only when
// `wildcards`; a '*' or '>' inside a token is refused too (NATS would take it literally,
// which is never what a lattice subject means). kInvalidArgument naming the rule. When
// `tokens` is given it receives the tokens (views into `subject`). Both transports use it.
Status ValidateSubject(std::string_view subject, bool wildcards,
                       std::vector<std::string_view>* tokens = nullptr);
// A queue group: any text without whitespace or control characters (empty: none).
Status ValidateQueueGroup(std::string_view queue_group);
// Whether a host may answer a request on `reply`: not a subject of the lattice protocol
// ("wasmbus.…") nor one of the server's own ("$JS.…", "$KV.…", "$SYS.…": any that starts
// with '$'). An answer there would be a command, an invocation or a key-value write
// whose subject the requester chose and whose sender is the host (a "reflection": an
// auction's bid sent to another host's stop command, an error response written over a
// key of the lattice data). Clients' inboxes ("_INBOX.…") are fine. kPermissionDenied
// naming the subject otherwise.
Status ValidateReplySubject(std::string_view reply);

// wasmbus.rpc.{ns}.links / .remlinks / .claims (0.18 publish-only subjects).
std::string LinksSubject(std::string_view ns);
std::string RemoveLinksSubject(std::string_view ns);
std::string ClaimsSubject(std::string_view ns);
// wasmbus.ctl.{ns}.events (0.18 PublishedEvent JSON) and wasmbus.evt.{ns}.{type}
// (CloudEvents).
std::string LegacyEventsSubject(std::string_view ns);
std::string EventSubject(std::string_view ns, std::string_view type);
// The 0.18 control interface (spec §7.5): wasmbus.ctl.{ns}.{suffix}, e.g. "get.hosts",
// "cmd.{host}.la". ControlQueueGroup is the queue group of get.links and get.claims (one
// host answers), "wasmbus.ctl.{ns}".
std::string ControlSubject(std::string_view ns, std::string_view suffix);
std::string ControlQueueGroup(std::string_view ns);

// The lattice data bucket: LATTICEDATA_{ns}.
std::string LatticeBucketName(std::string_view ns);

}  // namespace wasmcloud::lattice
