# Devices on aioxmpp (Debian's python3-aioxmpp), for test/real-clients.test.mjs.
# Everything XMPP (headers, STARTTLS or Direct TLS, SASL mechanism choice,
# bind) is aioxmpp's own; this only logs in (PresenceManagedClient sends the
# initial presence), and turns stdin lines into messages and received
# messages into stdout lines. Same line protocol as slixmpp-devices.py.
import asyncio, json, logging, sys, threading
import aioxmpp, aioxmpp.connector, aioxmpp.dispatcher, aioxmpp.security_layer

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format='%(name)s %(levelname)s %(message)s')
config = json.loads(sys.argv[1])

def out(*words):
    print(' '.join(str(w) for w in words), flush=True)

def ssl_context():
    ctx = aioxmpp.security_layer.default_ssl_context()
    ctx.load_verify_locations(config['ca'])
    return ctx

async def device(d, stop):
    connector = aioxmpp.connector.XMPPOverTLSConnector() if d['mode'] == 'directtls' else aioxmpp.connector.STARTTLSConnector()
    client = aioxmpp.PresenceManagedClient(
        aioxmpp.JID.fromstr(d['jid']),
        aioxmpp.make_security_layer(d['password'], ssl_context_factory=ssl_context),
        override_peer=[(d['host'], d['port'], connector)],
        logger=logging.getLogger('aioxmpp.' + d['id']),
    )
    client.backoff_cap = 1
    ready = asyncio.Event()
    messages = client.summon(aioxmpp.dispatcher.SimpleMessageDispatcher)
    presences = client.summon(aioxmpp.dispatcher.SimplePresenceDispatcher)

    def on_message(m):
        if m.type_ == aioxmpp.MessageType.ERROR:
            out('BOUNCE', d['id'], m.id_ or '-')
        elif m.body:
            out('RECV', d['id'], m.from_, m.body.any())

    def on_presence(p):
        if not ready.is_set() and p.from_ == client.local_jid:
            ready.set()
            out('READY', d['id'], client.local_jid)

    messages.register_callback(aioxmpp.MessageType.CHAT, None, on_message)
    messages.register_callback(aioxmpp.MessageType.ERROR, None, on_message)
    presences.register_callback(aioxmpp.PresenceType.AVAILABLE, None, on_presence)
    client.on_failure.connect(lambda e: out('FAIL', d['id'], repr(e)))
    client.presence = aioxmpp.PresenceState(True)
    sends = []

    async def send(to, body):
        m = aioxmpp.Message(to=aioxmpp.JID.fromstr(to), type_=aioxmpp.MessageType.CHAT, id_=body)
        m.body[None] = body
        await client.send(m)

    d['send'] = lambda to, body: sends.append(asyncio.ensure_future(send(to, body)))
    await stop.wait()
    if sends:
        await asyncio.gather(*sends, return_exceptions=True)
    client.presence = aioxmpp.PresenceState(False)
    await asyncio.sleep(0.5)

async def main():
    loop = asyncio.get_event_loop()
    stop = asyncio.Event()
    devices = {d['id']: d for d in config['devices']}

    def command(line):
        words = line.strip().split(' ', 3)
        if words[0] == 'SEND' and len(words) == 4 and 'send' in devices.get(words[1], {}):
            devices[words[1]]['send'](words[2], words[3])
        elif words[0] == 'QUIT':
            stop.set()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(command, line)
        loop.call_soon_threadsafe(command, 'QUIT')

    threading.Thread(target=read_stdin, daemon=True).start()
    await asyncio.gather(*(device(d, stop) for d in config['devices']))

asyncio.get_event_loop().run_until_complete(main())
