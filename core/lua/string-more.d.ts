// Lua's string library and tonumber, as far as core/lua/casemap.ts uses them
// (added to core/lua/lua.d.ts's). Positions are 1-based, as in Lua.
/// <reference types="@typescript-to-lua/language-extensions" />
/** @noSelf */
declare namespace string {
  /** `s` with every match of `pattern` replaced by what `repl` returns for
   * it (the match itself when it returns nil), and how many matched. */
  function gsub(s: string, pattern: string, repl: (this: void, match: string) => string | undefined): LuaMultiReturn<[string, number]>;
  /** `s` with every match of `pattern` replaced by its value in `repl` (the
   * match itself when it has none). */
  function gsub(s: string, pattern: string, repl: { [match: string]: string }): LuaMultiReturn<[string, number]>;
  /** The bytes of `s` from `i` to `j`. */
  function byte(s: string, i: number, j: number): LuaMultiReturn<number[]>;
  /** The bytes of `s` from `i` to `j`, as a string. */
  function sub(s: string, i: number, j: number): string;
  /** `s` with ASCII capitals lowered (in the C locale, which HAProxy keeps). */
  function lower(s: string): string;
}
/** The number `s` spells in `base`, or nil. */
declare function tonumber(this: void, s: string, base: number): number | undefined;
/** @noSelf */
declare namespace utf8 {
  /** How many code points the UTF-8 text `s` holds, or nil when it is not UTF-8. */
  function len(s: string): number | undefined;
}
