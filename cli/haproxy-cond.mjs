// HAProxy's conditional blocks (.if/.elif/.else/.endif), evaluated as the
// HAProxy version jidroute assumes would evaluate them. Grammar and
// predicates as in HAProxy's configuration manual, section 2.4 "Conditional
// blocks" (2.6 and 3.4 alike for what is here): an empty condition is false;
// 0 is false, another integer true; `!` negates; `&&` binds tighter than
// `||`; parentheses group; predicates version_atleast, version_before,
// streq, strneq, strstr (3.x manual). What depends on the proxy's
// environment or build (defined, enabled, openssl_*, ssllib_*, awslc_*,
// a "$VAR" in a string) is not known offline: an error, never a guess.
// feature() is answered from `haproxy -vv` when the version assumed is the
// one installed here.
import { spawnSync } from 'node:child_process';
import { InputError } from './errors.mjs';

/** "3.2.26", "2.4-dev19" -> { parts: [3, 2, 26], pre: 0 | -2 (dev) | -1 (rc) }. */
function parseVersion(text) {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(dev|rc)(\d*))?/.exec(text);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3]].filter((x) => x !== undefined).map(Number);
  return { parts, pre: m[4] === 'dev' ? -2 : m[4] === 'rc' ? -1 : 0, preN: Number(m[5] || 0) };
}

/**
 * -1, 0, 1 comparing the assumed version (a release, maybe without its
 * patch number: "3.2" is any 3.2.x) with `want`; undefined when the answer
 * depends on what the assumed version leaves out.
 */
export function compareVersions(assumed, want) {
  const a = parseVersion(assumed);
  const w = parseVersion(want);
  for (let i = 0; i < 3; i++) {
    if (i >= a.parts.length) {
      // The assumed version stops here: any x.y.N release. Equal when the
      // rest of `want` is zeros (a release is newer than its -dev/-rc).
      const rest = w.parts.slice(i);
      if (rest.every((x) => x === 0)) return w.pre < 0 ? 1 : 0;
      return undefined;
    }
    const x = a.parts[i];
    const y = w.parts[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return w.pre < 0 ? 1 : 0;
}

let features;
function hostFeatures() {
  if (features === undefined) {
    const r = spawnSync('haproxy', ['-vv'], { encoding: 'utf8', timeout: 5000 });
    const m = /^Feature list : (.*)$/m.exec(r.stdout || '');
    const version = /HA-?Proxy version (\d+\.\d+\.\d+)/.exec(r.stdout || '');
    features = m && version ? { version: version[1], list: m[1].split(/\s+/) } : null;
  }
  return features;
}

const ENVIRONMENT = /^(defined|enabled|openssl_version_atleast|openssl_version_before|ssllib_name_startswith|awslc_api_atleast|awslc_api_before)$/;

/**
 * Evaluates one condition (the words after .if/.elif, joined by spaces).
 * `ctx`: { version (assumed), source, file, line, vars (a $ was in it) }.
 */
export function evalCondition(text, ctx) {
  const fail = (why) => { throw new InputError(ctx.file, ctx.line, `cannot evaluate ".if ${text}" for HAProxy ${ctx.version} (${ctx.source}): ${why}`); };
  let i = 0;
  const ws = () => { while (text[i] === ' ' || text[i] === '\t') i++; };
  function args() {
    // After '(': comma-separated strings up to the matching ')'.
    const out = [];
    let cur = '';
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === ')') { out.push(cur); i++; return out; }
      if (c === ',') { out.push(cur); cur = ''; continue; }
      cur += c;
    }
    return fail('missing ")"');
  }
  function term() {
    ws();
    if (text[i] === '!') { i++; return !term(); }
    if (text[i] === '(') {
      i++;
      const v = orExpr();
      ws();
      if (text[i] !== ')') fail('missing ")"');
      i++;
      return v;
    }
    const m = /^[A-Za-z0-9_.-]+/.exec(text.slice(i));
    if (!m) fail(`unexpected "${text.slice(i)}"`);
    const word = m[0];
    i += word.length;
    if (/^-?\d+$/.test(word) && text[i] !== '(') return Number(word) !== 0;
    if (text[i] !== '(') fail(`unknown term "${word}"`);
    i++;
    const a = args();
    return predicate(word, a);
  }
  function andExpr() {
    let v = term();
    for (;;) {
      ws();
      if (text.startsWith('&&', i)) { i += 2; const r = term(); v = v && r; } else return v;
    }
  }
  function orExpr() {
    let v = andExpr();
    for (;;) {
      ws();
      if (text.startsWith('||', i)) { i += 2; const r = andExpr(); v = v || r; } else return v;
    }
  }
  function predicate(name, a) {
    const need = (n) => { if (a.length !== n) fail(`${name}() takes ${n} argument${n > 1 ? 's' : ''}`); };
    if (name === 'version_atleast' || name === 'version_before') {
      need(1);
      if (!parseVersion(a[0].trim())) fail(`not a version: "${a[0]}"`);
      const c = compareVersions(ctx.version, a[0].trim());
      if (c === undefined) fail(`it depends on the patch release; give the full version (--haproxy-version ${ctx.version}.N)`);
      return name === 'version_atleast' ? c >= 0 : c < 0;
    }
    if (name === 'streq' || name === 'strneq' || name === 'strstr') {
      need(2);
      if (ctx.vars) fail('it reads the environment the proxy runs in ($ in a string), which jidroute does not know');
      if (name === 'strstr' && compareVersions(ctx.version, '3.0') < 0) fail('strstr() is not in the manual of this version');
      return name === 'streq' ? a[0] === a[1] : name === 'strneq' ? a[0] !== a[1] : a[0].includes(a[1]);
    }
    if (name === 'feature') {
      need(1);
      const f = hostFeatures();
      if (!f || f.version.split('.').slice(0, ctx.version.split('.').length).join('.') !== ctx.version) {
        fail(`feature(${a[0]}) is known only for the HAProxy installed here (${f ? f.version : 'none'})`);
      }
      if (f.list.includes(`+${a[0]}`)) return true;
      if (f.list.includes(`-${a[0]}`)) return false;
      return false; // HAProxy: true only when listed with '+'
    }
    if (ENVIRONMENT.test(name)) fail(`${name}() depends on the environment or build of the proxy, which jidroute does not know`);
    return fail(`unknown predicate "${name}"`);
  }
  ws();
  if (i >= text.length) return false;
  const v = orExpr();
  ws();
  if (i < text.length) fail(`unexpected "${text.slice(i)}"`);
  return v;
}

