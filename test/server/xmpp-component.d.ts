// Type declarations for @xmpp/component 0.13 (CommonJS) as the server tests use it.
declare module '@xmpp/component' {
  const pkg: unknown;
  export default pkg;
}
