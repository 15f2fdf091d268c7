// Everything core/ offers, for tests and tools under Node (dist/core.mjs): the
// JavaScript build, as njs runs it. Where core/ takes a platform's natives,
// the functions here take the JavaScript ones (core/js/) unless told
// otherwise, as njs/slow.ts passes them.
import { SkipClass } from './charclass';
import { HeaderScan, newHeaderScan as newHeaderScanWith } from './header';
import { BareJid, parseBareJid as parseBareJidWith } from './jid';
import { lowerPartJs } from './js/casemap';
import { isXmlTextJs } from './js/xmltext';
import { attributeRunJs } from './js/attributes';
import { Recogniser, Router, newRouter as newRouterWith } from './router';
import { skipClassJs } from './js/charclass';
import { RECOGNISER_JS } from './js/recognise';

export * from './bytes';
export * from './casemap';
export * from './charclass';
export * from './header';
export * from './jid';
export * from './key';
export * from './router';
export * from './xml';
export * from './tls-hello';
export * from './js/charclass';
export * from './js/casemap';
export * from './js/xmltext';
export * from './js/recognise';

/** The full reader alone, for the tests that hold the recogniser to it. */
export const FULL_READER_JS: Recogniser = { recognise: function () { return undefined; }, skipClass: skipClassJs, lowerPart: lowerPartJs, isXmlText: isXmlTextJs, attributeRun: attributeRunJs };

export function newRouter(policy: string | undefined, limit: string | undefined, recogniser?: Recogniser): Router {
  return newRouterWith(policy, limit, recogniser === undefined ? RECOGNISER_JS : recogniser);
}

export function newHeaderScan(limit: number, skip?: SkipClass): HeaderScan {
  return newHeaderScanWith(limit, { skipClass: skip === undefined ? skipClassJs : skip, lowerPart: lowerPartJs, isXmlText: isXmlTextJs, attributeRun: attributeRunJs });
}

export function parseBareJid(jid: string, skip?: SkipClass): BareJid | undefined {
  return parseBareJidWith(jid, skip === undefined ? skipClassJs : skip, lowerPartJs);
}
