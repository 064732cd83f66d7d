# jit: just-in-time mesh access, decided by OPA at every request.
#
# The same module for every repository: the grants are data
# (data.jit.grants, compiled by jitc from the policy documents). Input is
# Envoy's CheckRequest as the OPA-Envoy plugin gives it. A request is allowed
# when a binding of its caller is in force at the request's instant (its
# bounds, and its windows on the wall clock of their own zones) and the
# binding's role grants the request's service, method and path.
package jit.authz

default allow := false

default decision := {"allowed": false}

allow if count(matched) > 0

# The first allowing binding by name is named to the upstream.
decision := {"allowed": true, "headers": {"x-jit-binding": sort(matched)[0]}} if count(matched) > 0

grants := data.jit.grants

request := input.attributes.request

# Envoy reports the peer's URI SAN (spiffe://...), Istio the principal
# without the scheme; callers are keyed without it.
caller := trim_prefix(input.attributes.source.principal, "spiffe://")

# The first DNS label of the host, without the port.
service := lower(split(split(request.http.host, ":")[0], ".")[0])

# The path without its query string.
path := split(request.http.path, "?")[0]

# The request's instant: the proxy's receive time, as an RFC 3339 string
# or as {"seconds", "nanos"}; without one, OPA's clock.
request_ns := time.now_ns() if not request.time

request_ns := time.parse_rfc3339_ns(request.time) if is_string(request.time)

request_ns := ns if {
	is_object(request.time)
	seconds := to_number(object.get(request.time, "seconds", 0))
	nanos := to_number(object.get(request.time, "nanos", 0))
	ns := (seconds * 1000000000) + nanos
}

# Cheap checks first: the caller's bindings by index, the bounds, the
# request against the grants, then the network and the windows.
matched contains name if {
	some name in object.get(grants.callers, caller, [])
	b := grants.bindings[name]
	b.not_before_ns <= request_ns
	request_ns < b.expires_at_ns
	granted(b.http)
	from_allowed_source(b.source_cidrs)
	in_windows(b.windows)
}

granted(rules) if {
	some rule in rules
	rule.service == service
	request.http.method in rule.methods
	path_allowed(rule)
}

in_windows(windows) if count(windows) == 0

in_windows(windows) if {
	some w in windows
	in_window(w)
}

# Same-day window: its days, start <= minute < end.
in_window(w) if {
	w.start < w.end
	local_day(w) in w.days
	minute := local_minute(w)
	w.start <= minute
	minute < w.end
}

# Overnight window, evening part: a day it starts on, from start.
in_window(w) if {
	w.end < w.start
	local_day(w) in w.days
	w.start <= local_minute(w)
}

# Overnight window, morning part: the next day, until end.
in_window(w) if {
	w.end < w.start
	local_day(w) in w.next_days
	local_minute(w) < w.end
}

local_day(w) := time.weekday([request_ns, w.zone])

local_minute(w) := (clock[0] * 60) + clock[1] if {
	clock := time.clock([request_ns, w.zone])
}

from_allowed_source(cidrs) if count(cidrs) == 0

from_allowed_source(cidrs) if {
	some cidr in cidrs
	net.cidr_contains(cidr, input.attributes.source.address.socketAddress.address)
}

path_allowed(rule) if path in rule.paths

path_allowed(rule) if {
	some prefix in rule.prefixes
	startswith(path, prefix)
}
