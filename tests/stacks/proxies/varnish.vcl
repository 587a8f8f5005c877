# Varnish 7 with its built-in logic (this file adds nothing to it but the backend): a
# response that may be cached is cached and replayed; `Cache-Control: no-store` passes.
vcl 4.1;

backend app {
    .host = "127.0.0.1";
    .port = "$upstream";
}
