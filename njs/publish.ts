// The route into nginx's variables, for njs/slow.ts (njs/jidroute.ts writes
// the recogniser's ASCII route out itself).
/// <reference types="njs-types/ngx_stream_js_module" />
import { Route } from '../core/key';

/** Sets $xmpp_key (it throws when the config does not declare it: the caller
 * logs that) and the optional variables; a config that does not declare one
 * of these (js_var) still routes. `key`, `from`, `to`: the route's values as
 * text (nginx writes a variable's text as UTF-8). */
export function publishRoute(vars: Record<string, string | undefined>, key: string, route: Route, from: string,
  to: string): void {
  vars.xmpp_key = key;
  // One try for the four (the example configs declare all of them).
  try {
    vars.xmpp_route_by = route.routeBy;
    vars.xmpp_from = from;
    vars.xmpp_to = to;
    vars.xmpp_stream = route.stream;
  } catch (e) {
    setOptional(vars, 'xmpp_route_by', route.routeBy);
    setOptional(vars, 'xmpp_from', from);
    setOptional(vars, 'xmpp_to', to);
    setOptional(vars, 'xmpp_stream', route.stream);
  }
}

function setOptional(vars: Record<string, string | undefined>, name: string, value: string): void {
  try {
    vars[name] = value;
  } catch (e) {
    // not declared: nothing to publish
  }
}
