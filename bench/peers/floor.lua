-- The floor for HAProxy: a Lua action that only sets sess.xmpp_key (to the
-- client address) and reads nothing. Registered under jidroute's name so that
-- the example configuration runs it unchanged.
local function action(txn)
  txn:set_var('sess.xmpp_key', txn.f:src())
end
-- Both of jidroute's names (bare, domain): the example configs use both.
core.register_action('jidroute', { 'tcp-req' }, action, 0)
core.register_action('jidroute_domain', { 'tcp-req' }, action, 0)
