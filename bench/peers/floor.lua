-- The floor for HAProxy: a Lua action that only sets sess.xmpp_key (to the
-- client address) and reads nothing. Registered under jidroute's name so that
-- the example configuration runs it unchanged.
core.register_action('jidroute', { 'tcp-req' }, function(txn)
  txn:set_var('sess.xmpp_key', txn.f:src())
end, 0)
