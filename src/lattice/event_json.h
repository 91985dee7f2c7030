// Lattice events in their two wire forms (lattice.md, "Events"; spec §7.6):
//  - the 0.18 PublishedEvent on wasmbus.ctl.{ns}.events:
//    {"event": <externally tagged ControlEvent>, "header": {"host_origin", "timestamp"}}
//    (timestamp in Unix seconds); events 0.18 had no variant for (links, labels) have no
//    0.18 form;
//  - a CloudEvents 1.0 JSON event on wasmbus.evt.{ns}.{type}: specversion, id, source
//    (the host key), type "com.wasmcloud.lattice.{type}", time (RFC 3339, UTC,
//    milliseconds), datacontenttype "application/json", data.
// Pure functions; the host's EventPublisher sends what they return.
#pragma once

#include <optional>
#include <string>

#include "lattice/events.h"

namespace wasmcloud::lattice {

// The 0.18 PublishedEvent JSON of `event`; nullopt when 0.18 had no such event. Event
// data members the 0.18 variant needs but the event lacks are written as 0.18 would
// (null image_ref, revision 0).
std::optional<std::string> ToPublishedEvent(const LatticeEvent& event);

// The CloudEvents 1.0 JSON of `event`, with `id` as its id.
std::string ToCloudEvent(const LatticeEvent& event, const std::string& id);

// "2026-12-04T23:56:42.123Z" for Unix milliseconds.
std::string Rfc3339Millis(int64_t unix_millis);

}  // namespace wasmcloud::lattice
