-- Test-only Prosody module (loaded by test/lib/prosody.mjs when a server
-- speaks s2s): answers DNS lookups from the config instead of the network.
--
--   static_srv = { ["capulet.example"] = 5269 }
--
-- makes _xmpp-server._tcp.capulet.example an SRV record for 127.0.0.1:5269
-- (RFC 6120 §3.2.1, https://xmpp.org/rfcs/rfc6120.html#tcp-resolution-prefer)
-- and every other lookup an empty answer. The tests need it because their
-- domains exist nowhere, and because nothing they start may send a packet
-- beyond the loopback interface: with this module no DNS query leaves.
-- It replaces the resolver factory of net.adns, which net.resolvers.service
-- and net.resolvers.basic call at each lookup (Prosody 0.12).
local adns = require "net.adns";
local timer = require "util.timer";

local records = module:get_option("static_srv", {});

local resolver = {};
local resolver_mt = { __index = resolver };

function resolver:lookup(handler, qname, qtype)
	local answer = {};
	local domain = qtype == "SRV" and qname:match("^_xmpp%-server%._tcp%.(.+)$");
	local port = domain and records[domain];
	if port then
		answer[1] = { srv = { target = "127.0.0.1", port = port, priority = 0, weight = 0 } };
	end
	module:log("debug", "static answer for %s %s: %d record(s)", qname, qtype, #answer);
	-- Answer later, as a real lookup would.
	timer.add_task(0, function () handler(answer); end);
end

adns.resolver = function ()
	return setmetatable({}, resolver_mt);
end

module:log("info", "DNS answers come from static_srv (%d domain(s)); no query leaves this process", (function ()
	local n = 0; for _ in pairs(records) do n = n + 1; end; return n;
end)());
