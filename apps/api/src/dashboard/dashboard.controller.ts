import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { builtFile, dashboardDir, isServerPath } from './dashboard-files';

const FALLBACK_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LLM Gateway</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#8882;padding:.1rem .3rem;border-radius:4px}</style>
</head>
<body>
<h1>LLM Gateway</h1>
<p>The API is running, but the dashboard has not been built. Run <code>npm run build</code> (or <code>npm start</code>)
to build it. Meanwhile: sign up with <code>POST /api/auth/signup</code>, create a key with <code>POST /api/keys</code>,
then call <code>/v1</code> with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<p>Health: <a href="/healthz">/healthz</a> · Readiness: <a href="/readyz">/readyz</a></p>
</body>
</html>`;

/**
 * Serves the dashboard's build: files as they are, any other page path as index.html (the
 * client-side router takes it from there). Hashed assets are cached for good; index.html never,
 * so a new build shows up on the next load.
 */
@Controller()
export class DashboardController {
  private readonly root = dashboardDir();

  @Get()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return this.serve(request, reply);
  }

  @Get('*')
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return this.serve(request, reply);
  }

  private serve(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0] ?? '/';
    if (isServerPath(path)) throw new NotFoundException();
    if (!existsSync(join(this.root, 'index.html'))) {
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(FALLBACK_PAGE);
    }
    const file = path === '/' ? null : builtFile(this.root, path);
    if (file) {
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, { maxAge: immutable ? 31_536_000_000 : 0, immutable, cacheControl: true });
    }
    // An unknown asset is a real 404; only page paths fall back to the app shell.
    if (path.startsWith('/assets/')) throw new NotFoundException();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  }
}
