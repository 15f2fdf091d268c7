// What routing buys, measured against the usual alternatives: the example
// configs with only their balancing line changed. These variants are made
// here, for the tests and the demo, and are not configs to copy: without
// jidroute, nginx and HAProxy can only balance by connection or by address.
const replaceAll = (from, to) => (text) => {
  if (!text.includes(from)) throw new Error(`config has no "${from}" to replace`);
  return text.split(from).join(to);
};

export const BALANCING = {
  nginx: {
    jidroute: (s) => s,
    // nginx balances round robin when an upstream names no method.
    'round robin': replaceAll('hash $xmpp_key consistent;', '# round robin (no hash)'),
    'source hash': replaceAll('hash $xmpp_key consistent;', 'hash $remote_addr consistent;'),
  },
  haproxy: {
    jidroute: (s) => s,
    'round robin': replaceAll('balance hash var(sess.xmpp_key)', 'balance roundrobin'),
    'source hash': replaceAll('balance hash var(sess.xmpp_key)', 'balance source'),
  },
};
