import { Controller, Get, Header } from '@nestjs/common';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LLM Gateway</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}</style>
</head>
<body>
<h1>LLM Gateway</h1>
<p>The API is running. Sign up with <code>POST /api/auth/signup</code>, create a key with
<code>POST /api/keys</code>, then call <code>/v1</code> with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<p>Health: <a href="/healthz">/healthz</a> · Readiness: <a href="/readyz">/readyz</a></p>
</body>
</html>`;

/** Serves the landing page at `/` (the full dashboard replaces it). */
@Controller()
export class DashboardController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  index(): string {
    return PAGE;
  }
}
