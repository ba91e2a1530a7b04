// The build's virtual module (scripts/build-page.mjs): ELK's worker script, gzip, base64.
declare module 'virtual:elk-worker-gzip' {
  export const ELK_WORKER_GZIP_BASE64: string;
}
