// The shared vectors (test/vectors/*.md: the format is in test/vectors/README.md)
// as byte strings, for every test that holds a build to them.
import { readFileSync, readdirSync } from 'node:fs';

export const ADDRESS_PLACEHOLDER = '$addr';

const DIR = new URL('../test/vectors/', import.meta.url);

/** The files of each set, under test/vectors/. */
const SETS = {
  development: () => readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md' && f !== 'tls-hello.md' && f !== 'client-shapes.md').sort(),
  heldout: () => readdirSync(new URL('heldout/', DIR)).filter((f) => f.endsWith('.md')).sort().map((f) => `heldout/${f}`),
  'tls-hellos': () => ['tls-hello.md'],
  'client-shapes': () => ['client-shapes.md'],
};

/** `set`: 'development', 'heldout', 'tls-hellos' or 'client-shapes'. Each vector:
 * { name, ref, policy, expect, bytes (a Buffer), file, ...other list items }. */
export function loadVectors(set = 'development') {
  const files = SETS[set];
  if (!files) throw new Error(`no vector set ${set}`);
  return files().flatMap((file) => parseFixture(readFileSync(new URL(file, DIR), 'utf8'), file));
}

/** The cases of one Markdown fixture. */
export function parseFixture(text, file) {
  const cases = [];
  const lines = text.split('\n');
  let current = null;
  const fail = (n, why) => { throw new Error(`test/vectors/${file}:${n + 1}: ${why}`); };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (line.startsWith('## ')) {
      current = { name: line.slice(3), file };
      cases.push(current);
    } else if (current && /^- [a-z ]+: /.test(line)) {
      const [, k, value] = /^- ([a-z ]+): (.*)$/.exec(line);
      const key = k.replace(/ ([a-z])/g, (_, c) => c.toUpperCase());
      current[key] = key === 'decidedAt' ? Number(value) : value;
    } else if (current && /^```(input|hex|route)$/.test(line)) {
      const kind = line.slice(3);
      const body = [];
      for (n++; n < lines.length && lines[n] !== '```'; n++) body.push(lines[n]);
      if (n === lines.length) fail(n, 'unclosed block');
      if (kind === 'hex') current.bytes = Buffer.from(body.join('').replace(/\s+/g, ''), 'hex');
      else if (kind === 'input') {
        if (body.length !== 1) fail(n, 'an input block is one line');
        current.bytes = unescape(body[0], (why) => fail(n, why));
      } else {
        current.expect = {};
        for (const entry of body) {
          const m = /^([a-zA-Z]+):(?: (.*))?$/.exec(entry);
          if (!m) fail(n, `not a route line: ${entry}`);
          current.expect[m[1]] = unescape(m[2] ?? '', (why) => fail(n, why)).toString('utf8');
        }
      }
    }
  }
  for (const c of cases) {
    if (!c.bytes || !c.expect || !c.policy || !c.ref) throw new Error(`test/vectors/${file}: case "${c.name}" lacks its input, route, policy or ref`);
  }
  return cases;
}

/** The bytes an escaped line stands for (escapes: test/vectors/README.md). */
function unescape(text, fail) {
  const out = [];
  const chars = [...text];
  let i = 0;
  function readUntil(close) {
    while (i < chars.length) {
      const c = chars[i];
      if (c === close) { i++; return; }
      if (c !== '\\') { out.push(Buffer.from(c, 'utf8')); i++; continue; }
      const e = chars[i + 1];
      if (e === 'n' || e === 'r' || e === 't' || e === '\\') {
        out.push(Buffer.from(e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : '\\'));
        i += 2;
      } else if (e === 'x') {
        const hex = chars.slice(i + 2, i + 4).join('');
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail(`bad \\x escape at ${i}`);
        out.push(Buffer.from([parseInt(hex, 16)]));
        i += 4;
      } else if (e === 'u') {
        const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(chars.slice(i + 2, i + 10).join(''));
        if (!m) fail(`bad \\u escape at ${i}`);
        out.push(Buffer.from(String.fromCodePoint(parseInt(m[1], 16)), 'utf8'));
        i += 2 + m[0].length;
      } else if (e === '*') {
        const m = /^(\d+)\{/.exec(chars.slice(i + 2, i + 12).join(''));
        if (!m) fail(`bad \\* repetition at ${i}`);
        i += 2 + m[0].length;
        const start = out.length;
        readUntil('}');
        const unit = Buffer.concat(out.splice(start));
        out.push(Buffer.alloc(unit.length * Number(m[1]), unit));
      } else fail(`unknown escape \\${e} at ${i}`);
    }
    if (close) fail(`unclosed \\* repetition`);
  }
  readUntil(null);
  return Buffer.concat(out);
}

/** A byte string (one code unit a byte), the form core/ reads. */
export function byteString(buffer) {
  let out = '';
  for (let i = 0; i < buffer.length; i += 4096) out += String.fromCharCode(...buffer.subarray(i, i + 4096));
  return out;
}

/** The expectation with the client address filled in, as byte strings. */
export function expected(v, address) {
  const e = v.expect;
  const bytes = (s) => byteString(Buffer.from(s, 'utf8'));
  return {
    key: e.key === ADDRESS_PLACEHOLDER ? address : bytes(e.key),
    routeBy: e.routeBy,
    from: bytes(e.from),
    to: bytes(e.to),
  };
}
