-- Test module (loaded only by the real-client test): logs, per session, the
-- SASL mechanisms Prosody offered, the one the client chose and how it
-- ended, at level info. Prosody itself logs the mechanism nowhere, and the
-- test must compare it with the one the same client uses without a proxy.
-- Read-only: it hooks with the lowest priority and changes nothing.
local xmlns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

module:hook("stream-features", function(event)
	local mechanisms = event.features:get_child("mechanisms", xmlns_sasl);
	if not mechanisms then return; end
	local names = {};
	for m in mechanisms:childtags("mechanism") do names[#names + 1] = m:get_text(); end
	event.origin.log("info", "jidroute-sasl offered %s", table.concat(names, " "));
end, -1000);

module:hook("authentication-success", function(event)
	local session = event.session;
	local handler = session.sasl_handler;
	session.log("info", "jidroute-sasl success %s %s@%s", handler and handler.selected or "?",
		handler and handler.username or "?", session.host or "?");
end, 1000);

module:hook("authentication-failure", function(event)
	local session = event.session;
	local handler = session.sasl_handler;
	session.log("info", "jidroute-sasl failure %s %s: %s", handler and handler.selected or "?",
		tostring(event.condition), tostring(event.text));
end, 1000);

-- The full JID a session bound: where each device landed, from the
-- server's own log.
module:hook("resource-bind", function(event)
	event.session.log("info", "jidroute-sasl bound %s", tostring(event.session.full_jid));
end, -1000);
