// Lua's string library, as far as core/lua/ uses it: those files run only in
// the Lua build (HAProxy). Positions are 1-based, as in Lua.
/// <reference types="@typescript-to-lua/language-extensions" />
/** @noSelf */
declare namespace string {
  /** Where `pattern` first matches in `s` from byte `init`, or nil; with
   * `plain`, `pattern` is a plain string. */
  function find(s: string, pattern: string, init: number, plain?: boolean): number | undefined;
  /** The captures of `pattern` matched in `s` from byte `init` (nil when it
   * does not match); `()` captures a position. */
  function match<T extends unknown[]>(s: string, pattern: string, init: number): LuaMultiReturn<T>;
}
