import { defineConfig } from 'prisma/config';

// The datasource URL lives here in Prisma 7; the schema has none. Migrations run through the
// project's own runner (libs/db/src/migrate), so only `prisma generate` reads this file.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/gateway',
  },
});
