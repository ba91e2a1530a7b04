// Vite's `?raw` imports: the file's text as a string (used to inline ELK's worker script).
declare module '*?raw' {
  const text: string;
  export default text;
}
