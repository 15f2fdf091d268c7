-- A diagnostic step between the floor and jidroute: take the client's bytes
-- (waiting for the first one, as any action that reads the header must),
-- then do what the floor does. What jidroute costs above this is the reading.
local function action(txn)
  local data = txn.req:data(0)
  if type(data) ~= 'string' or #data == 0 then txn.req:data(0, 1) end
  txn:set_var('sess.xmpp_key', txn.f:src())
end
-- Both of jidroute's names (bare, domain): the example configs use both.
core.register_action('jidroute', { 'tcp-req' }, action, 0)
core.register_action('jidroute_domain', { 'tcp-req' }, action, 0)
