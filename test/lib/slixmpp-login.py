#!/usr/bin/python3
# One login with slixmpp (Debian's python3-slixmpp, as it is), a client that
# uses SCRAM-*-PLUS (channel binding, RFC 5802 §6) whenever the server offers
# it and Python can bind the TLS session (tls-unique: TLS 1.2 only).
# Prints one JSON line: { ok, mechanism, attempts: [[mech, condition]],
# offered: [...], tls, version, error }.
#
#   slixmpp-login.py HOST PORT JID PASSWORD CA_FILE direct|starttls MAX_TLS(1.2|1.3)
#
# Nothing of slixmpp is changed: two methods of its SASL feature are wrapped
# (before the client exists) to see what the server offered and what won.
import asyncio
import inspect
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp import ClientXMPP
from slixmpp.features.feature_mechanisms import FeatureMechanisms

logging.basicConfig(level=logging.CRITICAL)
host, port, jid, password, ca, mode, max_tls = sys.argv[1:8]
result = {'ok': False, 'mechanism': None, 'attempts': [], 'offered': [], 'tls': None,
          'version': slixmpp.__version__, 'error': None}

original_auth = FeatureMechanisms._handle_sasl_auth
original_fail = FeatureMechanisms._handle_fail


def handle_sasl_auth(self, features):
    result['offered'] = sorted(features['mechanisms'])
    return original_auth(self, features)


def handle_fail(self, stanza):
    result['attempts'].append([self.mech.name, stanza['condition']])
    return original_fail(self, stanza)


FeatureMechanisms._handle_sasl_auth = handle_sasl_auth
FeatureMechanisms._handle_fail = handle_fail

xmpp = ClientXMPP(jid, password)
xmpp.ssl_context.load_verify_locations(ca)
if max_tls == '1.2':
    xmpp.ssl_context.maximum_version = ssl.TLSVersion.TLSv1_2
done = asyncio.get_event_loop().create_future()


def finish(ok, error=None):
    if done.done():
        return
    result['ok'] = ok
    result['error'] = error
    done.set_result(True)


def on_auth_success(_):
    mech = xmpp['feature_mechanisms'].mech
    result['mechanism'] = mech.name
    sock = xmpp.socket
    result['tls'] = sock.version() if hasattr(sock, 'version') else None


xmpp.add_event_handler('auth_success', on_auth_success)
xmpp.add_event_handler('session_start', lambda _: finish(True))
xmpp.add_event_handler('failed_all_auth', lambda _: finish(False, 'every mechanism failed'))
xmpp.add_event_handler('connection_failed', lambda e: finish(False, 'connection failed: %s' % e))
xmpp.add_event_handler('disconnected', lambda _: finish(result['mechanism'] is not None and False, 'disconnected'))

direct = mode == 'direct'
if 'address' in inspect.signature(xmpp.connect).parameters:  # slixmpp 1.8
    xmpp.connect((host, int(port)), use_ssl=direct, force_starttls=not direct)
else:  # slixmpp 1.9+: Direct TLS is a property
    xmpp.enable_direct_tls = direct
    xmpp.enable_starttls = not direct
    xmpp.connect(host, int(port))


async def main():
    try:
        await asyncio.wait_for(done, 30)
    except asyncio.TimeoutError:
        finish(False, 'timeout')
    xmpp.disconnect()
    await asyncio.sleep(0.2)

asyncio.get_event_loop().run_until_complete(main())
print(json.dumps(result))
