// Lua's string library, as far as core/charclass.ts uses it. That file runs
// only in the Lua build (the JavaScript builds take charclass.regexp.ts).
/** @noSelf */
declare namespace string {
  /** Where `pattern` first matches in `s` from byte `init` (1-based), or nil. */
  function find(s: string, pattern: string, init: number): number | undefined;
}
