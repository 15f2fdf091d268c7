// The parts of HAProxy's Lua API (https://docs.haproxy.org/2.6/lua-api/) the
// adapter uses. Functions on `core` are called with '.', methods with ':'.
declare interface HaproxyChannel {
  /** Bytes from `offset`; with `length`, yields until that many arrived, the
   * channel closed, or inspect-delay ended, and returns at most `length`. */
  data(offset: number, length?: number): string | number | undefined;
}
declare interface HaproxyFetches {
  src(): string | undefined;
}
declare interface HaproxyTxn {
  req: HaproxyChannel;
  f: HaproxyFetches;
  get_var(name: string): string | undefined;
  set_var(name: string, value: string): void;
}
declare const core: {
  err: number;
  register_action(this: void, name: string, kinds: string[], fn: (this: void, txn: HaproxyTxn) => void, args: number): void;
  log(this: void, level: number, message: string): void;
} | undefined;
/** pcall of a function with several results: true and them, or false and
 * the error. */
declare function pcall<A extends unknown[], R extends unknown[]>(this: void, fn: (this: void, ...args: A) => LuaMultiReturn<R>, ...args: A): LuaMultiReturn<[boolean, ...R]>;
/** Lua's protected call: true and the function's result, or false and the
 * error. Yields inside it are allowed (Lua 5.2 and later). */
declare function pcall<A extends unknown[], R>(this: void, fn: (this: void, ...args: A) => R, ...args: A): LuaMultiReturn<[boolean, R | unknown]>;
/** A Lua coroutine (https://www.lua.org/manual/5.3/manual.html#2.6). */
declare interface LuaCoroutine { readonly __coroutine: unique symbol }
declare const coroutine: {
  create(this: void, fn: (this: void, ...args: never[]) => void): LuaCoroutine;
  /** true and what the coroutine yielded, or false and its error. */
  resume(this: void, co: LuaCoroutine, ...args: unknown[]): LuaMultiReturn<[boolean, unknown]>;
  yield<T extends unknown[]>(this: void, ...values: unknown[]): LuaMultiReturn<T>;
};
/** Lua's collector: "step" with n > 0 counts n KiB more as allocated (its
 * debt) and does the incremental work that is then due. */
declare function collectgarbage(this: void, opt: 'step', size: number): boolean;
