// The pgpass package (by pg's maintainers) ships no types.
declare module 'pgpass' {
  function pgpass(info: { host: string; port: string; database: string; user: string }, cb: (password: string | undefined) => void): void;
  export default pgpass;
}