/**
 * Tracks .if/.elif/.else/.endif over a file's lines. `directive(kw, words,
 * vars, line)` returns true when the line was a conditional directive;
 * `active` says whether the lines that follow count. `end()` checks every
 * block was closed.
 */
export function conditionalBlocks({ file, version, source }) {
  const stack = []; // { line, parentActive, taken, active, elseSeen }
  const state = {
    get active() { return stack.length === 0 || stack[stack.length - 1].active; },
    directive(kw, w, vars, line) {
      const ctx = { version, source, file, line, vars };
      const cond = () => evalCondition(w.slice(1).join(' '), ctx);
      if (kw === '.if') {
        const parentActive = state.active;
        const v = parentActive ? cond() : false; // HAProxy skips conditions in a dropped block
        stack.push({ line, parentActive, taken: v, active: parentActive && v, elseSeen: false });
        return true;
      }
      const top = stack[stack.length - 1];
      if (kw === '.elif' || kw === '.else' || kw === '.endif') {
        if (!top) throw new InputError(file, line, `${kw} without .if`);
      }
      if (kw === '.elif') {
        if (top.elseSeen) throw new InputError(file, line, '.elif after .else');
        if (top.parentActive && !top.taken) {
          const v = cond();
          top.active = v;
          top.taken = v;
        } else top.active = false;
        return true;
      }
      if (kw === '.else') {
        if (top.elseSeen) throw new InputError(file, line, 'a second .else');
        top.elseSeen = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        return true;
      }
      if (kw === '.endif') { stack.pop(); return true; }
      if (kw === '.alert' && state.active) {
        throw new InputError(file, line, `HAProxy ${version} (${source}) stops here: .alert ${w.slice(1).join(' ')}`);
      }
      return false;
    },
    end() {
      if (stack.length) throw new InputError(file, stack[stack.length - 1].line, '.if without .endif');
    },
  };
  return state;
}
