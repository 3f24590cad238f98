#!/bin/sh
# Prisma's CLI insists that a native schema engine exists before `prisma generate`, although
# generation itself runs in WASM. This stub satisfies that check. Migrations go through the
# project's own runner (npm run db:migrate), never through this file.
echo "The native Prisma schema engine is not used by this project: run 'npm run db:migrate' instead." >&2
exit 1
