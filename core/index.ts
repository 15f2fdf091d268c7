// Everything core/ offers, for tests and tools under Node.
export * from './bytes';
export * from './casemap';
export * from './header';
export * from './jid';
export * from './key';
export * from './router';
export * from './fast-header';
export * from './charclass';
export * from './xml';
export * from './tls-hello';
