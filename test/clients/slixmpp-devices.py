# Devices on slixmpp (Debian's python3-slixmpp), for test/real-clients.test.mjs.
# Everything XMPP (headers, STARTTLS or Direct TLS, SASL mechanism choice,
# bind) is slixmpp's own; this only logs in, sends presence, and turns stdin
# lines into messages and received messages into stdout lines.
#   python3 slixmpp-devices.py CONFIG_JSON
#   CONFIG: {"ca": PATH, "devices": [{"id", "jid", "password", "host", "port", "mode": "starttls"|"directtls"}]}
# stdout: READY ID JID | RECV ID FROM BODY | BOUNCE ID TOKEN | FAIL ID WHY
# stdin:  SEND ID TO BODY | QUIT
import asyncio, json, logging, sys, threading
import slixmpp

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format='%(name)s %(levelname)s %(message)s')
config = json.loads(sys.argv[1])

def out(*words):
    print(' '.join(str(w) for w in words), flush=True)

class Device(slixmpp.ClientXMPP):
    def __init__(self, d):
        super().__init__(d['jid'], d['password'])
        self.d = d
        self.ready = False
        self.ca_certs = config['ca']
        self.add_event_handler('session_start', self.started)
        self.add_event_handler('message', self.message)
        self.add_event_handler('presence_available', self.presence)
        self.add_event_handler('failed_auth', lambda e: out('FAIL', d['id'], 'failed_auth'))
        self.add_event_handler('connection_failed', lambda e: out('FAIL', d['id'], 'connection_failed', e))

    def start(self):
        self.connect(address=(self.d['host'], self.d['port']), use_ssl=self.d['mode'] == 'directtls',
                     force_starttls=self.d['mode'] != 'directtls')

    async def started(self, event):
        self.send_presence()

    def presence(self, p):
        if not self.ready and p['from'] == self.boundjid:
            self.ready = True
            out('READY', self.d['id'], self.boundjid.full)

    def message(self, m):
        if m['type'] == 'error':
            out('BOUNCE', self.d['id'], m['id'] or '-')
        elif m['body']:
            out('RECV', self.d['id'], m['from'], m['body'])

devices = {d['id']: Device(d) for d in config['devices']}
loop = asyncio.get_event_loop()

def command(line):
    words = line.strip().split(' ', 3)
    if words[0] == 'SEND' and len(words) == 4 and words[1] in devices:
        devices[words[1]].send_message(mto=words[2], mbody=words[3], mtype='chat')
    elif words[0] == 'QUIT':
        for x in devices.values():
            x.disconnect()
        loop.call_later(1.5, loop.stop)

def read_stdin():
    for line in sys.stdin:
        loop.call_soon_threadsafe(command, line)
    loop.call_soon_threadsafe(command, 'QUIT')

for x in devices.values():
    x.start()
threading.Thread(target=read_stdin, daemon=True).start()
loop.run_forever()
